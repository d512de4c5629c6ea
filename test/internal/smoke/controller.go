package smoke

import (
	"strings"
	"testing"
	"time"
)

// controllerRunsAnAt: cnat-controller, leader by its Lease, creates the Pod of an At at its schedule, records
// Events, and follows the Pod (run by the control plane's node) to Succeeded.
func controllerRunsAnAt(t *testing.T, k Kubectl) {
	holder := k.Run(t, "", "get", "lease", "cnat-controller", "-n", "cnat-system", "-o", "jsonpath={.spec.holderIdentity}")
	if holder == "" {
		t.Errorf("the Lease cnat-system/cnat-controller has no holder: the controller never became leader")
	}
	ns := namespace(t, k)
	schedule := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339)
	k.Run(t, at(beta, "due", schedule, "{}"), "create", "-n", ns, "-f", "-")
	Eventually(t, 60*time.Second, "the At Succeeded", func() bool {
		return k.Run(t, "", "get", resource(beta), "due", "-n", ns, "-o", "jsonpath={.status.phase}") == "Succeeded"
	})
	pod := k.Run(t, "", "get", resource(beta), "due", "-n", ns, "-o", "jsonpath={.status.podName}")
	if phase := k.Run(t, "", "get", "pod", pod, "-n", ns, "-o", "jsonpath={.status.phase}"); phase != "Succeeded" {
		t.Errorf("Pod %s is %q", pod, phase)
	}
	Eventually(t, 30*time.Second, "Events of the At", func() bool {
		events := k.Run(t, "", "get", "events", "-n", ns, "--field-selector", "involvedObject.name=due", "-o", "jsonpath={.items[*].reason}")
		return strings.TrimSpace(events) != ""
	})
}
