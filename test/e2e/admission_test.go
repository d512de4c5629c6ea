package e2e

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestValidatingAdmissionPolicy: a CEL policy on ats, configured in the cluster, is enforced by
// cnat-apiserver for requests in either version (v1alpha1 requests are evaluated in the policy's v1beta1).
func TestValidatingAdmissionPolicy(t *testing.T) {
	ns := namespace(t)
	policy := "cnat-e2e-no-latest-" + ns
	kubectl(t, `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: `+policy+`
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: ["cnat.programming-kubernetes.info"]
      apiVersions: ["v1beta1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["ats"]
  validations:
  - expression: "!object.spec.image.endsWith(':latest')"
    message: "ats must not run :latest images"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: `+policy+`
spec:
  policyName: `+policy+`
  validationActions: ["Deny"]
  matchResources:
    namespaceSelector:
      matchLabels:
        kubernetes.io/metadata.name: `+ns+`
`, "apply", "-f", "-")
	t.Cleanup(func() {
		_, _ = kubectlErr("", "delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", policy)
	})

	latest := `{"apiVersion":"cnat.programming-kubernetes.info/v1beta1","kind":"At","metadata":{"name":"NAME"},` +
		`"spec":{"schedule":"2099-01-01T00:00:00Z","command":["true"],"image":"busybox:latest"}}`
	// Until cnat-apiserver's informers see the policy, creates pass: each probe has a name of its own, so
	// that the loop ends on the denial, not on AlreadyExists.
	var out string
	probe := 0
	eventually(t, 60*time.Second, "the policy denies a :latest image", func() bool {
		probe++
		var err error
		out, err = kubectlErr(strings.Replace(latest, "NAME", fmt.Sprintf("probe-%d", probe), 1), "create", "-n", ns, "-f", "-")
		return err != nil
	})
	if !strings.Contains(out, "ats must not run :latest images") || !strings.Contains(out, policy) {
		t.Errorf("denial does not name the policy and its message: %s", out)
	}
	// A compliant At passes, also in v1alpha1 (busybox, converted for the policy).
	compliant := strings.NewReplacer("busybox:latest", "busybox:1.36", "NAME", "compliant").Replace(latest)
	kubectl(t, compliant, "create", "-n", ns, "-f", "-")
	kubectl(t, bookAt, "create", "-n", ns, "-f", "-")
}

// TestValidatingWebhook: a validating admission webhook on ats is called by cnat-apiserver and its verdict
// holds.
func TestValidatingWebhook(t *testing.T) {
	ns := namespace(t)
	var calls atomic.Int32
	webhook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		var review admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
			http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
			return
		}
		var obj metav1.PartialObjectMetadata
		_ = json.Unmarshal(review.Request.Object.Raw, &obj)
		response := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: obj.Labels["deny"] != "true"}
		if !response.Allowed {
			response.Result = &metav1.Status{Message: "the e2e webhook denies ats labelled deny=true", Code: http.StatusForbidden}
		}
		review.Response, review.Request = response, nil
		_ = json.NewEncoder(w).Encode(review)
	}))
	defer webhook.Close()
	caBundle := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: webhook.Certificate().Raw}))

	name := "cnat-e2e-" + ns
	kubectl(t, `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: `+name+`
webhooks:
- name: deny-labelled.cnat-e2e.example.com
  clientConfig:
    url: `+webhook.URL+`/validate
    caBundle: `+caBundle+`
  rules:
  - apiGroups: ["cnat.programming-kubernetes.info"]
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
	t.Cleanup(func() { _, _ = kubectlErr("", "delete", "validatingwebhookconfiguration", name) })

	var out string
	probe := 0
	eventually(t, 60*time.Second, "the webhook denies a labelled At", func() bool {
		probe++
		denied := strings.Replace(bookAt, "  name: example-at", fmt.Sprintf("  name: denied-%d\n  labels: {deny: \"true\"}", probe), 1)
		var err error
		out, err = kubectlErr(denied, "create", "-n", ns, "-f", "-")
		return err != nil
	})
	if !strings.Contains(out, "the e2e webhook denies ats labelled deny=true") {
		t.Errorf("denial: %s", out)
	}
	before := calls.Load()
	kubectl(t, bookAt, "create", "-n", ns, "-f", "-")
	if calls.Load() <= before {
		t.Error("the webhook was not called for an allowed create")
	}
}
