// Package v1beta1 is the typed version of the cnat API: a real timestamp, an argv, an image, and a status the
// controller fills in. It is deprecated since cnat 1.1 in favour of v1, which has the same shape, and is
// removed at 1.4 (deprecated plus three releases, prerelease-lifecycle-gen's default).
//
// +k8s:openapi-gen=true
// +k8s:deepcopy-gen=package
// +k8s:conversion-gen=github.com/programming-kubernetes/cnat/pkg/apis/cnat
// +k8s:defaulter-gen=TypeMeta
// +k8s:prerelease-lifecycle-gen=true
// The model package is the name applyconfiguration-gen derives from the Go package path: the two must agree
// for the generated apply configurations (and fake.NewClientset) to find the schemas.
//
// +k8s:openapi-model-package=com.github.programming-kubernetes.cnat.pkg.apis.cnat.v1beta1
// +groupName=cnat.programming-kubernetes.info
package v1beta1
