// Package versions checks cnat's releases as the version table of docs/versions.md states them: what each
// emulated release serves, prefers, stores and warns about, and that the current binary emulating the
// previous release behaves as the previous release's own binary (built from its commit, hack/releases.txt).
package versions

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/programming-kubernetes/cnat/test/internal/gobuild"
	"github.com/programming-kubernetes/cnat/test/internal/releases"
)

var (
	// current is the cnat-apiserver built from this tree.
	current string
	// previous is the cnat-apiserver of the previous release, built from its commit.
	previous string
	// next is the current code built as the next release, 1.3, to check what the versions' tags say it
	// serves (v1alpha1 is removed at 1.3).
	next string
)

// nextRelease is the release next is stamped as.
const nextRelease = "1.3"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cnat-versions-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := gobuild.Build(dir, "./cmd/cnat-apiserver"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	current = filepath.Join(dir, "cnat-apiserver")
	nextDir := filepath.Join(dir, "next")
	if err := gobuild.BuildWith(nextDir, "-X github.com/programming-kubernetes/cnat/pkg/version.BinaryVersion="+nextRelease,
		"./cmd/cnat-apiserver"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	next = filepath.Join(nextDir, "cnat-apiserver")
	root, err := gobuild.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	build := exec.Command("hack/build-release.sh", releases.Previous)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "hack/build-release.sh %s: %v\n%s", releases.Previous, err, out)
		return 1
	}
	previous = filepath.Join(releases.Dir(root, releases.Previous), "cnat-apiserver")
	return m.Run()
}
