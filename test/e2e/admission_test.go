package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/programming-kubernetes/cnat/test/internal/smoke"
)

// A validating webhook on ats is in the smoke (test/internal/smoke, TestSmoke), which runs here too.

// TestValidatingAdmissionPolicy: a CEL policy on ats, configured in the cluster, is enforced by
// cnat-apiserver for requests in either version (v1alpha1 requests are evaluated in the policy's v1beta1).
func TestValidatingAdmissionPolicy(t *testing.T) {
	ns := namespace(t)
	policy := "cnat-e2e-no-latest-" + ns
	kubectl(t, smoke.ValidatingAdmissionPolicy(policy, ns, `"v1beta1"`, `"CREATE", "UPDATE"`,
		"!object.spec.image.endsWith(':latest')", "ats must not run :latest images"), "apply", "-f", "-")
	t.Cleanup(func() {
		_, _ = kubectlErr("", "delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", policy)
	})

	latest := `{"apiVersion":"cnat.programming-kubernetes.info/v1beta1","kind":"At","metadata":{"name":"NAME"},` +
		`"spec":{"schedule":"2099-01-01T00:00:00Z","command":["true"],"image":"busybox:latest"}}`
	// Until cnat-apiserver's informers see the policy, creates pass: each probe has a name of its own, so
	// that the loop ends on the denial, not on AlreadyExists.
	var out string
	probe := 0
	eventually(t, 60*time.Second, "the policy denies a :latest image", func() bool {
		probe++
		var err error
		out, err = kubectlErr(strings.Replace(latest, "NAME", fmt.Sprintf("probe-%d", probe), 1), "create", "-n", ns, "-f", "-")
		return err != nil
	})
	if !strings.Contains(out, "ats must not run :latest images") || !strings.Contains(out, policy) {
		t.Errorf("denial does not name the policy and its message: %s", out)
	}
	// A compliant At passes, also in v1alpha1 (busybox, converted for the policy).
	compliant := strings.NewReplacer("busybox:latest", "busybox:1.36", "NAME", "compliant").Replace(latest)
	kubectl(t, compliant, "create", "-n", ns, "-f", "-")
	kubectl(t, bookAt, "create", "-n", ns, "-f", "-")
}
