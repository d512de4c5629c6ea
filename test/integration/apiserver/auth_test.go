package apiserver

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/programming-kubernetes/cnat/pkg/apiserver/standalone"
)

// TestStandaloneAuth: the admin (system:masters) may do anything, another certificate of the client CA is
// authenticated but may only discover the API and review itself, an anonymous request is unauthorized except
// for health checks.
func TestStandaloneAuth(t *testing.T) {
	ns := namespace(t)
	path := atsPath("v1beta1", ns)
	if resp := do(t, nil, http.MethodGet, path, "", nil); resp.code != 200 {
		t.Errorf("admin: %d %s", resp.code, resp.body)
	}

	jane := janeConfig(t)
	if resp := do(t, jane, http.MethodGet, path, "", nil); resp.code != 403 || resp.status(t).Reason != "Forbidden" {
		t.Errorf("jane: %d %s, want 403", resp.code, resp.body)
	}
	if resp := do(t, jane, http.MethodPost, path, "application/json", body("janes")); resp.code != 403 {
		t.Errorf("jane create: %d, want 403", resp.code)
	}
	// As in a cluster (system:discovery), every authenticated user may discover the API; not read metrics.
	for p, code := range map[string]int{"/apis": 200, "/version": 200, "/metrics": 403} {
		if resp := do(t, jane, http.MethodGet, p, "", nil); resp.code != code {
			t.Errorf("jane %s: %d, want %d", p, resp.code, code)
		}
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

// TestKubectlAuth: standalone, kubectl auth can-i and kubectl auth whoami work for the admin and for another
// user of the client CA, answered by the server's own authenticator and authorizer.
func TestKubectlAuth(t *testing.T) {
	janeKubeconfig := userKubeconfig(t, "jane", "developers")

	if got := strings.TrimSpace(kubectl(t, "auth", "can-i", "create", "ats")); got != "yes" {
		t.Errorf("admin can-i create ats: %q, want yes", got)
	}
	// kubectl says no, and exits 1, when the review says not allowed.
	out, err := kubectlCommand(context.Background(), "--kubeconfig", janeKubeconfig, "auth", "can-i", "create", "ats").Output()
	if got := strings.TrimSpace(string(out)); got != "no" || err == nil {
		t.Errorf("jane can-i create ats: %q (%v), want no", got, err)
	}
	if got := strings.TrimSpace(kubectl(t, "--kubeconfig", janeKubeconfig, "auth", "can-i", "create",
		"selfsubjectaccessreviews.authorization.k8s.io")); got != "yes" {
		t.Errorf("jane can-i create selfsubjectaccessreviews: %q, want yes", got)
	}

	for _, tc := range []struct {
		kubeconfig string
		user       string
		groups     []string
	}{
		{"", standalone.AdminUser, []string{standalone.AdminGroup, "system:authenticated"}},
		{janeKubeconfig, "jane", []string{"developers", "system:authenticated"}},
	} {
		args := []string{"auth", "whoami", "--output", "json"}
		if tc.kubeconfig != "" {
			args = append([]string{"--kubeconfig", tc.kubeconfig}, args...)
		}
		var review authenticationv1.SelfSubjectReview
		if err := json.Unmarshal([]byte(kubectl(t, args...)), &review); err != nil {
			t.Fatal(err)
		}
		if info := review.Status.UserInfo; info.Username != tc.user || !slices.Equal(info.Groups, tc.groups) {
			t.Errorf("whoami: %s %v, want %s %v", info.Username, info.Groups, tc.user, tc.groups)
		}
	}
}

// TestSelfReviewAPIs: the review APIs are discoverable and answer like Kubernetes APIs.
func TestSelfReviewAPIs(t *testing.T) {
	for _, tc := range []struct{ groupVersion, resource string }{
		{"authorization.k8s.io/v1", "selfsubjectaccessreviews"},
		{"authentication.k8s.io/v1", "selfsubjectreviews"},
	} {
		resources, err := server.Client.Discovery().ServerResourcesForGroupVersion(tc.groupVersion)
		if err != nil {
			t.Fatal(err)
		}
		if len(resources.APIResources) != 1 || resources.APIResources[0].Name != tc.resource ||
			!slices.Equal(resources.APIResources[0].Verbs, []string{"create"}) {
			t.Errorf("%s: %+v, want %s with verb create only", tc.groupVersion, resources.APIResources, tc.resource)
		}
		// Reading a review is not a thing: 405 with a Status.
		if resp := do(t, nil, http.MethodGet, "/apis/"+tc.groupVersion+"/"+tc.resource, "", nil); resp.code != 405 || resp.status(t).Reason != metav1.StatusReasonMethodNotAllowed {
			t.Errorf("GET %s: %d %s, want 405", tc.resource, resp.code, resp.body)
		}
	}

	// A review that asks nothing is invalid, with the field named.
	resp := do(t, nil, http.MethodPost, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "application/json",
		[]byte(`{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{}}`))
	if resp.code != 422 || !hasCause(resp.status(t), "spec.resourceAttributes") {
		t.Errorf("empty review: %d %s, want 422 on spec.resourceAttributes", resp.code, resp.body)
	}

	// A path the review asks about is authorized like a request to it: discovery is open, metrics are not.
	for path, allowed := range map[string]bool{"/apis": true, "/metrics": false} {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: path, Verb: "get"}}}
		body, _ := json.Marshal(review)
		resp := do(t, janeConfig(t), http.MethodPost, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "application/json", body)
		if resp.code != 201 {
			t.Fatalf("jane's review of %s: %d %s", path, resp.code, resp.body)
		}
		if err := json.Unmarshal(resp.body, review); err != nil || review.Status.Allowed != allowed {
			t.Errorf("jane get %s: allowed %v (%v), want %v", path, review.Status.Allowed, err, allowed)
		}
	}
}

func hasCause(status metav1.Status, field string) bool {
	if status.Details == nil {
		return false
	}
	return slices.ContainsFunc(status.Details.Causes, func(c metav1.StatusCause) bool { return c.Field == field })
}

// janeConfig is a client config with a certificate of the client CA for jane, in group developers.
func janeConfig(t *testing.T) *rest.Config {
	t.Helper()
	cert, key, err := server.PKI.IssueClientCertificate("jane", "developers")
	if err != nil {
		t.Fatal(err)
	}
	jane := rest.CopyConfig(server.Config)
	jane.CertData, jane.KeyData = cert, key
	return jane
}

// userKubeconfig writes the admin kubeconfig with a client certificate of the client CA for user in groups
// instead, and returns its path.
func userKubeconfig(t *testing.T, user string, groups ...string) string {
	t.Helper()
	config, err := clientcmd.LoadFromFile(filepath.Join(server.DataDir, "admin.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := server.PKI.IssueClientCertificate(user, groups...)
	if err != nil {
		t.Fatal(err)
	}
	for _, authInfo := range config.AuthInfos {
		authInfo.ClientCertificate, authInfo.ClientKey = "", ""
		authInfo.ClientCertificateData, authInfo.ClientKeyData = cert, key
	}
	path := filepath.Join(t.TempDir(), user+".kubeconfig")
	if err := clientcmd.WriteToFile(*config, path); err != nil {
		t.Fatal(err)
	}
	return path
}
