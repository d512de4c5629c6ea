// Package flags runs cnat-apiserver and cnat-controller as an operator does, with every flag given values it
// must refuse or may accept, and with broken configuration files: each binary either starts or refuses
// with one line that names the flag, and never panics.
package flags

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/programming-kubernetes/cnat/pkg/apiserver/embeddedetcd"
	"github.com/programming-kubernetes/cnat/test/internal/gobuild"
)

var (
	// bin holds cnat-apiserver and cnat-controller, built once for the package's tests.
	bin string
	// etcdURL is an etcd every cnat-apiserver of the tests stores in, so that each start need not start an
	// embedded etcd of its own (the tests start a few hundred servers).
	etcdURL string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cnat-flags-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "bin")
	if err := gobuild.Build(bin, "./cmd/cnat-apiserver", "./cmd/cnat-controller"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	etcd, err := embeddedetcd.New(filepath.Join(dir, "etcd"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := etcd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer etcd.Close()
	etcdURL = etcd.ClientURL()
	return m.Run()
}

// binary is the path of a built command.
func binary(name string) string { return filepath.Join(bin, name) }
