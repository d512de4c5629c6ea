package smoke

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/test/internal/pki"
)

// validatingAdmissionPolicy: a CEL policy on ats, written in the cluster, is enforced by cnat-apiserver.
func validatingAdmissionPolicy(t *testing.T, k Kubectl) {
	ns := namespace(t, k)
	policy := "cnat-smoke-" + ns
	k.Run(t, ValidatingAdmissionPolicy(policy, ns, `"*"`, `"CREATE"`,
		`!has(object.metadata.labels) || !('deny' in object.metadata.labels)`, "the smoke's policy denies ats labelled deny"),
		"apply", "-f", "-")
	t.Cleanup(func() {
		_, _ = k.Try("", "delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", policy)
	})
	expectDenied(t, k, ns, "the smoke's policy denies ats labelled deny")
}

// ValidatingAdmissionPolicy is a ValidatingAdmissionPolicy on ats and its Deny binding to one namespace, both
// named name: the policy applies expression (CEL) to the operations (a YAML flow list's items, `"CREATE"`) of
// the At API versions given (`"*"`, `"v1beta1"`) and denies with message.
func ValidatingAdmissionPolicy(name, namespace, apiVersions, operations, expression, message string) string {
	return fmt.Sprintf(`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: %[1]s
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: [%[3]q]
      apiVersions: [%[4]s]
      operations: [%[5]s]
      resources: ["ats"]
  validations:
  - expression: %[6]q
    message: %[7]q
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: %[1]s
spec:
  policyName: %[1]s
  validationActions: ["Deny"]
  matchResources:
    namespaceSelector:
      matchLabels:
        kubernetes.io/metadata.name: %[2]s
`, name, namespace, group, apiVersions, operations, expression, message)
}

// validatingWebhook: a validating admission webhook on ats is called by cnat-apiserver and its verdict holds.
func validatingWebhook(t *testing.T, c Cluster) {
	k := c.Kubectl
	ns := namespace(t, k)
	var calls atomic.Int32
	webhook := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		var review admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
			http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
			return
		}
		var obj metav1.PartialObjectMetadata
		_ = json.Unmarshal(review.Request.Object.Raw, &obj)
		_, deny := obj.Labels["deny"]
		response := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: !deny}
		if deny {
			response.Result = &metav1.Status{Message: "the smoke's webhook denies ats labelled deny", Code: http.StatusForbidden}
		}
		review.Response, review.Request = response, nil
		_ = json.NewEncoder(w).Encode(review)
	}))
	caBundle := startWebhook(t, webhook, c.WebhookIP)
	defer webhook.Close()
	name := "cnat-smoke-" + ns
	k.Run(t, `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: `+name+`
webhooks:
- name: deny-labelled.cnat-smoke.example.com
  clientConfig:
    url: `+webhook.URL+`/validate
    caBundle: `+caBundle+`
  rules:
  - apiGroups: ["`+group+`"]
    apiVersions: ["*"]
    operations: ["CREATE"]
    resources: ["ats"]
  namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: `+ns+`
  sideEffects: None
  admissionReviewVersions: ["v1"]
  failurePolicy: Fail
  timeoutSeconds: 5
`, "apply", "-f", "-")
	t.Cleanup(func() { _, _ = k.Try("", "delete", "validatingwebhookconfiguration", name) })
	expectDenied(t, k, ns, "the smoke's webhook denies ats labelled deny")
	before := calls.Load()
	k.Run(t, at(beta, "allowed-too", farFuture, "{}"), "create", "-n", ns, "-f", "-")
	if calls.Load() <= before {
		t.Error("the webhook was not called for an allowed create")
	}
}

// expectDenied creates labelled ats (each with a name of its own) until cnat-apiserver's informers have seen
// the policy or webhook and it denies one with message, in either version; an At without the label passes.
func expectDenied(t *testing.T, k Kubectl, ns, message string) {
	t.Helper()
	for _, version := range []string{beta, alpha} {
		var out string
		probe := 0
		Eventually(t, 60*time.Second, "a labelled At in "+version+" denied", func() bool {
			probe++
			var err error
			out, err = k.Try(at(version, fmt.Sprintf("denied-%s-%d", version, probe), farFuture, "{deny: \"yes\"}"), "create", "-n", ns, "-f", "-")
			return err != nil
		})
		if !strings.Contains(out, message) {
			t.Errorf("denial in %s: %s; want %q", version, out, message)
		}
	}
	k.Run(t, at(beta, "allowed", farFuture, "{}"), "create", "-n", ns, "-f", "-")
}

// resourceQuota: a ResourceQuota on count/ats holds: kube-controller-manager counts the namespace's ats,
// cnat-apiserver charges each create and refuses the one past the limit.
func resourceQuota(t *testing.T, k Kubectl) {
	ns := namespace(t, k)
	count := "count/ats." + group
	k.Run(t, at(beta, "existing", farFuture, "{}"), "create", "-n", ns, "-f", "-")
	// The quota controller learns of new resources from discovery every 30 s; a quota it synced before it
	// knew ats gets their usage only at its full resync: create the quota again until it counts the At.
	quota, probe := "", 0
	used := func() string {
		return k.Run(t, "", "get", "resourcequota", quota, "-n", ns, "-o", `jsonpath={.status.used.count/ats\.cnat\.programming-kubernetes\.info}`)
	}
	Eventually(t, 120*time.Second, "kube-controller-manager counts the existing At", func() bool {
		if quota != "" {
			k.Run(t, "", "delete", "resourcequota", quota, "-n", ns)
		}
		probe++
		quota = fmt.Sprintf("ats-%d", probe)
		k.Run(t, "", "create", "quota", quota, "-n", ns, "--hard", count+"=2")
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
			if used() == "1" {
				return true
			}
		}
		return false
	})
	k.Run(t, at(alpha, "second", farFuture, "{}"), "create", "-n", ns, "-f", "-")
	out, err := k.Try(at(beta, "third", farFuture, "{}"), "create", "-n", ns, "-f", "-")
	if err == nil || !strings.Contains(out, "exceeded quota: "+quota) {
		t.Errorf("the At past the quota: %v %s", err, out)
	}
}

// aggregatedRoles: the built-in admin, edit and view roles cover ats through cnat's aggregated ClusterRoles.
func aggregatedRoles(t *testing.T, k Kubectl) {
	ns := namespace(t, k)
	for _, role := range []string{"admin", "edit", "view"} {
		k.Run(t, "", "create", "rolebinding", "smoke-"+role, "--clusterrole", role, "--user", "smoke-"+role, "-n", ns)
	}
	for _, tc := range []struct{ user, verb, want string }{
		{"smoke-admin", "delete", "yes"}, {"smoke-edit", "create", "yes"}, {"smoke-view", "list", "yes"},
		{"smoke-view", "create", "no"}, {"smoke-nobody", "list", "no"},
	} {
		// The aggregation controller fills the roles asynchronously.
		Eventually(t, 60*time.Second, fmt.Sprintf("%s can-i %s ats: %s", tc.user, tc.verb, tc.want), func() bool {
			out, _ := k.Try("", "auth", "can-i", tc.verb, "ats."+group, "-n", ns, "--as", tc.user)
			return strings.TrimSpace(out) == tc.want
		})
	}
	// And cnat-apiserver, which authorizes through the cluster, agrees.
	Eventually(t, 30*time.Second, "edit creates an At through cnat-apiserver", func() bool {
		_, err := k.Try(at(beta, "by-edit", farFuture, "{}"), "create", "-n", ns, "-f", "-", "--as", "smoke-edit")
		return err == nil
	})
	if out, err := k.Try("", "delete", resource(beta), "by-edit", "-n", ns, "--as", "smoke-view"); err == nil || !strings.Contains(out, "Forbidden") {
		t.Errorf("view deleted an At: %v %s", err, out)
	}
}

// startWebhook starts the webhook server with TLS and returns the caBundle that verifies it. On loopback
// (ip empty) with httptest's own certificate; on another address of the machine (one that cnat-apiserver's
// Pods reach) with a certificate for that address, from a CA of the test's own.
func startWebhook(t *testing.T, server *httptest.Server, ip string) string {
	t.Helper()
	if ip == "" {
		server.StartTLS()
		return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: server.Certificate().Raw}))
	}
	dir := t.TempDir()
	ca, err := pki.NewCA(dir, "webhook-ca", "cnat-smoke-webhook-ca")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Issue(dir, "webhook", ip, nil, pki.Server, ip)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	listener, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	server.Listener.Close()
	server.Listener = listener
	server.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	server.StartTLS()
	caPEM, err := os.ReadFile(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(caPEM)
}
