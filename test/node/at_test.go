package node

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/programming-kubernetes/cnat/test/internal/smoke"
)

// testAtRunsARealContainer: at their schedule, cnat-controller runs two Ats in real containers of the default
// image (busybox, set by the AtPolicy configuration of artifacts/deploy/images): one prints a line and exits
// 0, the other exits 3. No image is pulled (#24: the pinned default is on the node). Their Pods' logs hold
// what the commands printed, and the Ats end Succeeded and Failed, the exit code in the Failed At's condition.
func testAtRunsARealContainer(t *testing.T) {
	ns := namespace(t)
	schedule := time.Now().Add(10 * time.Second).UTC().Truncate(time.Second)
	createAt(t, ns, "prints", schedule, `echo "the At ran in $(hostname)"`)
	createAt(t, ns, "fails", schedule, `echo "about to fail"; exit 3`)

	for name, phase := range map[string]string{"prints": "Succeeded", "fails": "Failed"} {
		smoke.Eventually(t, 120*time.Second, "At "+name+" "+phase, func() bool {
			return atField(t, ns, name, "{.status.phase}") == phase
		})
		pod := atField(t, ns, name, "{.status.podName}")
		if image := kubectl.Run(t, "", "-n", ns, "get", "pod", pod, "-o", "jsonpath={.spec.containers[0].image}"); image != "docker.io/library/busybox:1.36" {
			t.Errorf("At %s ran in image %q, want the default docker.io/library/busybox:1.36", name, image)
		}
		started, err := time.Parse(time.RFC3339, kubectl.Run(t, "", "-n", ns, "get", "pod", pod, "-o",
			"jsonpath={.status.containerStatuses[0].state.terminated.startedAt}"))
		if err != nil {
			t.Fatalf("At %s: its container has no start time: %v", name, err)
		}
		if started.Before(schedule) {
			t.Errorf("At %s: its container started at %s, before its schedule %s", name, started, schedule)
		}
		t.Logf("At %s: scheduled %s, container started %s later", name, schedule.Format(time.TimeOnly), started.Sub(schedule))
		// The default image is the one imported into the node: kubelet pulls nothing (no registry is
		// reachable here: a pull could only fail).
		pulled := kubectl.Run(t, "", "-n", ns, "get", "events", "--field-selector", "involvedObject.name="+pod+",reason=Pulled",
			"-o", "jsonpath={.items[*].message}")
		if !strings.Contains(pulled, "already present on machine") {
			t.Errorf("At %s: kubelet's Pulled event says %q, want the image already present on the machine", name, pulled)
		}
	}

	if logs := kubectl.Run(t, "", "-n", ns, "logs", atField(t, ns, "prints", "{.status.podName}")); !strings.Contains(logs, "the At ran in prints-") {
		t.Errorf("kubectl logs of the At's Pod: %q, want the line its command printed", logs)
	}
	if logs := kubectl.Run(t, "", "-n", ns, "logs", atField(t, ns, "fails", "{.status.podName}")); !strings.Contains(logs, "about to fail") {
		t.Errorf("kubectl logs of the failing At's Pod: %q", logs)
	}
	message := atField(t, ns, "fails", `{.status.conditions[?(@.type=="Complete")].message}`)
	if !strings.Contains(message, "exited with code 3") {
		t.Errorf("the Failed At's Complete condition says %q, want the exit code 3", message)
	}
}

// createAt creates an At of the default image that runs a shell command at a time.
func createAt(t *testing.T, ns, name string, schedule time.Time, command string) {
	t.Helper()
	kubectl.Run(t, fmt.Sprintf(`apiVersion: cnat.programming-kubernetes.info/v1beta1
kind: At
metadata:
  name: %s
spec:
  schedule: %q
  command: ["sh", "-c", %q]
`, name, schedule.Format(time.RFC3339), command), "-n", ns, "create", "-f", "-")
}

// atField is a jsonpath of an At.
func atField(t *testing.T, ns, name, jsonpath string) string {
	t.Helper()
	return kubectl.Run(t, "", "-n", ns, "get", "ats.v1beta1.cnat.programming-kubernetes.info", name, "-o", "jsonpath="+jsonpath)
}

// namespace creates a namespace for one test; deleted when the test ends (without waiting).
func namespace(t *testing.T) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	kubectl.Run(t, "", "create", "namespace", name)
	t.Cleanup(func() { _, _ = kubectl.Try("", "delete", "namespace", name, "--wait=false") })
	return name
}
