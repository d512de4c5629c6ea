package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestNamespaceDeletion: deleting a namespace deletes its Ats (the namespace controller finds them through
// the aggregated API) and the namespace finishes terminating.
func TestNamespaceDeletion(t *testing.T) {
	ns := namespace(t)
	for _, name := range []string{"one", "two"} {
		kubectl(t, strings.Replace(bookAt, "example-at", name, 1), "create", "-n", ns, "-f", "-")
	}
	kubectl(t, "", "delete", "namespace", ns, "--timeout=120s")
	eventually(t, 30*time.Second, "namespace gone", func() bool {
		out, err := kubectlErr("", "get", "namespace", ns)
		return err != nil && strings.Contains(out, "NotFound")
	})
	// The namespace's Ats went with it (listed cluster-wide: the namespace itself is gone).
	if out := kubectl(t, "", "get", "ats", "-A", "--field-selector", "metadata.namespace="+ns, "-o", "name"); out != "" {
		t.Errorf("Ats left behind: %s", out)
	}
}
