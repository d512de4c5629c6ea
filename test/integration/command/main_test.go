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

	"github.com/programming-kubernetes/cnat/test/internal/gobuild"
)

var (
	// bin holds cnat-apiserver and cnat-controller, built once for the package's tests.
	bin string
	// checkout is the commit the binaries are built from, and whether the tree had uncommitted changes.
	checkout struct {
		commit string
		dirty  bool
	}
)

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
	// What the build is stamped with, read when it is built (another package's test may touch the tree later).
	if checkout.commit, checkout.dirty, err = gitHead(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := gobuild.Build(bin, "./cmd/cnat-apiserver", "./cmd/cnat-controller"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// gitHead returns the commit of the checkout and whether it has changes not committed.
func gitHead() (commit string, dirty bool, err error) {
	root, err := gobuild.ModuleRoot()
	if err != nil {
		return "", false, err
	}
	git := func(args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	if commit, err = git("rev-parse", "HEAD"); err != nil {
		return "", false, err
	}
	status, err := git("status", "--porcelain")
	return commit, status != "", err
}

// binary is the path of a built command.
func binary(name string) string { return filepath.Join(bin, name) }
