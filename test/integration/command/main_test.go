// Package command tests the cnat binaries as a user runs them: built with go build, started as processes,
// stopped with a signal.
package command

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// bin holds cnat-apiserver and cnat-controller, built once for the package's tests.
var bin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cnat-command-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = dir
	// A plain go build of the checkout, as a developer makes one: the version comes from what Go embeds.
	build := exec.Command("go", "build", "-o", bin+"/", "./cmd/cnat-apiserver", "./cmd/cnat-controller")
	build.Dir = moduleRoot()
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// moduleRoot is the directory of go.mod.
func moduleRoot() string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		panic(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// binary is the path of a built command.
func binary(name string) string { return filepath.Join(bin, name) }
