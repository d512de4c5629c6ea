package node

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/programming-kubernetes/cnat/test/internal/smoke"
)

// testEvictionRespectsPDB: both cnat-apiserver Pods evicted through the Eviction API, as a node drain does:
// the first goes, the PodDisruptionBudget refuses the second (429) while the first one's replacement is not
// ready, and lets it go once it is.
func testEvictionRespectsPDB(t *testing.T) {
	pods := strings.Fields(kubectl.Run(t, "", "-n", "cnat-system", "get", "pods", "-l", "app.kubernetes.io/name=cnat-apiserver",
		"--field-selector", "status.phase=Running", "-o", "jsonpath={.items[*].metadata.name}"))
	if len(pods) != 2 {
		t.Fatalf("want 2 cnat-apiserver Pods, got %v", pods)
	}
	if out, err := evict(pods[0]); err != nil {
		t.Fatalf("evicting %s, the first of two: %v\n%s", pods[0], err, out)
	}
	out, err := evict(pods[1])
	if err == nil || !strings.Contains(out, "disruption budget") {
		t.Fatalf("evicting %s while the first is not back: want 429 naming the disruption budget, got %v:\n%s", pods[1], err, out)
	}
	t.Logf("the second eviction, refused: %s", strings.TrimSpace(out))
	smoke.Eventually(t, 3*time.Minute, "the PodDisruptionBudget allows an eviction again", func() bool {
		allowed := kubectl.Run(t, "", "-n", "cnat-system", "get", "pdb", "cnat-apiserver", "-o", "jsonpath={.status.disruptionsAllowed}")
		return allowed == "1"
	})
	if out, err := evict(pods[1]); err != nil {
		t.Fatalf("evicting %s once the replacement of the first is ready: %v\n%s", pods[1], err, out)
	}
	kubectl.Run(t, "", "-n", "cnat-system", "rollout", "status", "deployment/cnat-apiserver", "--timeout", "3m")
	smoke.Eventually(t, 3*time.Minute, "two cnat-apiserver replicas ready", func() bool {
		return kubectl.Run(t, "", "-n", "cnat-system", "get", "deployment", "cnat-apiserver", "-o", "jsonpath={.status.readyReplicas}") == "2"
	})
}

// evict posts an Eviction of a cnat-system Pod, as kubectl drain does.
func evict(pod string) (string, error) {
	return kubectl.Try(fmt.Sprintf(`{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":%q,"namespace":"cnat-system"}}`, pod),
		"create", "--raw", "/api/v1/namespaces/cnat-system/pods/"+pod+"/eviction", "-f", "-")
}
