package node

import (
	"strings"
	"testing"
	"time"

	"github.com/programming-kubernetes/cnat/test/internal/smoke"
)

// testUninstall: the uninstall of docs/cluster.md, as written (a snapshot kept first, the APIServices
// deleted before the rest): no APIService of the group is left, nothing of cnat-system either, and deleting
// a namespace completes (it would stall behind an APIService left unavailable).
func testUninstall(t *testing.T) {
	kubectl.Run(t, "", "create", "namespace", "after-uninstall")
	dir := t.TempDir()
	block := docBlock(t, "docs/cluster.md", "## Uninstall")
	runDoc(t, dir, block)
	then := docBlock(t, "docs/cluster.md", "Then delete the APIServices first.")
	// The overlay hack/deploy-certs.sh wrote for this installation, where the docs name the default one.
	runDoc(t, dir, strings.ReplaceAll(then, "_output/deploy", runDir+"/deploy"))
	if out := runDoc(t, dir, "ls -l cnat-etcd-snapshot.db"); !strings.Contains(out, "cnat-etcd-snapshot.db") {
		t.Errorf("no snapshot kept: %s", out)
	}
	if out := kubectl.Run(t, "", "get", "apiservices", "-o", "name"); strings.Contains(out, "cnat.programming-kubernetes.info") {
		t.Errorf("APIServices left after the uninstall:\n%s", out)
	}
	kubectl.Run(t, "", "delete", "namespace", "after-uninstall", "--timeout", "2m")
	smoke.Eventually(t, 3*time.Minute, "namespace cnat-system gone", func() bool {
		_, err := kubectl.Try("", "get", "namespace", "cnat-system")
		return err != nil
	})
}
