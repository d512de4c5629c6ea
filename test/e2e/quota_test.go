package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const atCount = "count/ats." + group

// TestResourceQuota: a ResourceQuota on count/ats holds for ats as it does for any resource of the cluster:
// kube-controller-manager counts the namespace's Ats into the quota's status.used, cnat-apiserver charges
// each create to it and refuses the one past the limit (403, naming the quota), and a deleted At frees its
// place.
func TestResourceQuota(t *testing.T) {
	ns := namespace(t)
	at := func(name string) string { return strings.Replace(bookAt, "example-at", name, 1) }
	kubectl(t, at("existing"), "create", "-n", ns, "-f", "-")

	// The quota controller learns of new resources from discovery every 30 s; a quota it syncs before it
	// knows ats gets no usage for them until its full resync (5 min), and admission refuses ats meanwhile
	// ("status unknown for quota"). So the quota is created again until the controller counts the At that
	// exists: that count can only come from the controller.
	quota, probe := "", 0
	eventually(t, 90*time.Second, "kube-controller-manager counts the existing At in a new quota", func() bool {
		if quota != "" {
			kubectl(t, "", "delete", "resourcequota", quota, "-n", ns)
		}
		probe++
		quota = fmt.Sprintf("ats-%d", probe)
		kubectl(t, "", "create", "quota", quota, "-n", ns, "--hard", atCount+"=2")
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
			if quotaUsed(t, ns, quota) == "1" {
				return true
			}
		}
		return false
	})

	t.Logf("quota %s counted by the controller", quota)
	kubectl(t, at("second"), "create", "-n", ns, "-f", "-")
	if used := quotaUsed(t, ns, quota); used != "2" {
		t.Errorf("after the second create status.used is %q, want 2 (charged by admission)", used)
	}
	for _, version := range []string{"v1alpha1", "v1beta1"} {
		manifest := at("third")
		if version == "v1beta1" {
			manifest, _ = atDueIn("third", time.Hour)
		}
		out, err := kubectlErr(manifest, "create", "-n", ns, "-f", "-")
		want := fmt.Sprintf(`ats.cnat.programming-kubernetes.info "third" is forbidden: exceeded quota: %s, requested: %s=1, used: %s=2, limited: %s=2`,
			quota, atCount, atCount, atCount)
		if err == nil || !strings.Contains(out, "(Forbidden)") || !strings.Contains(out, want) {
			t.Errorf("third At in %s past the quota: %v\n%s\nwant a 403 with %q", version, err, out, want)
		}
	}

	kubectl(t, "", "delete", betaR, "existing", "-n", ns)
	eventually(t, 30*time.Second, "the quota controller frees the deleted At's place", func() bool { return quotaUsed(t, ns, quota) == "1" })
	kubectl(t, at("third"), "create", "-n", ns, "-f", "-")
}

// quotaUsed is the quota's status.used for ats ("" while it has none).
func quotaUsed(t *testing.T, ns, quota string) string {
	t.Helper()
	return kubectl(t, "", "get", "resourcequota", quota, "-n", ns, "-o", `jsonpath={.status.used.count/ats\.cnat\.programming-kubernetes\.info}`)
}
