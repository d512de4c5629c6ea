package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// atDueIn is a v1beta1 At due d from now (whole seconds: the schedule has no finer resolution).
func atDueIn(name string, d time.Duration) (manifest string, schedule time.Time) {
	schedule = time.Now().Add(d).UTC().Truncate(time.Second).Add(time.Second)
	return fmt.Sprintf(`{"apiVersion":"cnat.programming-kubernetes.info/v1beta1","kind":"At","metadata":{"name":%q},`+
		`"spec":{"schedule":%q,"command":["sh","-c","echo done"],"image":"busybox:1.36"}}`, name, schedule.Format(time.RFC3339)), schedule
}

type podInfo struct {
	Metadata struct {
		Name              string
		UID               string
		CreationTimestamp time.Time
		Labels            map[string]string
		OwnerReferences   []struct {
			APIVersion, Kind, Name, UID string
			Controller                  bool
		}
	}
	Spec struct {
		RestartPolicy string
		NodeName      string
		Containers    []struct {
			Image   string
			Command []string
		}
	}
}

// podsOf lists the Pods labelled with the At's name.
func podsOf(t *testing.T, ns, at string) []podInfo {
	t.Helper()
	var list struct{ Items []podInfo }
	out := kubectl(t, "", "get", "pods", "-n", ns, "-l", "cnat.programming-kubernetes.info/at="+at, "-o", "json")
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func phaseOf(t *testing.T, ns, at string) string {
	t.Helper()
	return kubectl(t, "", "get", betaR, at, "-n", ns, "-o", "jsonpath={.status.phase}")
}

// waitForPod waits for the At's Pod and returns it.
func waitForPod(t *testing.T, ns, at string, timeout time.Duration) podInfo {
	t.Helper()
	var pods []podInfo
	eventually(t, timeout, "the Pod of At "+at, func() bool {
		pods = podsOf(t, ns, at)
		return len(pods) > 0
	})
	if len(pods) != 1 {
		t.Fatalf("%d Pods for At %s, want 1", len(pods), at)
	}
	return pods[0]
}

// setPodPhase plays the kubelet in a namespace without one (namespaceWithoutKubelet): it writes the Pod's final
// status.
func setPodPhase(t *testing.T, ns, pod, phase string, exitCode int) {
	t.Helper()
	status := map[string]any{"phase": phase, "containerStatuses": []any{map[string]any{
		"name": "at", "image": "busybox:1.36", "imageID": "", "ready": false, "restartCount": 0,
		"state": map[string]any{"terminated": map[string]any{"exitCode": exitCode, "reason": map[bool]string{true: "Completed", false: "Error"}[exitCode == 0]}},
	}}}
	kubectl(t, "", "patch", "pod", pod, "-n", ns, "--subresource", "status", "--type", "merge", "-p", toJSON(t, map[string]any{"status": status}))
}

func waitForPhase(t *testing.T, ns, at, phase string) {
	t.Helper()
	eventually(t, 30*time.Second, "At "+at+" "+phase, func() bool { return phaseOf(t, ns, at) == phase })
}

// TestControllerRunsAtsAtTheirSchedule follows the state machine step by step: the test plays the kubelet.
func TestControllerRunsAtsAtTheirSchedule(t *testing.T) {
	ns := namespaceWithoutKubelet(t)
	for _, outcome := range []struct {
		name, podPhase, atPhase, message string
		exitCode                         int
	}{
		{"succeeds", "Succeeded", "Succeeded", "succeeded", 0},
		{"fails", "Failed", "Failed", "container at exited with code 3 (Error)", 3},
	} {
		t.Run(outcome.name, func(t *testing.T) {
			manifest, schedule := atDueIn(outcome.name, 3*time.Second)
			kubectl(t, manifest, "create", "-n", ns, "-f", "-")
			if pods := podsOf(t, ns, outcome.name); len(pods) != 0 || phaseOf(t, ns, outcome.name) != "Pending" {
				t.Fatalf("before its schedule the At has Pods %v, phase %s", pods, phaseOf(t, ns, outcome.name))
			}
			pod := waitForPod(t, ns, outcome.name, 30*time.Second)
			if pod.Metadata.CreationTimestamp.Before(schedule) {
				t.Errorf("Pod created at %v, before the schedule %v", pod.Metadata.CreationTimestamp, schedule)
			}
			uid := kubectl(t, "", "get", betaR, outcome.name, "-n", ns, "-o", "jsonpath={.metadata.uid}")
			owners := pod.Metadata.OwnerReferences
			if len(owners) != 1 || owners[0].Kind != "At" || owners[0].Name != outcome.name || owners[0].UID != uid || !owners[0].Controller ||
				owners[0].APIVersion != group+"/v1beta1" {
				t.Errorf("owner references %+v", owners)
			}
			if c := pod.Spec.Containers; len(c) != 1 || c[0].Image != "busybox:1.36" || strings.Join(c[0].Command, " ") != "sh -c echo done" ||
				pod.Spec.RestartPolicy != "Never" || !strings.HasPrefix(pod.Metadata.Name, outcome.name+"-") {
				t.Errorf("pod %+v", pod)
			}
			if pod.Spec.NodeName != "" {
				t.Fatalf("Pod scheduled to %s: a kubelet would race the test", pod.Spec.NodeName)
			}
			waitForPhase(t, ns, outcome.name, "Running")
			if podName := kubectl(t, "", "get", betaR, outcome.name, "-n", ns, "-o", "jsonpath={.status.podName}"); podName != pod.Metadata.Name {
				t.Errorf("status.podName %q, want %q", podName, pod.Metadata.Name)
			}

			setPodPhase(t, ns, pod.Metadata.Name, outcome.podPhase, outcome.exitCode)
			waitForPhase(t, ns, outcome.name, outcome.atPhase)
			message := kubectl(t, "", "get", betaR, outcome.name, "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="Complete")].message}`)
			if !strings.Contains(message, outcome.message) {
				t.Errorf("Complete condition message %q, want %q", message, outcome.message)
			}
			if completion := kubectl(t, "", "get", betaR, outcome.name, "-n", ns, "-o", "jsonpath={.status.completionTime}"); completion == "" {
				t.Error("no completionTime")
			}
			events := kubectl(t, "", "get", "events", "-n", ns, "--field-selector", "involvedObject.name="+outcome.name, "-o", "jsonpath={.items[*].reason}")
			if !strings.Contains(events, "PodCreated") || !strings.Contains(events, "Pod"+outcome.atPhase) {
				t.Errorf("events %q", events)
			}
		})
	}
}

func TestControllerPodDeletedWhileRunning(t *testing.T) {
	ns := namespaceWithoutKubelet(t)
	manifest, _ := atDueIn("orphaned", 0)
	kubectl(t, manifest, "create", "-n", ns, "-f", "-")
	pod := waitForPod(t, ns, "orphaned", 30*time.Second)
	waitForPhase(t, ns, "orphaned", "Running")
	kubectl(t, "", "delete", "pod", pod.Metadata.Name, "-n", ns, "--grace-period=0", "--force")
	waitForPhase(t, ns, "orphaned", "Failed")
	if reason := kubectl(t, "", "get", betaR, "orphaned", "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="Complete")].reason}`); reason != "PodDeleted" {
		t.Errorf("reason %q, want PodDeleted", reason)
	}
}

func TestControllerAtDeletedBeforeItsTimeNeverRuns(t *testing.T) {
	ns := namespace(t)
	manifest, schedule := atDueIn("cancelled", 3*time.Second)
	kubectl(t, manifest, "create", "-n", ns, "-f", "-")
	kubectl(t, "", "delete", betaR, "cancelled", "-n", ns)
	time.Sleep(time.Until(schedule) + 3*time.Second)
	if pods := podsOf(t, ns, "cancelled"); len(pods) != 0 {
		t.Errorf("a deleted At ran: %v", pods)
	}
}

// controlPlaneScript runs script (bash, with the functions of hack/lib/control-plane.sh and cnat.sh, args as
// "$@") against the e2e control plane.
func controlPlaneScript(t *testing.T, script string, args ...string) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"-c", "set -euo pipefail; source hack/lib/control-plane.sh; source hack/lib/cnat.sh; " + script, "bash"}, args...)...)
	cmd.Dir = repoRoot
	cmd.Env = append(cmd.Environ(), "CP_RUN_DIR="+env["CP_RUN_DIR"], "KUBECONFIG="+env["KUBECONFIG"],
		"CNAT_APISERVER_URL="+env["CNAT_APISERVER_URL"])
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", script, strings.Join(args, " "), err, out)
	}
}

// TestControllerRestart: a controller restarted mid-run creates no second Pod and still follows the first;
// an At whose schedule passed while no controller ran, runs when one is back.
func TestControllerRestart(t *testing.T) {
	ns := namespaceWithoutKubelet(t)
	manifest, _ := atDueIn("survives", 0)
	kubectl(t, manifest, "create", "-n", ns, "-f", "-")
	pod := waitForPod(t, ns, "survives", 30*time.Second)
	waitForPhase(t, ns, "survives", "Running")

	controlPlaneScript(t, "cp_stop_one cnat-controller")
	missed, schedule := atDueIn("missed", time.Second)
	kubectl(t, missed, "create", "-n", ns, "-f", "-")
	time.Sleep(time.Until(schedule) + 2*time.Second)
	if pods := podsOf(t, ns, "missed"); len(pods) != 0 {
		t.Fatalf("an At ran with no controller: %v", pods)
	}
	controlPlaneScript(t, "cnat_start_controller")

	waitForPod(t, ns, "missed", 60*time.Second)
	waitForPhase(t, ns, "missed", "Running")
	if pods := podsOf(t, ns, "survives"); len(pods) != 1 || pods[0].Metadata.UID != pod.Metadata.UID {
		t.Fatalf("after the restart At survives has Pods %+v, want only %s", pods, pod.Metadata.Name)
	}
	setPodPhase(t, ns, pod.Metadata.Name, "Succeeded", 0)
	waitForPhase(t, ns, "survives", "Succeeded")
}
