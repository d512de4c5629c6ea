package command

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/version"

	cnatversion "github.com/programming-kubernetes/cnat/pkg/version"
	"github.com/programming-kubernetes/cnat/test/internal/localup"
)

// TestVersion: a build of the checkout (make build's) reports vX.Y.0-dev+<commit>[-dirty] on --version of
// both binaries and on /version, where kubectl version reads the commit, tree state and build date too.
func TestVersion(t *testing.T) {
	commit, dirty := checkout.commit, checkout.dirty
	want := "v" + cnatversion.BinaryVersion + ".0-dev+" + commit[:12]
	if dirty {
		want += "-dirty"
	}

	for _, name := range []string{"cnat-apiserver", "cnat-controller"} {
		out, err := exec.Command(binary(name), "--version").Output()
		if err != nil {
			t.Fatalf("%s --version: %v", name, err)
		}
		if got := strings.TrimSpace(string(out)); got != name+" "+want {
			t.Errorf("%s --version: %q, want %q", name, got, name+" "+want)
		}
	}

	server := startServer(t)
	out, err := exec.Command(localup.Kubectl(), "--kubeconfig", filepath.Join(server.dataDir, "admin.kubeconfig"),
		"version", "--output", "json").Output()
	if err != nil {
		t.Fatalf("kubectl version: %v", err)
	}
	var versions struct {
		ServerVersion version.Info `json:"serverVersion"`
	}
	if err := json.Unmarshal(out, &versions); err != nil {
		t.Fatal(err)
	}
	got := versions.ServerVersion
	wantState := map[bool]string{false: "clean", true: "dirty"}[dirty]
	if got.GitVersion != want || got.GitCommit != commit || got.GitTreeState != wantState || got.BuildDate == "" {
		t.Errorf("/version %#v, want %s, commit %s, tree %s and a build date", got, want, commit, wantState)
	}
}
