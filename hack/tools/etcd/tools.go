//go:build tools

// Package tools pins etcdctl and etcdutl, the clients of the local test etcd clusters (snapshots, restores,
// member management; see hack/build-control-plane.sh). It is never compiled into anything. They live in a
// module of their own so that their dependencies do not move the control plane's (../kube).
package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/etcdutl/v3"
)
