package reliability

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/util/cert"

	"github.com/programming-kubernetes/cnat/test/internal/etcdcluster"
	"github.com/programming-kubernetes/cnat/test/internal/ledger"
	"github.com/programming-kubernetes/cnat/test/internal/partition"
)

// TestEtcdPartitionFromCnat cuts cnat-apiserver off from every etcd member (all three run in one network
// namespace, reached over one veth link: the link goes down, packets are dropped, connections stay open as
// behind a failed switch) while etcd itself stays healthy, then heals the link. Meanwhile writes fail
// retryably and /readyz fails on etcd; afterwards writes succeed again by themselves; nothing acknowledged is
// lost.
func TestEtcdPartitionFromCnat(t *testing.T) {
	link := partition.NewIn(t, "partetcd", "10.78", 2)
	placements := make([]etcdcluster.Placement, 3)
	for i := range placements {
		placements[i] = etcdcluster.Placement{Host: link.NsIP, Netns: link.Netns}
	}
	d, run := deploymentUnderLoad(newPlacedDeployment(t, placements), "a")
	raw := rawClient(t)
	cutFor := phase(8*time.Second, 20*time.Second)

	var recovery time.Duration
	for range cycles() {
		ackedBefore := run.Ledger.WritesAcknowledged()
		cut := time.Now()
		if err := link.Cut(); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: cnat-apiserver cut off from etcd", cut.Format("15:04:05.000"))
		// A write sent during the cut, without client-go's retries: what answer does a client get, when?
		answer := make(chan string, 1)
		go func() { answer <- rawCreate(raw, run.Namespace(), "written-while-cut-"+fmt.Sprint(cut.Unix())) }()
		notReady := d.untilNotReadyOnEtcd(d.replicas["a"], cutFor)
		t.Logf("/readyz failed on etcd %.1fs after the cut", notReady.Seconds())
		time.Sleep(time.Until(cut.Add(cutFor)))
		if err := link.Heal(); err != nil {
			t.Fatal(err)
		}
		healed := time.Now()
		t.Logf("%d writes acknowledged during the cut", run.Ledger.WritesAcknowledged()-ackedBefore)
		t.Logf("%s: link healed after %s", healed.Format("15:04:05.000"), healed.Sub(cut).Round(time.Millisecond))
		recovered := untilWriteSucceeds(t, run, healed)
		t.Logf("writes acknowledged again %.2fs after the heal", recovered.Seconds())
		select {
		case a := <-answer:
			t.Logf("the write sent at the cut: %s", a)
		case <-time.After(2 * time.Minute):
			t.Error("the write sent at the cut got no answer within 2 minutes")
		}
		// Requests sent during the cut may be answered (or fail) after the heal, until writes go through again;
		// client-go's retries of writes that were applied but answered 503/504 (in doubt) get their 409 up to
		// a Retry-After (at most 2 s) later.
		run.Ledger.MarkWindow("cut", cut, healed.Add(recovered).Add(retryAfterMargin))
		recovery = max(recovery, recovered)
		// The watch cache's reflector gets a fresh error budget (see TestEtcdQuorumLoss).
		time.Sleep(phase(2*time.Second, 65*time.Second))
	}
	row := d.finishEtcdFaults(run, fmt.Sprintf("cnat cut off from all etcd members %ds", int(cutFor.Seconds())), "cut")
	row.Recover = recovery
	report(t, row)
	checkFailuresOnlyIn(t, run.Ledger, "cut")
}

// retryAfterMargin is the longest Retry-After cnat-apiserver gives for a storage failure (504: 2 s).
const retryAfterMargin = 2 * time.Second

// rawCreate posts an At without retries and describes the answer: code, Retry-After, message, and how long
// it took.
func rawCreate(raw *rawAPI, namespace, name string) string {
	body, _ := json.Marshal(ledger.NewAt(name))
	start := time.Now()
	resp, data, err := raw.do(http.MethodPost, atsPath(namespace), string(body))
	took := time.Since(start).Round(100 * time.Millisecond)
	if err != nil {
		return fmt.Sprintf("no answer after %s: %v", took, err)
	}
	return fmt.Sprintf("%d Retry-After %q after %s: %s", resp.StatusCode, resp.Header.Get("Retry-After"), took,
		strings.TrimSpace(string(data)))
}

// untilNotReadyOnEtcd polls the replica's /readyz until it fails with its etcd check failing, and returns how
// long that took; within is how long it may take.
func (d *deployment) untilNotReadyOnEtcd(r *replica, within time.Duration) time.Duration {
	d.t.Helper()
	pool, err := cert.NewPool(env.vars["CP_CA_CERT"])
	if err != nil {
		d.t.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}, DisableKeepAlives: true,
	}}
	start := time.Now()
	var last string
	for time.Since(start) < within {
		resp, err := client.Get(fmt.Sprintf("https://127.0.0.1:%d/readyz?verbose", d.port))
		if err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = fmt.Sprintf("%d %s", resp.StatusCode, data)
			if resp.StatusCode != http.StatusOK && strings.Contains(string(data), "[-]etcd ") {
				return time.Since(start)
			}
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	d.t.Errorf("replica %s: /readyz did not fail on etcd within %s: %s", r.name, within, last)
	return within
}

// checkFailuresOnlyIn: every failed request failed within the windows of that name.
func checkFailuresOnlyIn(t *testing.T, l *ledger.Ledger, window string) {
	t.Helper()
	if all, in := len(l.Failures()), l.FailuresIn(window); all != in {
		for _, f := range l.Failures() {
			t.Logf("failure at %s: %s %s: %d %s", f.When.Format("15:04:05.000"), f.Op, f.Name, f.Code, f.Message)
		}
		t.Errorf("%d of %d failures outside the %q windows", all-in, all, window)
	}
}
