// Package apiserver tests the real cnat-apiserver, started in-process on an embedded etcd, over the generated
// clientset and raw HTTP.
package apiserver

import (
	"fmt"
	"os"
	"testing"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
)

// server is shared by the tests of this package; each test works in a namespace of its own.
var server *framework.Server

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cnat-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	server, err = framework.Start(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer server.Stop()
	return m.Run()
}
