package reliability

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/util/cert"

	"github.com/programming-kubernetes/cnat/test/internal/ledger"
	"github.com/programming-kubernetes/cnat/test/internal/pki"
)

// Certificates renewed and CAs rotated while the replicas serve, under load, as cert-manager and
// kube-apiserver do it: nothing restarts (the replicas keep their pids), no request fails, none is refused
// as anonymous. docs/operations.md ("Certificates") gives the procedures these tests run.

// reloadTimeout bounds how long a replica may take to use a changed certificate or CA: k8s.io/apiserver
// reacts to a file event or a ConfigMap watch at once, and polls files once a minute besides.
const reloadTimeout = 90 * time.Second

// rotation is a deployment of replicas a and b that read their serving certificate and their etcd client
// certificate from Secret volumes, as the Deployment mounts them (each replica has a serving certificate of
// its own here, naming it, so that a handshake tells which replica answered).
type rotation struct {
	*deployment
	run        *ledger.Run
	serving    map[string]secretVolume
	etcdClient secretVolume
	pids       map[string]int
}

// underLoadWithSecrets starts replicas a and b on their Secret volumes and three etcd members, registers
// them, and puts the load on them for a moment before the rotation.
func underLoadWithSecrets(t *testing.T) *rotation {
	t.Helper()
	d := newDeployment(t, 3)
	r := &rotation{deployment: d, serving: map[string]secretVolume{}}
	etcdClient, err := d.etcd.CA.Issue(filepath.Join(d.dir, "issued"), "etcd-client-0", "cnat-apiserver", nil, pki.Client)
	if err != nil {
		t.Fatal(err)
	}
	r.etcdClient = newSecretVolume(t, filepath.Join(d.dir, "secrets", "etcd-client"), pairFiles(t, etcdClient))
	clusterCA := loadCA(t, env.vars["CP_CA_CERT"], env.vars["CP_CA_KEY"])
	for _, name := range []string{"a", "b"} {
		vol := newSecretVolume(t, filepath.Join(d.dir, "secrets", "serving-"+name), pairFiles(t, d.issueServing(clusterCA, name)))
		r.serving[name] = vol
		d.waitReady(d.start(name,
			"--tls-cert-file", vol.path(tlsCert), "--tls-private-key-file", vol.path(tlsKey),
			"--etcd-certfile", r.etcdClient.path(tlsCert), "--etcd-keyfile", r.etcdClient.path(tlsKey)))
	}
	d.register()
	r.pids = d.pids()
	r.run = startLoad(t)
	time.Sleep(phase(3*time.Second, 15*time.Second))
	return r
}

// finish ends the load and checks what every rotation promises: no failed request (outside the windows
// named fault, if any), no restart of a replica. Finish has checked that none was refused 401/403.
func (r *rotation) finish(scenario, fault string, reload time.Duration) ledger.Row {
	r.t.Helper()
	row := r.run.Finish(scenario, fault)
	row.Reload = reload
	r.checkSamePids(r.pids)
	if n := row.Failed - row.FailedInFault; n > 0 {
		r.t.Errorf("%d requests failed during the rotation, want 0", n)
	}
	return row
}

// issued numbers the certificates the tests sign, so that none overwrites the files of another.
var issued atomic.Int64

// issueServing signs a serving certificate for a replica with ca: the name the aggregator checks (the
// Service's), loopback, and the replica's own name.
func (d *deployment) issueServing(ca *pki.CA, replica string) pki.Pair {
	d.t.Helper()
	pair, err := ca.Issue(filepath.Join(d.dir, "issued"), fmt.Sprintf("serving-%s-%d", replica, issued.Add(1)), "cnat-apiserver", nil,
		pki.Server, "cnat-apiserver.cnat-system.svc", "localhost", "127.0.0.1", replicaSAN(replica))
	if err != nil {
		d.t.Fatal(err)
	}
	return pair
}

func loadCA(t *testing.T, certFile, keyFile string) *pki.CA {
	t.Helper()
	ca, err := pki.LoadCA(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// newCA makes a CA whose name is unique to the test: the CAs a TLS server accepts are told apart by name.
func newCA(t *testing.T, dir, name string) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA(dir, name, t.Name()+" "+name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func serialOf(t *testing.T, file string) *big.Int {
	t.Helper()
	c, err := pki.Certificate(file)
	if err != nil {
		t.Fatal(err)
	}
	return c.SerialNumber
}

// TestServingCertRenewal renews each replica's serving certificate (same CA, new key) the way cert-manager
// does, through the Secret volume: the replicas serve the new certificate without a restart, and no request
// fails.
func TestServingCertRenewal(t *testing.T) {
	r := underLoadWithSecrets(t)
	clusterCA := loadCA(t, env.vars["CP_CA_CERT"], env.vars["CP_CA_KEY"])

	var slowest time.Duration
	for range cycles() {
		renewed := map[string]*big.Int{}
		changed := time.Now()
		for name, vol := range r.serving {
			pair := r.issueServing(clusterCA, name)
			renewed[name] = serialOf(t, pair.CertFile)
			if err := vol.update(pairFiles(t, pair)); err != nil {
				t.Fatal(err)
			}
		}
		slowest = max(slowest, r.untilEveryReplica(changed, reloadTimeout, "serves its renewed certificate", func(s served) bool {
			return s.leaf.SerialNumber.Cmp(renewed[s.replica]) == 0
		}))
		time.Sleep(phase(2*time.Second, 10*time.Second))
	}
	report(t, r.finish("serving certificate renewed (same CA)", "", slowest))
}

// TestServingCARotation moves the replicas to serving certificates of a new CA, as docs/operations.md says:
// the APIServices' caBundle first trusts the old and the new CA, then the replicas get certificates of the
// new CA, then the caBundle trusts the new CA only. The aggregator never meets a certificate it does not
// trust, and no request fails.
func TestServingCARotation(t *testing.T) {
	r := underLoadWithSecrets(t)
	dir := filepath.Join(r.dir, "serving-cas")
	current := env.vars["CP_CA_CERT"]

	var slowest time.Duration
	for i := range cycles() {
		next := newCA(t, dir, fmt.Sprintf("serving-ca-%d", i+1))
		bundle := filepath.Join(dir, fmt.Sprintf("bundle-%d.crt", i+1))
		if err := os.WriteFile(bundle, append(readFile(t, current), readFile(t, next.CertFile)...), 0o644); err != nil {
			t.Fatal(err)
		}
		setCABundle(t, bundle)
		// The aggregator's proxy takes a changed APIService from its informer, within milliseconds; nothing
		// outside kube-apiserver shows when it has, so give it a moment before anything depends on it.
		time.Sleep(2 * time.Second)

		changed := time.Now()
		for name, vol := range r.serving {
			if err := vol.update(pairFiles(t, r.issueServing(next, name))); err != nil {
				t.Fatal(err)
			}
		}
		slowest = max(slowest, r.untilEveryReplica(changed, reloadTimeout, "serves a certificate of the new CA", func(s served) bool {
			return bytes.Equal(s.leaf.RawIssuer, next.Subject())
		}))
		time.Sleep(phase(2*time.Second, 10*time.Second))

		setCABundle(t, next.CertFile)
		current = next.CertFile
		time.Sleep(phase(2*time.Second, 10*time.Second))
	}
	report(t, r.finish("serving CA rotated (caBundle old+new, then new)", "", slowest))
}

// setCABundle sets both APIServices' caBundle to the CA certificates of a file, with the command of
// docs/operations.md.
func setCABundle(t *testing.T, caFile string) {
	t.Helper()
	line := fmt.Sprintf(`for v in v1beta1 v1alpha1; do
  kubectl patch apiservice "${v}.cnat.programming-kubernetes.info" --type merge \
    -p "{\"spec\":{\"caBundle\":\"$(base64 -w0 <%q)\"}}"
done`, caFile)
	t.Logf("%s: %s", time.Now().Format("15:04:05.000"), line)
	if out, err := env.shell(line); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestFrontProxyAndClientCARotation rotates the CAs kube-apiserver publishes to cnat-apiserver in
// kube-system/extension-apiserver-authentication, under load, with nothing restarted: kube-apiserver reads
// its --requestheader-client-ca-file, --client-ca-file and --proxy-client-cert-file again when they change
// and writes the CAs to the ConfigMap; cnat-apiserver watches the ConfigMap. The steps are
// docs/operations.md's: the front-proxy CA file becomes old+new, then the aggregator's client certificate one
// of the new CA, then the CA file the new CA only and the ConfigMap too (kube-apiserver only ever adds to
// it). A new client CA is added beside the old one (the test's admin holds a certificate of the old). No
// request may fail or be refused 401/403.
func TestFrontProxyAndClientCARotation(t *testing.T) {
	r := underLoadWithSecrets(t)
	pkiDir := filepath.Join(env.vars["CP_RUN_DIR"], "pki")
	frontProxyCA := filepath.Join(pkiDir, "front-proxy-ca.crt")
	clientCA := env.vars["CP_CA_CERT"]
	proxyClient := pki.Pair{CertFile: filepath.Join(pkiDir, "front-proxy-client.crt"), KeyFile: filepath.Join(pkiDir, "front-proxy-client.key")}
	dir := filepath.Join(r.dir, "cas")

	var slowest time.Duration
	for i := range cycles() {
		oldFrontProxy, err := pki.Certificate(frontProxyCA)
		if err != nil {
			t.Fatal(err)
		}
		nextFrontProxy := newCA(t, dir, fmt.Sprintf("front-proxy-ca-%d", i+1))
		nextClient := newCA(t, dir, fmt.Sprintf("client-ca-%d", i+1))
		newClient, err := nextClient.Issue(dir, fmt.Sprintf("direct-admin-%d", i+1), "direct-admin", []string{"system:masters"}, pki.Client)
		if err != nil {
			t.Fatal(err)
		}
		if code := r.directGet(newClient); code != http.StatusUnauthorized {
			t.Errorf("a client certificate of the new client CA before the rotation: %d, want 401", code)
		}

		// 1. kube-apiserver trusts old and new: it publishes both, the replicas accept both.
		changed := time.Now()
		replaceFile(t, frontProxyCA, append(readFile(t, frontProxyCA), readFile(t, nextFrontProxy.CertFile)...))
		replaceFile(t, clientCA, append(readFile(t, clientCA), readFile(t, nextClient.CertFile)...))
		published := untilPublished(t, changed, nextFrontProxy.CertFile, nextClient.CertFile)
		t.Logf("kube-apiserver published the new CAs %s after the files changed", published.Round(time.Millisecond))
		slowest = max(slowest, r.untilEveryReplica(changed, reloadTimeout, "accepts client certificates of the new CAs", func(s served) bool {
			return s.acceptsClientsOf(nextFrontProxy.Subject()) && s.acceptsClientsOf(nextClient.Subject())
		}))
		if code := r.directGet(newClient); code != http.StatusOK {
			t.Errorf("a client certificate of the new client CA after the rotation: %d, want 200", code)
		}
		time.Sleep(phase(2*time.Second, 10*time.Second))

		// 2. The aggregator's client certificate, renewed by the new front-proxy CA (key first, then the
		// certificate: kube-apiserver ignores a certificate that does not match its key, and loads the pair
		// at the second event).
		renewProxyClient(t, nextFrontProxy, dir, i+1, proxyClient)
		// kube-apiserver loads it at the file event; nothing outside shows when. Step 3 proves it did: a
		// certificate of the old CA would be refused from then on.
		time.Sleep(phase(3*time.Second, 10*time.Second))

		// 3. Only the new front-proxy CA, in kube-apiserver's file and in the ConfigMap.
		changed = time.Now()
		replaceFile(t, frontProxyCA, readFile(t, nextFrontProxy.CertFile))
		untilKubeAPIServerDropped(t, oldFrontProxy)
		dropFromConfigMap(t, frontProxyCA)
		slowest = max(slowest, r.untilEveryReplica(changed, reloadTimeout, "no longer accepts the old front-proxy CA", func(s served) bool {
			return !s.acceptsClientsOf(oldFrontProxy.RawSubject) && s.acceptsClientsOf(nextFrontProxy.Subject())
		}))
		time.Sleep(phase(3*time.Second, 10*time.Second))
	}
	report(t, r.finish("front-proxy and client CA rotated (ConfigMap)", "", slowest))
}

// untilPublished waits until kube-system/extension-apiserver-authentication holds the front-proxy CA and
// the client CA of these files, and returns how long after since.
func untilPublished(t *testing.T, since time.Time, frontProxyCA, clientCA string) time.Duration {
	t.Helper()
	wantFrontProxy := strings.TrimSpace(string(readFile(t, frontProxyCA)))
	wantClient := strings.TrimSpace(string(readFile(t, clientCA)))
	deadline := time.Now().Add(reloadTimeout)
	for time.Now().Before(deadline) {
		out, err := env.kubectl("", "-n", "kube-system", "get", "configmap", "extension-apiserver-authentication",
			"-o", `go-template={{index .data "requestheader-client-ca-file"}}{{"\n---\n"}}{{index .data "client-ca-file"}}`)
		if err == nil {
			frontProxy, client, _ := strings.Cut(out, "\n---\n")
			if strings.Contains(frontProxy, wantFrontProxy) && strings.Contains(client, wantClient) {
				return time.Since(since)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("kube-apiserver did not publish the CAs of %s and %s within %s", frontProxyCA, clientCA, reloadTimeout)
	return 0
}

// untilKubeAPIServerDropped waits until kube-apiserver has read its front-proxy CA file without ca: its TLS
// handshake no longer lists it. Only then may the ConfigMap be edited: kube-apiserver merges what it holds
// into the ConfigMap at every change of it, and would put the old CA back.
func untilKubeAPIServerDropped(t *testing.T, ca *x509.Certificate) {
	t.Helper()
	address := strings.TrimPrefix(env.vars["CP_APISERVER_URL"], "https://")
	deadline := time.Now().Add(reloadTimeout)
	for time.Now().Before(deadline) {
		if s, err := handshakeWith(address); err == nil && !s.acceptsClientsOf(ca.RawSubject) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("kube-apiserver still accepts client certificates of %s %s after its file changed", ca.Subject, reloadTimeout)
}

// dropFromConfigMap sets the ConfigMap's front-proxy CA to the content of a file, with the command of
// docs/operations.md: kube-apiserver merges the CAs of its files into the ConfigMap and never removes one
// that has not expired, so dropping the old CA is an operator's edit.
func dropFromConfigMap(t *testing.T, caFile string) {
	t.Helper()
	line := fmt.Sprintf(`kubectl -n kube-system patch configmap extension-apiserver-authentication --type json \
  -p "[{\"op\":\"replace\",\"path\":\"/data/requestheader-client-ca-file\",\"value\":$(jq -Rs . <%q)}]"`, caFile)
	t.Logf("%s: %s", time.Now().Format("15:04:05.000"), line)
	if out, err := env.shell(line); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// directGet lists Ats from the replicas' port directly, not through the aggregator, with a client
// certificate (as a client that reaches cnat-apiserver's Service would), until both replicas have answered,
// and returns the first answer that is not 200, else 200.
func (r *rotation) directGet(client pki.Pair) int {
	r.t.Helper()
	pair, err := tls.LoadX509KeyPair(client.CertFile, client.KeyFile)
	if err != nil {
		r.t.Fatal(err)
	}
	pool, err := cert.NewPool(env.vars["CP_CA_CERT"])
	if err != nil {
		r.t.Fatal(err)
	}
	httpClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost",
			// Always present the certificate: Go would leave out one whose CA the server does not list, and
			// the request would be anonymous instead of refused for its unknown CA.
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }},
		DisableKeepAlives: true, // each request a new connection, to either replica
	}}
	seen := map[string]bool{}
	for attempt := 0; attempt < 50 && len(seen) < len(r.replicas); attempt++ {
		resp, err := httpClient.Get(fmt.Sprintf("https://127.0.0.1:%d%s?limit=1", r.port, atsPath(r.run.Namespace())))
		if err != nil {
			r.t.Fatalf("direct request: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode
		}
		for name := range r.replicas {
			if containsSAN(resp.TLS.PeerCertificates[0], replicaSAN(name)) {
				seen[name] = true
			}
		}
	}
	return http.StatusOK
}

func containsSAN(c *x509.Certificate, name string) bool {
	for _, n := range c.DNSNames {
		if n == name {
			return true
		}
	}
	return false
}
