//go:build tools

// Package tools pins kwok, the simulated kubelet and node of the local test control plane (see
// hack/build-control-plane.sh). A module of its own: kwok's Kubernetes libraries are not those of
// hack/tools/kube. It is never compiled into anything.
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
