// Package v1alpha1 is the versioned configuration of the AtPolicy admission plugin, the form written in the
// AdmissionConfiguration file: apiVersion admission.cnat.programming-kubernetes.info/v1alpha1, kind
// AtPolicyConfiguration.
//
// +k8s:deepcopy-gen=package
// +k8s:conversion-gen=github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy
// +k8s:defaulter-gen=TypeMeta
// +groupName=admission.cnat.programming-kubernetes.info
package v1alpha1
