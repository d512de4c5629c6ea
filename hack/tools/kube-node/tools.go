//go:build tools

// Package tools pins the binaries of the local real node (kubelet and kube-proxy, at the newest control
// plane's version; see hack/build-control-plane.sh node). It is never compiled into anything.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
