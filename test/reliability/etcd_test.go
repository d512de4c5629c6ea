package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/programming-kubernetes/cnat/test/internal/ledger"
)

// TestEtcdMemberKills kills (kill -9) the etcd leader under load, restarts it on its data dir, then does the
// same to a follower: nothing acknowledged is lost, informers end with every acknowledged At, and
// cnat-apiserver carries on without a restart.
func TestEtcdMemberKills(t *testing.T) {
	d, run := underLoad(t, "a")

	for range cycles() {
		leader := d.leader()
		follower := (leader + 1) % len(d.etcd.Members)
		for _, member := range []int{leader, follower} {
			d.etcd.Kill(member)
			time.Sleep(phase(2*time.Second, 10*time.Second))
			if err := d.etcd.Restart(member); err != nil {
				t.Fatal(err)
			}
			if err := d.etcd.WaitHealthy(time.Minute); err != nil {
				t.Fatal(err)
			}
			time.Sleep(phase(2*time.Second, 10*time.Second))
		}
	}
	report(t, d.finishEtcdFaults(run, "kill -9 of etcd leader, then follower", ""))
}

// TestEtcdMemberReplacement loses a member with its data (kill -9, data dir gone, as with a lost disk or
// PersistentVolume) under load and replaces it as docs/operations.md says: etcdctl member remove, member add,
// start the new member empty with --initial-cluster-state existing. It catches up from the others; nothing
// acknowledged is lost.
func TestEtcdMemberReplacement(t *testing.T) {
	d, run := underLoad(t, "a")

	for range cycles() {
		lost := (d.leader() + 1) % len(d.etcd.Members) // a follower: replacing the leader is the same after an election
		d.etcd.Kill(lost)
		commands, err := d.etcd.Replace(lost)
		for _, c := range commands {
			t.Log(c)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := d.etcd.WaitHealthy(time.Minute); err != nil {
			t.Fatal(err)
		}
		time.Sleep(phase(2*time.Second, 10*time.Second))
	}
	report(t, d.finishEtcdFaults(run, "etcd member lost with its data, replaced", ""))
	// The new member holds the data: every acknowledged At is readable from it alone.
	d.checkMemberHasEveryAt(run)
}

// TestEtcdQuorumLoss stops two of three etcd members under load: writes fail as 503 or 504 with Retry-After
// that name the storage (never a 500 with gRPC text), reads the watch cache can serve keep working, and all
// recovers on its own when the members return.
func TestEtcdQuorumLoss(t *testing.T) {
	d, run := underLoad(t, "a")
	raw := rawClient(t)

	var recovery time.Duration
	for range cycles() {
		leader := d.leader()
		down := []int{leader, (leader + 1) % len(d.etcd.Members)}
		start := time.Now()
		for _, m := range down {
			d.etcd.Kill(m)
		}

		// Without a quorum: a write is refused retryably, reads from the watch cache are served.
		checkStorageUnavailable(t, raw, run.Namespace())
		checkCachedReads(t, raw, run.Namespace())
		time.Sleep(phase(time.Second, 10*time.Second))

		for _, m := range down {
			if err := d.etcd.Restart(m); err != nil {
				t.Fatal(err)
			}
		}
		restarted := time.Now()
		recovered := untilWriteSucceeds(t, run, restarted)
		// Requests sent while there was no leader may be answered after the members are back.
		run.Ledger.MarkWindow("leaderless", start, restarted.Add(recovered))
		recovery = max(recovery, recovered)
		// The watch cache's reflector retries its broken etcd watch for 30 s of errors, counted together
		// when less than a minute apart (docs/operations.md): the next outage starts with a whole budget.
		time.Sleep(phase(2*time.Second, 65*time.Second))
	}
	row := d.finishEtcdFaults(run, "etcd quorum lost (2 of 3 killed), then back", "leaderless")
	row.Recover = recovery
	report(t, row)
}

// finishEtcdFaults ends the load of a scenario of etcd faults and checks what every such scenario promises:
// replica a, the only one, carried on without a restart, and what failed failed retryably.
func (d *deployment) finishEtcdFaults(run *ledger.Run, scenario, fault string) ledger.Row {
	d.t.Helper()
	row := run.Finish(scenario, fault)
	if server := d.replicas["a"]; !server.proc.Running() {
		d.t.Errorf("cnat-apiserver exited: %v", server.proc.Err())
	}
	checkRetryableFailures(d.t, run.Ledger)
	return row
}

// checkRetryableFailures: what failed while etcd was faulty failed as a Kubernetes answer clients retry, not
// as a 500 carrying gRPC text.
func checkRetryableFailures(t *testing.T, l *ledger.Ledger) {
	t.Helper()
	for _, f := range l.Failures() {
		if f.Code == http.StatusInternalServerError || strings.Contains(f.Message, "rpc error") {
			t.Errorf("%s %s: %d %s: want 503/504 without gRPC text", f.Op, f.Name, f.Code, f.Message)
		}
	}
}

// checkMemberHasEveryAt reads the Ats' keys from the most recently replaced member alone (a serializable
// read, answered from its own data).
func (d *deployment) checkMemberHasEveryAt(run *ledger.Run) {
	d.t.Helper()
	// Wait for the load's last writes to be applied everywhere.
	if err := d.etcd.WaitHealthy(time.Minute); err != nil {
		d.t.Fatal(err)
	}
	for i, m := range d.etcd.Members {
		client, err := d.etcd.Client(m.ClientURL)
		if err != nil {
			d.t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		resp, err := client.Get(ctx, "/cnat/", clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithSerializable())
		cancel()
		client.Close()
		if err != nil {
			d.t.Fatalf("member %d: %v", i, err)
		}
		keys := map[string]bool{}
		for _, kv := range resp.Kvs {
			keys[string(kv.Key)] = true
		}
		for name := range run.Ledger.Acked() {
			if !keys["/cnat/cnat.programming-kubernetes.info/ats/"+run.Namespace()+"/"+name] {
				d.t.Errorf("member %s lacks At %s", m.Name, name)
				break
			}
		}
	}
}

func (d *deployment) leader() int {
	d.t.Helper()
	leader, err := d.etcd.Leader(context.Background())
	if err != nil {
		d.t.Fatal(err)
	}
	return leader
}

// rawClient talks HTTP to kube-apiserver as the admin, without client-go's retries: to see the answers
// themselves.
func rawClient(t *testing.T) *rawAPI {
	t.Helper()
	config, err := clientcmd.BuildConfigFromFlags("", env.vars["KUBECONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	httpClient, err := rest.HTTPClientFor(config)
	if err != nil {
		t.Fatal(err)
	}
	httpClient.Timeout = 90 * time.Second
	return &rawAPI{base: config.Host, client: httpClient}
}

type rawAPI struct {
	base   string
	client *http.Client
}

func (r *rawAPI) do(method, path, body string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, r.base+path, strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

func atsPath(namespace string) string {
	return "/apis/cnat.programming-kubernetes.info/v1beta1/namespaces/" + namespace + "/ats"
}

// checkStorageUnavailable posts an At while etcd has no quorum: the answer must be a Status 503 or 504 with
// Retry-After that names the storage, not a 500 carrying gRPC text.
func checkStorageUnavailable(t *testing.T, raw *rawAPI, namespace string) {
	t.Helper()
	body, _ := json.Marshal(ledger.NewAt("written-without-quorum"))
	resp, data, err := raw.do(http.MethodPost, atsPath(namespace), string(body))
	if err != nil {
		t.Fatalf("create without quorum: %v", err)
	}
	var status metav1.Status
	_ = json.Unmarshal(data, &status)
	switch {
	case resp.StatusCode != http.StatusServiceUnavailable && resp.StatusCode != http.StatusGatewayTimeout:
		t.Errorf("create without quorum: %d %s, want 503 or 504", resp.StatusCode, data)
	case resp.Header.Get("Retry-After") == "":
		t.Errorf("create without quorum: %d without Retry-After: %s", resp.StatusCode, data)
	case status.Kind != "Status" || !strings.Contains(status.Message, "storage"):
		t.Errorf("create without quorum: %d, want a Status naming the storage, got %s", resp.StatusCode, data)
	case strings.Contains(string(data), "rpc error"):
		t.Errorf("create without quorum carries gRPC text: %s", data)
	default:
		t.Logf("create without quorum: %d Retry-After %s: %s", resp.StatusCode, resp.Header.Get("Retry-After"), status.Message)
	}
}

// checkCachedReads lists and gets with resourceVersion=0 (what informers and kubectl get --raw … may ask):
// the watch cache answers them without etcd.
func checkCachedReads(t *testing.T, raw *rawAPI, namespace string) {
	t.Helper()
	resp, data, err := raw.do(http.MethodGet, atsPath(namespace)+"?resourceVersion=0", "")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("list from the watch cache without quorum: %v %v %s", err, statusOf(resp), data)
		return
	}
	var list struct {
		Items []struct{ Metadata metav1.ObjectMeta }
	}
	if err := json.Unmarshal(data, &list); err != nil || len(list.Items) == 0 {
		t.Errorf("list from the watch cache without quorum: %d items (%v)", len(list.Items), err)
		return
	}
	name := list.Items[0].Metadata.Name
	resp, data, err = raw.do(http.MethodGet, atsPath(namespace)+"/"+name+"?resourceVersion=0", "")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("get from the watch cache without quorum: %v %v %s", err, statusOf(resp), data)
	}
}

func statusOf(resp *http.Response) string {
	if resp == nil {
		return "no answer"
	}
	return fmt.Sprint(resp.StatusCode)
}

// untilWriteSucceeds returns how long after since the first write of the load was acknowledged again.
func untilWriteSucceeds(t *testing.T, run *ledger.Run, since time.Time) time.Duration {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if at, ok := run.Ledger.LastAcknowledged(); ok && at.After(since) {
			return at.Sub(since)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no write succeeded within 2 minutes of etcd's quorum returning")
	return 0
}
