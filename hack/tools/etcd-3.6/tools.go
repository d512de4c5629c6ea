//go:build tools

// Package tools pins the etcd server that the control planes of the older Kubernetes minors run (1.34–1.36
// ship etcd 3.6; kubeadm 1.36 installs 3.6.8): cnat-apiserver's stored-versions check reads etcd 3.7 with
// RangeStream and must fall back to pages on these.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
