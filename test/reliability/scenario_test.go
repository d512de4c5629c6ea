package reliability

import (
	"context"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/test/internal/ledger"
)

// The load of every scenario: writers and updaters through the aggregator at a pace the two cores of the
// machine carry besides three etcd members, kube-apiserver and the replicas, and two informers.
const (
	writers   = 4
	updaters  = 4
	perWorker = rate.Limit(10) // requests per second
	informers = 2
)

// phase is the short duration under make test, the long one under make reliability.
func phase(short, long time.Duration) time.Duration {
	if *longForm {
		return long
	}
	return short
}

// cycles is how many times a scenario repeats its fault.
func cycles() int {
	if *longForm {
		return 3
	}
	return 1
}

// loadRun is the load of one scenario, running in the background while the scenario makes faults.
type loadRun struct {
	t         *testing.T
	namespace string
	client    versioned.Interface
	ledger    *ledger.Ledger
	informers []*ledger.Informer
	stop      context.CancelFunc
	done      chan struct{}
}

// underLoad starts a deployment on three etcd members with the named replicas, ready and registered, puts
// the load on it and lets it run for a moment before the faults.
func underLoad(t *testing.T, replicas ...string) (*deployment, *loadRun) {
	t.Helper()
	d := newDeployment(t, 3)
	for _, name := range replicas {
		d.waitReady(d.start(name))
	}
	d.register()
	run := startLoad(t)
	time.Sleep(phase(3*time.Second, 15*time.Second))
	return d, run
}

// startLoad starts the informers (before any fault), then the writers and updaters.
func startLoad(t *testing.T) *loadRun {
	t.Helper()
	ns := namespace(t)
	c := client(t)
	run := &loadRun{t: t, namespace: ns, client: c, ledger: ledger.New(), done: make(chan struct{})}
	informerCtx, stopInformers := context.WithCancel(context.Background())
	t.Cleanup(stopInformers)
	for i := 0; i < informers; i++ {
		inf, err := ledger.StartInformer(informerCtx, c, ns)
		if err != nil {
			t.Fatal(err)
		}
		run.informers = append(run.informers, inf)
	}
	ctx, stop := context.WithCancel(context.Background())
	run.stop = stop
	load := &ledger.Load{Client: c, Namespace: ns, Writers: writers, Updaters: updaters, PerWorker: perWorker, Ledger: run.ledger}
	go func() {
		defer close(run.done)
		load.Run(ctx)
	}()
	t.Cleanup(func() { stop(); <-run.done })
	return run
}

// finish stops the load, waits for every informer to hold every acknowledged write, checks that nothing
// acknowledged is lost, and returns the scenario's figures (fault names the window whose failures count
// apart).
func (r *loadRun) finish(scenario, fault string) ledger.Row {
	r.t.Helper()
	r.stop()
	<-r.done
	acked := r.ledger.Acked()
	for i, inf := range r.informers {
		if missing := inf.WaitComplete(acked, 60*time.Second); len(missing) > 0 {
			r.t.Errorf("informer %d lacks %d acknowledged writes, e.g. %v", i, len(missing), missing[:min(5, len(missing))])
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lost, err := ledger.Lost(ctx, r.client, r.namespace, r.ledger)
	if err != nil {
		r.t.Fatalf("listing the Ats: %v", err)
	}
	if len(lost) > 0 {
		r.t.Errorf("%d acknowledged writes lost, e.g. %v", len(lost), lost[:min(5, len(lost))])
	}
	row := ledger.NewRow(scenario, r.ledger, len(lost), fault, r.informers)
	r.t.Logf("failures:\n%s", r.ledger.Summary())
	if row.Anonymous > 0 {
		r.t.Errorf("%d requests refused 401/403: a server answered before it could authenticate the aggregator", row.Anonymous)
	}
	if row.Acknowledged == 0 {
		r.t.Error("no write was acknowledged: the load did not run")
	}
	return row
}
