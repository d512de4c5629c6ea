// Package v1beta1 is the typed version of the cnat API and its storage version: a real timestamp, an argv,
// an image, and a status the controller fills in.
//
// +k8s:openapi-gen=true
// +k8s:deepcopy-gen=package
// +k8s:conversion-gen=github.com/programming-kubernetes/cnat/pkg/apis/cnat
// +k8s:defaulter-gen=TypeMeta
// The model package is the name applyconfiguration-gen derives from the Go package path: the two must agree
// for the generated apply configurations (and fake.NewClientset) to find the schemas.
//
// +k8s:openapi-model-package=com.github.programming-kubernetes.cnat.pkg.apis.cnat.v1beta1
// +groupName=cnat.programming-kubernetes.info
package v1beta1
