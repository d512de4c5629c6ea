package apiserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"

	cnatversion "github.com/programming-kubernetes/cnat/pkg/version"
	"github.com/programming-kubernetes/cnat/test/integration/framework"
	"github.com/programming-kubernetes/cnat/test/internal/localup"
)

// kubectl runs the real kubectl against the test server as the admin and returns its stdout; it fails the
// test if kubectl fails.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := kubectlCommand(context.Background(), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func kubectlCommand(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, localup.Kubectl(), append([]string{"--kubeconfig", filepath.Join(server.DataDir, "admin.kubeconfig")}, args...)...)
}

// TestReadmeWatchShowsDelete: the README's watch command shows the delete arrive, as it says.
func TestReadmeWatchShowsDelete(t *testing.T) {
	args := readmeCommand(t, "kubectl get ats --watch")
	ns := namespace(t)
	if _, err := server.Client.CnatV1beta1().Ats(ns).Create(ctx(), newAt("watched"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	watchCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := &framework.SyncBuffer{}
	watch := kubectlCommand(watchCtx, append(args[1:], "--namespace", ns)...)
	watch.Stdout = out
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = watch.Wait() }()
	waitFor(t, out, "watched") // the watch has listed the At: the delete comes after
	kubectl(t, "delete", "at", "watched", "--namespace", ns)
	waitFor(t, out, "DELETED")
}

// readmeCommand returns the arguments of the README line that starts with prefix, without its comment and
// its "&".
func readmeCommand(t *testing.T, prefix string) []string {
	t.Helper()
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	scanner := bufio.NewScanner(bytes.NewReader(readme))
	for scanner.Scan() {
		line := scanner.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		line, _, _ = strings.Cut(line, "#")
		return strings.Fields(strings.TrimSuffix(strings.TrimSpace(line), "&"))
	}
	t.Fatalf("no line %q… in README.md", prefix)
	return nil
}

// waitFor waits until out holds want.
func waitFor(t *testing.T, out *framework.SyncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in kubectl's output:\n%s", want, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestKubectlVersion: kubectl version succeeds against the server and shows its version.
func TestKubectlVersion(t *testing.T) {
	kubectl(t, "version") // fails the test when kubectl exits non-zero, as it did on v0.0.0-master+$Format:%H$

	var versions struct {
		ServerVersion version.Info `json:"serverVersion"`
	}
	if err := json.Unmarshal([]byte(kubectl(t, "version", "--output", "json")), &versions); err != nil {
		t.Fatal(err)
	}
	got, want := versions.ServerVersion, cnatversion.Get()
	if got.GitVersion != want.GitVersion || got.GitCommit != want.GitCommit || got.Major+"."+got.Minor != cnatversion.BinaryVersion {
		t.Errorf("server version %#v, want %s (commit %q) %s", got, want.GitVersion, want.GitCommit, cnatversion.BinaryVersion)
	}
}
