// Package atpolicy is the internal version of the configuration of the AtPolicy admission plugin: the
// object an AdmissionConfiguration holds for the plugin, as the plugin uses it. Files hold the versioned
// form (v1alpha1).
//
// +k8s:deepcopy-gen=package
// +groupName=admission.cnat.programming-kubernetes.info
package atpolicy
