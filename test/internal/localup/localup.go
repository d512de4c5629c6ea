// Package localup starts and stops the local control plane of hack/local-up.sh for tests (kube-apiserver and
// friends, cnat-apiserver aggregated, cnat-controller), and finds the binaries the project built for them.
package localup

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Root is the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Kubectl is the kubectl the tests run: the one hack/build-control-plane.sh built at the newest supported
// Kubernetes minor, never whatever the machine has on its PATH.
func Kubectl() string { return filepath.Join(Root(), "_output", "bin", "kubectl") }

// KubectlOf is the kubectl of another minor: the one of its control plane (1.34–1.36), or a kubectl-only build
// (1.38).
func KubectlOf(minor string) string {
	if dir := filepath.Join(Root(), "_output", "bin", "kube-"+minor); exists(dir) {
		return filepath.Join(dir, "kubectl")
	}
	return filepath.Join(Root(), "_output", "bin", "kubectl-"+minor, "kubectl")
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ControlPlane is a control plane started by Start.
type ControlPlane struct {
	runDir string
	extra  []string
	// Env is what local-up wrote to its env file: KUBECONFIG, CP_*, CNAT_APISERVER_URL, ….
	Env map[string]string
}

// Start brings up a control plane of its own under runDir (hack/local-up.sh), after stopping whatever an
// interrupted run left there; extraEnv ("CP_KUBE_VERSION=1.35") is passed to the scripts. Its logs go to
// stderr.
func Start(runDir string, extraEnv ...string) (*ControlPlane, error) {
	cp := &ControlPlane{runDir: runDir, extra: extraEnv, Env: map[string]string{}}
	// Leftovers of an interrupted run would make local-up refuse to start.
	_ = cp.script("local-down.sh").Run()
	if err := cp.script("local-up.sh").Run(); err != nil {
		_ = cp.Stop()
		return nil, fmt.Errorf("local-up: %w", err)
	}
	if err := cp.readEnv(); err != nil {
		_ = cp.Stop()
		return nil, err
	}
	return cp, nil
}

// Stop stops every process of the control plane (hack/local-down.sh); logs stay under the run dir.
func (cp *ControlPlane) Stop() error { return cp.script("local-down.sh").Run() }

func (cp *ControlPlane) script(name string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(Root(), "hack", name))
	cmd.Env = append(append(os.Environ(), "CP_RUN_DIR="+cp.runDir), cp.extra...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd
}

// readEnv reads the `export NAME=value` lines local-up writes.
func (cp *ControlPlane) readEnv() error {
	path := filepath.Join(cp.runDir, "env")
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		name, value, ok := strings.Cut(strings.TrimPrefix(scanner.Text(), "export "), "=")
		if ok {
			cp.Env[name] = strings.Trim(value, `'"`)
		}
	}
	if cp.Env["KUBECONFIG"] == "" {
		return fmt.Errorf("%s has no KUBECONFIG", path)
	}
	return scanner.Err()
}
