// Package e2e tests cnat-apiserver the way users meet it: registered through APIServices behind a real
// kube-apiserver (hack/local-up.sh: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, a node
// simulated by kwok, cnat-apiserver in aggregated mode, cnat-controller), driven with real kubectl.
package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var (
	// repoRoot is the absolute path of the repository.
	repoRoot string
	// env is the environment of the local control plane (KUBECONFIG, CP_*, CNAT_APISERVER_URL).
	env = map[string]string{}
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// run starts a control plane of its own (under _output/e2e, apart from a developer's local-up), runs the
// tests and stops everything it started.
func run(m *testing.M) int {
	root, err := filepath.Abs("../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	repoRoot = root
	runDir := filepath.Join(repoRoot, "_output", "e2e")
	script := func(name string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(repoRoot, "hack", name))
		cmd.Env = append(os.Environ(), "CP_RUN_DIR="+runDir)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		return cmd
	}
	// Leftovers of an interrupted run would make local-up refuse to start.
	_ = script("local-down.sh").Run()
	defer func() {
		if err := script("local-down.sh").Run(); err != nil {
			fmt.Fprintln(os.Stderr, "local-down:", err)
		}
	}()
	if err := script("local-up.sh").Run(); err != nil {
		fmt.Fprintln(os.Stderr, "local-up failed:", err)
		return 1
	}
	if err := readEnv(filepath.Join(runDir, "env")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// readEnv reads the `export NAME=value` lines local-up writes.
func readEnv(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		name, value, ok := strings.Cut(strings.TrimPrefix(scanner.Text(), "export "), "=")
		if ok {
			env[name] = strings.Trim(value, `'"`)
		}
	}
	if env["KUBECONFIG"] == "" {
		return fmt.Errorf("%s has no KUBECONFIG", path)
	}
	return scanner.Err()
}

// kubectlCmd is real kubectl against the e2e cluster, as the cluster admin.
func kubectlCmd(stdin string, args ...string) *exec.Cmd {
	cmd := exec.Command("kubectl", args...)
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
