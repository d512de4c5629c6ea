package audit

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
	"github.com/programming-kubernetes/cnat/test/internal/auditevents"
)

// TestAuditWebhook: with --audit-webhook-config-file, cnat-apiserver posts batches of events (an
// audit.k8s.io/v1 EventList) over TLS to the webhook its kubeconfig names, at the latest after
// --audit-webhook-batch-max-wait; each write of an At arrives with its user, verb and At.
func TestAuditWebhook(t *testing.T) {
	var mu sync.Mutex
	var events []auditv1.Event
	var bad []string
	webhook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var list auditv1.EventList
		err := json.NewDecoder(r.Body).Decode(&list)
		mu.Lock()
		defer mu.Unlock()
		if err != nil || list.Kind != "EventList" || list.APIVersion != "audit.k8s.io/v1" {
			bad = append(bad, r.Method+" "+r.URL.Path+": not an audit.k8s.io/v1 EventList")
			http.Error(w, "want an audit.k8s.io/v1 EventList", http.StatusBadRequest)
			return
		}
		events = append(events, list.Items...)
	}))
	t.Cleanup(webhook.Close)

	dir := t.TempDir()
	config := filepath.Join(dir, "audit-webhook.kubeconfig")
	writeWebhookKubeconfig(t, config, webhook)
	s := framework.StartT(t, filepath.Join(dir, "data"), "--audit-policy-file="+policyFile(),
		"--audit-webhook-config-file="+config, "--audit-webhook-mode=batch", "--audit-webhook-batch-max-wait=1s")
	namespace, name := runWorkload(t, s)

	var received []auditv1.Event
	var missing []auditevents.Write
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		mu.Lock()
		received = append([]auditv1.Event(nil), events...)
		mu.Unlock()
		if missing = auditevents.MissingWrites(received, workloadWrites, writer, namespace, name); len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("the webhook received what is no EventList: %v", bad)
	}
	if len(missing) > 0 {
		t.Fatalf("the webhook did not receive the writes %v of %s/%s by %s; it received %v", missing, namespace, name, writer,
			auditevents.Users(received, namespace, name))
	}
	checkOnlyWhatThePolicySays(t, received, namespace, name)
}

// writeWebhookKubeconfig writes the kubeconfig of --audit-webhook-config-file: the webhook's URL and the
// certificate to verify it by.
func writeWebhookKubeconfig(t *testing.T, path string, webhook *httptest.Server) {
	t.Helper()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: webhook.Certificate().Raw})
	config := clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"audit": {Server: webhook.URL, CertificateAuthorityData: ca}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{"cnat-apiserver": {}},
		Contexts:       map[string]*clientcmdapi.Context{"audit": {Cluster: "audit", AuthInfo: "cnat-apiserver"}},
		CurrentContext: "audit",
	}
	if err := clientcmd.WriteToFile(config, path); err != nil {
		t.Fatal(err)
	}
}
