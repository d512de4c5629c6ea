package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestRBAC: authorization is delegated to the cluster: a user with no binding is refused; with the built-in
// edit role bound in one namespace (which covers ats through the aggregated cnat roles), it may create ats
// there and nowhere else; view reads ats and their status but writes nothing.
func TestRBAC(t *testing.T) {
	allowed, other := namespace(t), namespace(t)
	at := strings.Replace(bookAt, "example-at", "janes", 1)

	out, err := kubectlErr("", "get", "ats", "-n", allowed, "--as", "jane")
	if err == nil || !strings.Contains(out, "Forbidden") || !strings.Contains(out, `User "jane" cannot list resource "ats"`) {
		t.Fatalf("unbound user: %v %s", err, out)
	}

	kubectl(t, "", "create", "rolebinding", "jane-edit", "--clusterrole", "edit", "--user", "jane", "-n", allowed)
	kubectl(t, "", "create", "rolebinding", "joe-view", "--clusterrole", "view", "--user", "joe", "-n", allowed)
	// The aggregation controller fills edit and view asynchronously; and authorization caches decisions.
	eventually(t, 60*time.Second, "jane may create ats with edit", func() bool {
		_, err := kubectlErr(at, "create", "-n", allowed, "-f", "-", "--as", "jane")
		return err == nil
	})
	if out, err := kubectlErr(at, "create", "-n", other, "-f", "-", "--as", "jane"); err == nil || !strings.Contains(out, "Forbidden") {
		t.Errorf("jane in another namespace: %v %s", err, out)
	}

	if out, err := kubectlErr("", "get", "at", "janes", "-n", allowed, "--as", "joe", "--subresource", "status"); err != nil {
		t.Errorf("view reading ats/status: %v %s", err, out)
	}
	if out, err := kubectlErr("", "delete", "at", "janes", "-n", allowed, "--as", "joe"); err == nil || !strings.Contains(out, "Forbidden") {
		t.Errorf("view deleting: %v %s", err, out)
	}
	if out, err := kubectlErr("", "patch", "at", "janes", "-n", allowed, "--as", "jane", "--subresource", "status",
		"--type", "merge", "-p", `{"status":{"phase":"Running"}}`); err == nil || !strings.Contains(out, "Forbidden") {
		t.Errorf("edit writing ats/status (the controller's): %v %s", err, out)
	}
}
