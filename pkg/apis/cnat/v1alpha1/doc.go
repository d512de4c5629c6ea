// Package v1alpha1 is the At of the book "Programming Kubernetes" (its cnat example), kept wire-compatible so
// that every existing cnat manifest keeps working: a string schedule, a shell command line, upper-case phases.
// It is deprecated; its replacement is v1 (the warning names v1, not v1beta1, which is deprecated itself from
// cnat 1.1). Everything v1 and v1beta1 can say that v1alpha1 cannot is carried in annotations (see
// conversion.go), so no version loses anything.
//
// +k8s:openapi-gen=true
// +k8s:deepcopy-gen=package
// +k8s:conversion-gen=github.com/programming-kubernetes/cnat/pkg/apis/cnat
// +k8s:defaulter-gen=TypeMeta
// +k8s:prerelease-lifecycle-gen=true
// +k8s:openapi-model-package=com.github.programming-kubernetes.cnat.pkg.apis.cnat.v1alpha1
// +groupName=cnat.programming-kubernetes.info
package v1alpha1
