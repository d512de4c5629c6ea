package apiserver

import (
	"net/http"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

// TestStandaloneAuth: the admin (system:masters) may do anything, another certificate of the client CA is
// authenticated but forbidden, an anonymous request is unauthorized except for health checks.
func TestStandaloneAuth(t *testing.T) {
	ns := namespace(t)
	path := atsPath("v1beta1", ns)
	if resp := do(t, nil, http.MethodGet, path, "", nil); resp.code != 200 {
		t.Errorf("admin: %d %s", resp.code, resp.body)
	}

	cert, key, err := server.PKI.IssueClientCertificate("jane", "developers")
	if err != nil {
		t.Fatal(err)
	}
	jane := rest.CopyConfig(server.Config)
	jane.CertData, jane.KeyData = cert, key
	if resp := do(t, jane, http.MethodGet, path, "", nil); resp.code != 403 || resp.status(t).Reason != "Forbidden" {
		t.Errorf("jane: %d %s, want 403", resp.code, resp.body)
	}
	if resp := do(t, jane, http.MethodPost, path, "application/json", body("janes")); resp.code != 403 {
		t.Errorf("jane create: %d, want 403", resp.code)
	}

	anonymous := rest.AnonymousClientConfig(server.Config)
	for _, p := range []string{path, "/apis", "/metrics", "/openapi/v2"} {
		if resp := do(t, anonymous, http.MethodGet, p, "", nil); resp.code != 401 {
			t.Errorf("anonymous %s: %d, want 401", p, resp.code)
		}
	}
	for _, p := range []string{"/healthz", "/livez", "/readyz"} {
		if resp := do(t, anonymous, http.MethodGet, p, "", nil); resp.code != 200 {
			t.Errorf("anonymous %s: %d %s, want 200", p, resp.code, resp.body)
		}
	}
	if resp := do(t, nil, http.MethodGet, "/metrics", "", nil); resp.code != 200 || !strings.Contains(string(resp.body), "apiserver_request_total") {
		t.Errorf("admin /metrics: %d", resp.code)
	}
	// Readiness includes etcd.
	if resp := do(t, nil, http.MethodGet, "/readyz?verbose", "", nil); resp.code != 200 || !strings.Contains(string(resp.body), "[+]etcd ok") {
		t.Errorf("admin /readyz?verbose: %d %s", resp.code, resp.body)
	}
}
