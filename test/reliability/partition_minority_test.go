package reliability

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/programming-kubernetes/cnat/test/internal/etcdcluster"
	"github.com/programming-kubernetes/cnat/test/internal/partition"
)

// TestEtcdMinorityPartition cuts the etcd leader off from the other two members and from cnat-apiserver
// (it runs in a network namespace of its own; the link goes down, packets are dropped) under load, while
// cnat-apiserver writes through the other two, which elect a new leader. Then the link heals and the member
// catches up. Nothing acknowledged is lost, failures stay within the election plus the time cnat-apiserver's
// etcd client takes to give up its connection to the member cut off, and that member ends with every
// acknowledged At.
func TestEtcdMinorityPartition(t *testing.T) {
	link := partition.NewIn(t, "partm2", "10.78", 1)
	// Members 0 and 1 listen on the host end's address: reachable from the host, and from member 2 over the
	// link only. The address stays reachable from the host while its link is down.
	const cutOff = 2
	placements := []etcdcluster.Placement{{Host: link.HostIP}, {Host: link.HostIP}, {Host: link.NsIP, Netns: link.Netns}}
	d, run := deploymentUnderLoad(newPlacedDeployment(t, placements), "a")
	cutFor := phase(8*time.Second, 20*time.Second)

	var election time.Duration
	for range cycles() {
		// The member cut off leads: the others must elect a new leader, the worst case of a minority.
		d.moveLeader(cutOff)
		ackedBefore := run.Ledger.WritesAcknowledged()
		cut := time.Now()
		if err := link.Cut(); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: member %d (the leader) cut off", cut.Format("15:04:05.000"), cutOff)
		elected := d.untilLeaderAmong(cut, 0, 1)
		t.Logf("a new leader %.2fs after the cut", elected.Seconds())
		election = max(election, elected)
		time.Sleep(time.Until(cut.Add(cutFor)))
		if err := link.Heal(); err != nil {
			t.Fatal(err)
		}
		healed := time.Now()
		t.Logf("%d writes acknowledged during the cut", run.Ledger.WritesAcknowledged()-ackedBefore)
		if err := d.etcd.WaitHealthy(time.Minute); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: healed after %s; member %d answers again %.2fs later", healed.Format("15:04:05.000"),
			healed.Sub(cut).Round(time.Millisecond), cutOff, time.Since(healed).Seconds())
		run.Ledger.MarkWindow("cut", cut, cut.Add(elected+etcdKeepaliveTimeout+retryAfterMargin))
		// After the heal, cnat-apiserver's client reaches the member again; a write sent to it while it still
		// catches up may wait for etcd's request timeout and be answered 504 though written (in doubt: the
		// retry gets a 409).
		run.Ledger.MarkWindow("cut", healed, healed.Add(etcdRequestTimeout+retryAfterMargin))
		time.Sleep(phase(2*time.Second, 10*time.Second))
	}
	row := d.finishEtcdFaults(run, fmt.Sprintf("etcd leader cut off from the others %ds", int(cutFor.Seconds())), "cut")
	row.Recover = election
	report(t, row)
	checkFailuresOnlyIn(t, run.Ledger, "cut")
	// The member cut off caught up: every acknowledged At is readable from it alone (and from the others).
	d.checkMemberHasEveryAt(run)
}

// etcdKeepaliveTimeout is how long a request that cnat-apiserver had sent on its connection to the member
// cut off waits before that connection is given up (k8s.io/apiserver's etcd client: gRPC keepalive timeout,
// which is also the connection's TCP_USER_TIMEOUT): it is then answered 503 with Retry-After, and may have
// been applied (in doubt: client-go's retry gets a 409). Until then a third of the requests wait on it.
const etcdKeepaliveTimeout = 10 * time.Second

// etcdRequestTimeout is how long an etcd member waits for a write it proposed to be applied before it
// answers "etcdserver: request timed out": 5 s + 2 election timeouts (1 s each by default).
const etcdRequestTimeout = 7 * time.Second

// moveLeader makes member i the leader (etcdctl move-leader) and waits until it leads.
func (d *deployment) moveLeader(i int) {
	d.t.Helper()
	leader := d.leader()
	if leader == i {
		return
	}
	client, err := d.etcd.Client(d.etcd.Members[leader].ClientURL)
	if err != nil {
		d.t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	status, err := client.Status(ctx, d.etcd.Members[i].ClientURL)
	if err != nil {
		d.t.Fatal(err)
	}
	if _, err := client.MoveLeader(ctx, status.Header.MemberId); err != nil {
		d.t.Fatalf("move leader to member %d: %v", i, err)
	}
	for d.leader() != i {
		if ctx.Err() != nil {
			d.t.Fatalf("member %d does not lead 30s after move-leader", i)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// untilLeaderAmong waits until one of the members leads, as they see it, and returns how long after since.
func (d *deployment) untilLeaderAmong(since time.Time, members ...int) time.Duration {
	d.t.Helper()
	var urls []string
	for _, i := range members {
		urls = append(urls, d.etcd.Members[i].ClientURL)
	}
	client, err := d.etcd.Client(urls...)
	if err != nil {
		d.t.Fatal(err)
	}
	defer client.Close()
	ids := map[uint64]bool{}
	for time.Since(since) < time.Minute {
		for _, url := range urls {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			status, err := client.Status(ctx, url)
			cancel()
			if err != nil {
				continue
			}
			ids[status.Header.MemberId] = true
			if ids[status.Leader] {
				return time.Since(since)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.t.Fatalf("no leader among members %v within a minute", members)
	return 0
}
