package reliability

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/util/cert"

	"github.com/programming-kubernetes/cnat/test/internal/pki"
)

// TestEtcdClientCertRenewal renews cnat-apiserver's etcd client certificate (same CA, new key) through its
// Secret volume under load, and checks that the replicas present the new one on their next connection to
// etcd without a restart: k8s.io/apiserver's etcd client (go.etcd.io/etcd/client/pkg/transport) reads the
// certificate and key files at every TLS handshake. The proof: the old certificate is revoked (etcd's
// --client-crl-file, read at every handshake too), followers are restarted one at a time with the list
// (which ends the replicas' connections to them), and each then serves transactions — the replicas' writes —
// while it refuses the old certificate. No request may fail.
func TestEtcdClientCertRenewal(t *testing.T) {
	r := underLoadWithSecrets(t)
	crl := filepath.Join(r.dir, "etcd", "pki", "client.crl")
	var revoked []*big.Int

	var slowest time.Duration
	for i := range cycles() {
		old := serialOf(t, r.etcdClient.path(tlsCert))
		oldPair := pki.Pair{CertFile: filepath.Join(r.dir, "issued", fmt.Sprintf("etcd-client-%d.crt", i)),
			KeyFile: filepath.Join(r.dir, "issued", fmt.Sprintf("etcd-client-%d.key", i))}
		renewed, err := r.etcd.CA.Issue(filepath.Join(r.dir, "issued"), fmt.Sprintf("etcd-client-%d", i+1), "cnat-apiserver", nil, pki.Client)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.etcdClient.update(pairFiles(t, renewed)); err != nil {
			t.Fatal(err)
		}
		revoked = append(revoked, old)
		if err := r.etcd.CA.Revoke(crl, revoked...); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			r.etcd.AddFlags("--client-crl-file", crl)
		}
		t.Logf("%s: etcd client certificate renewed (serial %x revoked)", time.Now().Format("15:04:05.000"), old)

		// The followers: a leader's restart is an election, whose failures are another test's subject. One
		// is proof enough for the short form.
		leader := r.leader()
		followers := []int{(leader + 1) % len(r.etcd.Members), (leader + 2) % len(r.etcd.Members)}
		if !*longForm {
			followers = followers[:1]
		}
		for _, m := range followers {
			member := r.etcd.Members[m]
			if err := r.etcd.Terminate(m); err != nil {
				t.Fatal(err)
			}
			if err := r.etcd.Restart(m); err != nil {
				t.Fatal(err)
			}
			restarted := time.Now()
			if err := r.etcd.WaitHealthy(time.Minute); err != nil {
				t.Fatal(err)
			}
			slowest = max(slowest, r.untilMemberServesReplicas(m, restarted))
			if n := rejectedHandshakes(t, member.Name, r.etcd.Dir); n > 0 {
				t.Errorf("etcd member %s refused %d handshakes since its restart: a replica presented the revoked certificate", member.Name, n)
			}
			// The control: the member does refuse the old certificate, so the replicas' transactions above
			// came with the renewed one.
			if _, err := r.memberTxns(m, oldPair); err == nil {
				t.Errorf("etcd member %s accepted the revoked certificate", member.Name)
			}
			time.Sleep(phase(2*time.Second, 10*time.Second))
		}
	}
	report(t, r.finish("etcd client certificate renewed (old revoked)", "", slowest))
}

// untilMemberServesReplicas waits until member m has handled a transaction since its restart: only the
// replicas write (the test's own etcd clients read and ask for status), so a replica connected to it with a
// certificate it accepts. It returns how long after since.
func (r *rotation) untilMemberServesReplicas(m int, since time.Time) time.Duration {
	r.t.Helper()
	deadline := time.Now().Add(reloadTimeout)
	var last error
	for time.Now().Before(deadline) {
		var txns int
		txns, last = r.memberTxns(m, r.etcd.ClientCert)
		if last == nil && txns > 0 {
			took := time.Since(since)
			r.t.Logf("%s: etcd member %s serves the replicas' transactions (%d), %s after its restart", time.Now().Format("15:04:05.000"),
				r.etcd.Members[m].Name, txns, took.Round(time.Millisecond))
			return took
		}
		time.Sleep(200 * time.Millisecond)
	}
	r.t.Fatalf("etcd member %s handled no transaction within %s of its restart (%v): the replicas did not reconnect with the renewed certificate",
		r.etcd.Members[m].Name, reloadTimeout, last)
	return 0
}

// memberTxns reads how many Txn calls member m has handled since it started (its /metrics), as the client
// of this certificate.
func (r *rotation) memberTxns(m int, identity pki.Pair) (int, error) {
	pair, err := tls.LoadX509KeyPair(identity.CertFile, identity.KeyFile)
	if err != nil {
		return 0, err
	}
	pool, err := cert.NewPool(r.etcd.CA.CertFile)
	if err != nil {
		return 0, err
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}}}
	resp, err := client.Get(r.etcd.Members[m].ClientURL + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s/metrics: %s", r.etcd.Members[m].ClientURL, resp.Status)
	}
	total := 0
	scanner := bufio.NewScanner(resp.Body)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		if strings.HasPrefix(line, "grpc_server_handled_total{") && strings.Contains(line, `grpc_method="Txn"`) {
			fields := strings.Fields(line)
			n, _ := strconv.ParseFloat(fields[len(fields)-1], 64)
			total += int(n)
		}
	}
	return total, scanner.Err()
}

// rejectedHandshakes counts the client handshakes member name refused since its last start (its log, from
// the last line process.Start wrote).
func rejectedHandshakes(t *testing.T, name, dir string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "logs", "etcd-"+name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	log := string(data)
	if i := strings.LastIndex(log, "\n==== "); i >= 0 {
		log = log[i:]
	}
	return strings.Count(log, "rejected connection")
}
