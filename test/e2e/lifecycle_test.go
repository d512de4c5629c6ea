package e2e

import (
	"bufio"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAtsRunTheirCourse: with nothing but the cluster at work (the scheduler binds the Pod to the simulated
// node, kwok runs it, cnat-controller follows it) an At goes Pending → Running → Succeeded, or Failed for a
// failing command (hack/kwok/stages.yaml); no test touches its Pod.
func TestAtsRunTheirCourse(t *testing.T) {
	ns := namespace(t)
	phases := watchPhases(t, ns)
	for _, outcome := range []struct {
		name, manifest, phase, message string
		exitCode                       string
	}{
		{"succeeds", "", "Succeeded", "succeeded", "0"},
		// The book's v1alpha1 command is a shell line: "false" runs as sh -c false.
		{"fails", strings.NewReplacer("example-at", "fails", "2099-04-12T10:12:00Z", "2020-01-01T00:00:00Z", `"echo YAY"`, `"false"`).Replace(bookAt),
			"Failed", "container at exited with code 1 (Error)", "1"},
	} {
		t.Run(outcome.name, func(t *testing.T) {
			manifest := outcome.manifest
			if manifest == "" {
				manifest, _ = atDueIn(outcome.name, 2*time.Second)
			}
			kubectl(t, manifest, "create", "-n", ns, "-f", "-")
			eventually(t, 60*time.Second, "At "+outcome.name+" finished", func() bool {
				p := phases(outcome.name)
				return len(p) > 0 && (p[len(p)-1] == "Succeeded" || p[len(p)-1] == "Failed")
			})
			if got, want := phases(outcome.name), []string{"Pending", "Running", outcome.phase}; !slices.Equal(got, want) {
				t.Errorf("phases seen by a watch %v, want %v", got, want)
			}
			message := kubectl(t, "", "get", betaR, outcome.name, "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="Complete")].message}`)
			if !strings.Contains(message, outcome.message) {
				t.Errorf("Complete condition message %q, want %q", message, outcome.message)
			}
			pod := podsOf(t, ns, outcome.name)
			if len(pod) != 1 {
				t.Fatalf("%d Pods, want 1", len(pod))
			}
			got := kubectl(t, "", "get", "pod", pod[0].Metadata.Name, "-n", ns, "-o",
				`jsonpath={.spec.nodeName} {.status.phase} {.status.containerStatuses[0].state.terminated.exitCode}`)
			if want := "kwok-node " + outcome.phase + " " + outcome.exitCode; got != want {
				t.Errorf("Pod (node, phase, exit code) %q, want %q", got, want)
			}
		})
	}
}

// watchPhases watches the Ats of a namespace with kubectl, as a user would, and returns a function that tells
// the phases an At went through so far, each once, in order.
func watchPhases(t *testing.T, ns string) func(at string) []string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), env["CP_KUBECTL"], "get", betaR, "-n", ns, "--watch", "-o", `jsonpath={.metadata.name} {.status.phase}{"\n"}`)
	cmd.Env = kubectlCmd("").Env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		seen = map[string][]string{}
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			name, phase, _ := strings.Cut(lines.Text(), " ")
			mu.Lock()
			if p := seen[name]; phase != "" && (len(p) == 0 || p[len(p)-1] != phase) {
				seen[name] = append(p, phase)
			}
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		_ = cmd.Wait()
	})
	return func(at string) []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen[at])
	}
}
