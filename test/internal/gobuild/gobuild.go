// Package gobuild builds the cnat binaries for tests that run them as processes, as make build does.
package gobuild

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// Build builds the packages (e.g. ./cmd/cnat-apiserver) into dir, stamped with hack/version-ldflags.sh as
// make build stamps them. (A plain go build stamps the commit itself only in a git clone whose VCS stamping
// is on.)
func Build(dir string, packages ...string) error {
	return BuildWith(dir, "", packages...)
}

// BuildWith is Build with more -ldflags (e.g. "-X <package>.<variable>=<value>").
func BuildWith(dir, extraLdflags string, packages ...string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	ldflags := exec.Command("hack/version-ldflags.sh")
	ldflags.Dir = root
	flags, err := ldflags.Output()
	if err != nil {
		return fmt.Errorf("hack/version-ldflags.sh: %w", err)
	}
	args := append([]string{"build", "-ldflags", strings.TrimSpace(string(flags) + " " + extraLdflags), "-o", dir + "/"}, packages...)
	build := exec.Command("go", args...)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// ModuleRoot is the directory of go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}
