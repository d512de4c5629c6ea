package node

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/programming-kubernetes/cnat/test/internal/localup"
)

// docBlock is the first ```sh block of a document (repository-relative) after the line that contains
// marker: the commands a user copies, which the tests run as written.
func docBlock(t *testing.T, doc, marker string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(localup.Root(), doc))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(raw), marker)
	if !ok {
		t.Fatalf("%s has no %q", doc, marker)
	}
	_, block, ok := strings.Cut(after, "```sh\n")
	if !ok {
		t.Fatalf("%s: no ```sh block after %q", doc, marker)
	}
	block, _, _ = strings.Cut(block, "```")
	return block
}

// runDoc runs commands of the docs with bash (-e, pipefail) in dir, as a user whose kubectl is the one built
// at the control plane's version and whose etcdctl and etcdutl are the project's; KUBECONFIG is the admin's.
// Whatever the commands leave running in the background (kubectl port-forward …&) is stopped afterwards.
func runDoc(t *testing.T, dir, commands string, env ...string) string {
	t.Helper()
	out, err := tryDoc(dir, commands, env...)
	if err != nil {
		t.Fatalf("%v running:\n%s\noutput:\n%s", err, commands, out)
	}
	return out
}

// tryDoc is runDoc that returns the error instead of failing the test.
func tryDoc(dir, commands string, env ...string) (string, error) {
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", commands)
	cmd.Dir = dir
	bin := filepath.Join(localup.Root(), "_output", "bin")
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(kubectl.Path)+":"+bin+":"+os.Getenv("PATH"), "KUBECONFIG="+kubectl.Kubeconfig)
	cmd.Env = append(cmd.Env, env...)
	// Its own process group: background jobs of the commands go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Output to a file, not a pipe: a background job keeps a pipe open after bash exits.
	out, err := os.CreateTemp("", "doc-output-")
	if err != nil {
		return "", err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err = cmd.Start(); err == nil {
		err = cmd.Wait()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
	printed, _ := os.ReadFile(out.Name())
	return string(printed), err
}
