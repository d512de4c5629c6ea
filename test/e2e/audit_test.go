package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/programming-kubernetes/cnat/test/internal/auditevents"
)

// TestAuditAggregated: cnat-apiserver in aggregated mode with the example audit policy records each write of
// an At that jane makes through kube-apiserver (kubectl --as jane) as jane's: the user kube-apiserver
// authenticated and its aggregator passed on, not the aggregator's own front-proxy identity nor anonymous.
func TestAuditAggregated(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "audit.log")
	restartCnatAPIServer(t, "--audit-policy-file="+filepath.Join(repoRoot, "artifacts", "deploy", "components", "audit", "policy.yaml"),
		"--audit-log-path="+logPath)

	ns := namespace(t)
	kubectl(t, "", "create", "rolebinding", "jane-edit", "--clusterrole", "edit", "--user", "jane", "-n", ns)
	// edit may not write the status of an At (the controller's job): a Role for this test.
	kubectl(t, fmt.Sprintf(`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"at-status","namespace":%q},
"rules":[{"apiGroups":[%q],"resources":["ats/status"],"verbs":["get","update"]}]}`, ns, group), "apply", "-f", "-")
	kubectl(t, "", "create", "rolebinding", "jane-status", "--role", "at-status", "--user", "jane", "-n", ns)

	const name = "audited"
	asJane := func(stdin string, args ...string) string {
		return kubectl(t, stdin, append(args, "-n", ns, "--as", "jane")...)
	}
	asJane(fmt.Sprintf(`{"apiVersion":"%s/v1beta1","kind":"At","metadata":{"name":%q},
"spec":{"schedule":"2099-01-01T00:00:00Z","command":["echo","audited"]}}`, group, name), "create", "-f", "-")
	asJane("", "patch", "at", name, "--type", "merge", "-p", `{"spec":{"command":["echo","patched"]}}`)
	// An update of the status (not a patch): read, change, write back; the controller may have written the
	// status in between, then the write conflicts and is made again.
	eventually(t, 30*time.Second, "jane updates the status", func() bool {
		at := getJSON(t, "at", name, "-n", ns)
		at["status"] = map[string]any{"phase": "Running", "podName": "audited-pod"}
		data, _ := json.Marshal(at)
		_, err := kubectlErr(string(data), "replace", "--subresource", "status", "-f", "-", "-n", ns, "--as", "jane")
		return err == nil
	})
	asJane("", "delete", "at", name)

	writes := []auditevents.Write{{Verb: "create"}, {Verb: "patch"}, {Verb: "update", Subresource: "status"}, {Verb: "delete"}}
	var events []auditv1.Event
	eventually(t, 10*time.Second, "the audit log has jane's writes", func() bool {
		var err error
		if events, err = auditevents.ReadLog(logPath); err != nil {
			t.Fatal(err)
		}
		return len(auditevents.MissingWrites(events, writes, "jane", ns, name)) == 0
	})
	// The controller writes the At's status too, as its ServiceAccount: the other users are those.
	for _, e := range events {
		if u := e.User.Username; auditevents.IsOfAt(e, ns, name) && (u == "front-proxy-client" || u == "system:anonymous") {
			t.Errorf("a %s of the At recorded as %q, the aggregator's identity, not its client's", e.Verb, u)
		}
	}
}

// restartCnatAPIServer restarts the control plane's cnat-apiserver with flags added to its command line, waits
// until kube-apiserver reaches it again, and restarts it with its command line of before when the test ends.
func restartCnatAPIServer(t *testing.T, flags ...string) {
	t.Helper()
	cmdline := filepath.Join(env["CP_RUN_DIR"], "cmdlines", "cnat-apiserver")
	before, err := os.ReadFile(cmdline)
	if err != nil {
		t.Fatal(err)
	}
	restart := func(flags ...string) {
		t.Helper()
		controlPlaneScript(t, `cp_restart cnat-apiserver "$@" && cp_wait cnat-apiserver --cacert "${CP_CA_CERT}" "${CNAT_APISERVER_URL}/readyz"`, flags...)
		// The aggregator may have marked the APIServices unavailable meanwhile.
		eventually(t, 60*time.Second, "kube-apiserver reaches cnat-apiserver again", func() bool {
			_, err := kubectlErr("", "get", "ats", "-A")
			return err == nil
		})
	}
	t.Cleanup(func() {
		if err := os.WriteFile(cmdline, before, 0o644); err != nil {
			t.Error(err)
			return
		}
		restart()
	})
	restart(flags...)
}
