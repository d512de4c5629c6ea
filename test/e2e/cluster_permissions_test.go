package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// TestMissingPermissionFailsClosed: with the permission on ValidatingAdmissionPolicies taken from
// cnat-apiserver's ServiceAccount (narrowed or stale RBAC), the server does not run without the plugin (a
// policy an administrator wrote would silently stop applying): /readyz/cluster-permissions names the
// resource and the verb, every write is refused with that reason, reads are served; once RBAC is whole
// again, the server is ready and writes pass, without a restart.
func TestMissingPermissionFailsClosed(t *testing.T) {
	ns := namespace(t)
	rbac := filepath.Join(repoRoot, "artifacts", "deploy", "rbac")
	t.Cleanup(func() {
		// Whatever happened, the next tests get cnat-apiserver with its whole RBAC, and ready. (The test's
		// context is done by now: poll without it.)
		kubectl(t, "", "apply", "-k", rbac)
		err := wait.PollUntilContextTimeout(context.Background(), time.Second, 90*time.Second, true,
			func(context.Context) (bool, error) { return readyz(t, "") == "ok", nil })
		if err != nil {
			t.Errorf("cnat-apiserver not ready again within 90s of its RBAC restored: %s", readyz(t, "?verbose"))
		}
	})
	narrowed := strings.Replace(kubectl(t, "", "get", "clusterrole", "cnat-apiserver", "-o", "yaml"),
		"\n  - validatingadmissionpolicies\n", "\n", 1)
	kubectl(t, narrowed, "replace", "-f", "-")
	if rules := kubectl(t, "", "get", "clusterrole", "cnat-apiserver", "-o", "jsonpath={.rules[*].resources}"); strings.Contains(rules, `"validatingadmissionpolicies"`) {
		t.Fatalf("the permission was not taken away: %s", rules)
	}
	// A server started with the narrowed RBAC, as after an install with a stale ClusterRole.
	controlPlaneScript(t, "cp_restart cnat-apiserver")

	want := "list validatingadmissionpolicies.admissionregistration.k8s.io (all namespaces) (for ValidatingAdmissionPolicy)"
	var check string
	eventually(t, 90*time.Second, "/readyz/cluster-permissions names the missing permission", func() bool {
		check = readyz(t, "/cluster-permissions")
		return strings.Contains(check, want)
	})
	for _, also := range []string{"watch validatingadmissionpolicies", "system:serviceaccount:cnat-system:cnat-apiserver", "artifacts/deploy/rbac"} {
		if !strings.Contains(check, also) {
			t.Errorf("/readyz/cluster-permissions: %s\nwant it to name %q", check, also)
		}
	}
	if strings.Contains(check, "validatingadmissionpolicybindings.") {
		t.Errorf("/readyz/cluster-permissions names a permission that is granted: %s", check)
	}
	if all := readyz(t, "?verbose"); !strings.Contains(all, "[-]cluster-permissions failed") {
		t.Errorf("/readyz?verbose does not fail on the check:\n%s", all)
	}

	out, err := kubectlErr(bookAt, "create", "-n", ns, "-f", "-")
	if err == nil || !strings.Contains(out, "Forbidden") || !strings.Contains(out, want) {
		t.Errorf("a write while the permission is missing: %v\n%s\nwant 403 naming %q", err, out, want)
	}
	kubectl(t, "", "get", "ats", "-n", ns)
	if log := cnatAPIServerLog(t); strings.Count(log, "cnat-apiserver is not ready: the cluster does not allow") != 1 {
		t.Errorf("the missing permission is not logged exactly once:\n%s", log)
	}

	kubectl(t, "", "apply", "-k", rbac)
	eventually(t, 90*time.Second, "writes pass once RBAC is whole", func() bool {
		_, err := kubectlErr(bookAt, "create", "-n", ns, "-f", "-")
		return err == nil
	})
	if got := readyz(t, "/cluster-permissions"); got != "ok" {
		t.Errorf("/readyz/cluster-permissions after the fix: %s", got)
	}
}

// readyz reads cnat-apiserver's /readyz<suffix> directly, as the cluster admin: /readyz is open to anyone,
// but a single check's reason only to those the cluster authorizes.
func readyz(t *testing.T, suffix string) string {
	t.Helper()
	pki := filepath.Join(env["CP_RUN_DIR"], "pki")
	admin, err := tls.LoadX509KeyPair(filepath.Join(pki, "admin.crt"), filepath.Join(pki, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{
			Certificates:       []tls.Certificate{admin},
			InsecureSkipVerify: true, // only its readiness is read
		},
	}}
	resp, err := client.Get(env["CNAT_APISERVER_URL"] + "/readyz" + suffix)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(body))
}

// cnatAPIServerLog is the log of the running cnat-apiserver.
func cnatAPIServerLog(t *testing.T) string {
	t.Helper()
	log, err := os.ReadFile(filepath.Join(env["CP_RUN_DIR"], "logs", "cnat-apiserver.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(log)
}
