// Package v1beta1 is the typed version of the cnat API and its storage version: a real timestamp, an argv,
// an image, and a status the controller fills in.
//
// +k8s:openapi-gen=true
// +k8s:deepcopy-gen=package
// +k8s:conversion-gen=github.com/programming-kubernetes/cnat/pkg/apis/cnat
// +k8s:defaulter-gen=TypeMeta
// +k8s:openapi-model-package=info.programming-kubernetes.cnat.v1beta1
// +groupName=cnat.programming-kubernetes.info
package v1beta1
