// Package cnat is the internal (hub) version of the cnat.programming-kubernetes.info API group.
// Every served version converts to and from these types; the registry, validation and admission work on them.
//
// +k8s:deepcopy-gen=package
// +groupName=cnat.programming-kubernetes.info
package cnat
