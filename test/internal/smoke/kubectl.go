package smoke

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Kubectl runs one kubectl binary against one cluster, as its admin.
type Kubectl struct {
	// Path is the kubectl binary: one the project built (hack/build-control-plane.sh), never the PATH's.
	Path string
	// Kubeconfig is the cluster admin's kubeconfig.
	Kubeconfig string
}

func (k Kubectl) command(ctx context.Context, stdin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, k.Path, append([]string{"--kubeconfig", k.Kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// Run runs kubectl and returns its stdout; it fails the test if kubectl fails.
func (k Kubectl) Run(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := k.command(t.Context(), stdin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// Try runs kubectl and returns stdout and stderr together, and its error.
func (k Kubectl) Try(stdin string, args ...string) (string, error) {
	out, err := k.command(context.Background(), stdin, args...).CombinedOutput()
	return string(out), err
}

// Eventually polls cond every 500ms for up to timeout, and fails the test if it never holds.
func Eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 500*time.Millisecond, timeout, true,
		func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatalf("%s: not within %s", what, timeout)
	}
}
