// Package v1 is the stable version of the cnat API: the At as it stays. It has v1beta1's shape, field for
// field (docs/api.md says why each field is kept as it is); v1beta1 and v1alpha1 are deprecated in its favour.
//
// +k8s:openapi-gen=true
// +k8s:deepcopy-gen=package
// +k8s:conversion-gen=github.com/programming-kubernetes/cnat/pkg/apis/cnat
// +k8s:defaulter-gen=TypeMeta
// +k8s:prerelease-lifecycle-gen=true
// The model package is the name applyconfiguration-gen derives from the Go package path: the two must agree
// for the generated apply configurations (and fake.NewClientset) to find the schemas.
//
// +k8s:openapi-model-package=com.github.programming-kubernetes.cnat.pkg.apis.cnat.v1
// +groupName=cnat.programming-kubernetes.info
package v1
