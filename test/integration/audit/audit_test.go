// Package audit tests cnat-apiserver's audit logging with the example policy of
// artifacts/deploy/components/audit: a real server writes the events of real requests to a log file and to a
// webhook, and the tests read them back.
package audit

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/test/integration/framework"
	"github.com/programming-kubernetes/cnat/test/internal/auditevents"
	"github.com/programming-kubernetes/cnat/test/internal/localup"
)

// writer is the user the workload writes as: not the admin of the kubeconfig, so that an event naming it
// names the real client. Standalone, only system:masters may write.
const writer = "jane"

// policyFile is the example policy, as the audit component mounts it.
func policyFile() string {
	return filepath.Join(localup.Root(), "artifacts", "deploy", "components", "audit", "policy.yaml")
}

// workloadWrites are the writes runWorkload makes, in order.
var workloadWrites = []auditevents.Write{{Verb: "create"}, {Verb: "patch"}, {Verb: "update", Subresource: "status"}, {Verb: "delete"}}

// runWorkload creates an At as writer, reads it, patches it, updates its status and deletes it; it also
// polls the health checks, which the policy leaves out. It returns the At's namespace and name.
func runWorkload(t *testing.T, s *framework.Server) (namespace, name string) {
	t.Helper()
	namespace, name = "audit-"+rand.String(5), "audited"
	ats := clientAs(t, s, writer).CnatV1beta1().Ats(namespace)
	at, err := ats.Create(t.Context(), &v1beta1.At{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1beta1.AtSpec{Schedule: metav1.NewTime(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)),
			Command: []string{"echo", "audited"}, Image: "alpine:3.20"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Client.CnatV1beta1().Ats(namespace).Get(t.Context(), name, metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	at, err = ats.Patch(t.Context(), name, types.MergePatchType, []byte(`{"spec":{"command":["echo","patched"]}}`), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at.Status = v1beta1.AtStatus{Phase: v1beta1.AtRunning, PodName: "audited-pod"}
	if _, err := ats.UpdateStatus(t.Context(), at, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := ats.Delete(t.Context(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	health := &http.Client{Transport: mustTransport(t, s.Config)}
	for _, path := range []string{"/readyz", "/livez", "/healthz"} {
		resp, err := health.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	return namespace, name
}

// clientAs is a client of a user with a client certificate of the server's client CA, in system:masters.
func clientAs(t *testing.T, s *framework.Server, user string) versioned.Interface {
	t.Helper()
	certPEM, keyPEM, err := s.PKI.IssueClientCertificate(user, "system:masters")
	if err != nil {
		t.Fatal(err)
	}
	config := rest.CopyConfig(s.Config)
	config.CertData, config.KeyData, config.CertFile, config.KeyFile = certPEM, keyPEM, "", ""
	return versioned.NewForConfigOrDie(config)
}

func mustTransport(t *testing.T, config *rest.Config) http.RoundTripper {
	t.Helper()
	rt, err := rest.TransportFor(config)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// checkOnlyWhatThePolicySays: no event of a health check, none at RequestReceived and no managedFields in
// recorded objects (the policy omits both), and reads of the At at Metadata: who and which, without its content.
func checkOnlyWhatThePolicySays(t *testing.T, events []auditv1.Event, namespace, name string) {
	t.Helper()
	reads := 0
	for _, e := range events {
		for _, path := range []string{"/readyz", "/livez", "/healthz"} {
			if e.RequestURI == path {
				t.Errorf("an event of the health check %s: %+v", path, e)
			}
		}
		if e.ResponseObject != nil && strings.Contains(string(e.ResponseObject.Raw), `"managedFields"`) {
			t.Errorf("the %s event of %s records managedFields, which the policy omits", e.Verb, e.RequestURI)
		}
		if e.Stage == auditv1.StageRequestReceived {
			t.Errorf("an event at RequestReceived, which the policy omits: %s %s", e.Verb, e.RequestURI)
		}
		if e.Verb == "get" && auditevents.IsOfAt(e, namespace, name) {
			reads++
			if e.Level != auditv1.LevelMetadata || e.ResponseObject != nil || e.RequestObject != nil {
				data, _ := json.Marshal(e)
				t.Errorf("a read of the At is audited at %s, with its content: %s", e.Level, data)
			}
		}
	}
	if reads != 1 {
		t.Errorf("%d events of the one read of the At, want 1", reads)
	}
}
