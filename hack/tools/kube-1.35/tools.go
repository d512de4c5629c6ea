//go:build tools

// Package tools pins the control plane of Kubernetes 1.35 that the version-skew smoke
// (test/e2e/skew) runs cnat behind; see hack/build-control-plane.sh. It is never compiled into anything.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
