// Package e2e tests cnat-apiserver the way users meet it: registered through APIServices behind a real
// kube-apiserver (hack/local-up.sh: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, a node
// simulated by kwok, cnat-apiserver in aggregated mode, cnat-controller), driven with real kubectl.
package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/programming-kubernetes/cnat/test/internal/localup"
)

var (
	// repoRoot is the absolute path of the repository.
	repoRoot string
	// env is the environment of the local control plane (KUBECONFIG, CP_*, CNAT_APISERVER_URL); CP_KUBECTL
	// is the kubectl every test runs, built at the control plane's version.
	env = map[string]string{}
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// run starts a control plane of its own (under _output/e2e, apart from a developer's local-up), runs the
// tests and stops everything it started.
func run(m *testing.M) int {
	repoRoot = localup.Root()
	cp, err := localup.Start(filepath.Join(repoRoot, "_output", "e2e"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := cp.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "local-down:", err)
		}
	}()
	env = cp.Env
	return m.Run()
}

// kubectlCmd is real kubectl against the e2e cluster, as the cluster admin.
func kubectlCmd(stdin string, args ...string) *exec.Cmd {
	cmd := exec.Command(env["CP_KUBECTL"], args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env["KUBECONFIG"])
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// kubectl runs kubectl and returns its stdout; it fails the test if kubectl fails.
func kubectl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := kubectlCmd(stdin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// kubectlErr runs kubectl and returns stdout and stderr together, and its error.
func kubectlErr(stdin string, args ...string) (string, error) {
	out, err := kubectlCmd(stdin, args...).CombinedOutput()
	return string(out), err
}
