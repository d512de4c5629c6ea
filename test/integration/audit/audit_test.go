// Package audit tests cnat-apiserver's audit logging with the example policy of
// artifacts/deploy/components/audit: a real server writes the events of real requests to a log file and to a
// webhook, and the tests read them back.
package audit

import (
	"encoding/json"
	"net/http"
	"path/filepath"
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
	"github.com/programming-kubernetes/cnat/test/internal/localup"
)

// writer is the user the workload writes as: not the admin of the kubeconfig, so that an event naming it
// names the real client. Standalone, only system:masters may write.
const writer = "jane"

// policyFile is the example policy, as the audit component mounts it.
func policyFile() string {
	return filepath.Join(localup.Root(), "artifacts", "deploy", "components", "audit", "policy.yaml")
}

// write is one write of the workload, as its audit event must show it.
type write struct {
	verb, subresource string
}

// workloadWrites are the writes runWorkload makes, in order.
var workloadWrites = []write{{"create", ""}, {"patch", ""}, {"update", "status"}, {"delete", ""}}

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

// missingWrites lists the workload's writes that events lack: an event at RequestResponse, when the response
// was complete, by user, of the At namespace/name, with the object that was sent (but for delete) and the
// one that came back.
func missingWrites(events []auditv1.Event, user, namespace, name string) []write {
	var missing []write
	for _, w := range workloadWrites {
		found := false
		for _, e := range events {
			ref := e.ObjectRef
			if e.Verb != w.verb || ref == nil || ref.Resource != "ats" || ref.Subresource != w.subresource ||
				ref.Namespace != namespace || ref.Name != name || ref.APIGroup != "cnat.programming-kubernetes.info" {
				continue
			}
			found = e.User.Username == user && e.Level == auditv1.LevelRequestResponse &&
				e.Stage == auditv1.StageResponseComplete && e.ResponseObject != nil &&
				(w.verb == "delete" || e.RequestObject != nil)
			if found {
				break
			}
		}
		if !found {
			missing = append(missing, w)
		}
	}
	return missing
}

// checkOnlyWhatThePolicySays: no event of a health check, none at RequestReceived (the policy omits that
// stage), and reads of the At at Metadata: who and which, without its content.
func checkOnlyWhatThePolicySays(t *testing.T, events []auditv1.Event, namespace, name string) {
	t.Helper()
	reads := 0
	for _, e := range events {
		for _, path := range []string{"/readyz", "/livez", "/healthz"} {
			if e.RequestURI == path {
				t.Errorf("an event of the health check %s: %+v", path, e)
			}
		}
		if e.Stage == auditv1.StageRequestReceived {
			t.Errorf("an event at RequestReceived, which the policy omits: %s %s", e.Verb, e.RequestURI)
		}
		if e.Verb == "get" && e.ObjectRef != nil && e.ObjectRef.Resource == "ats" && e.ObjectRef.Namespace == namespace && e.ObjectRef.Name == name {
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
