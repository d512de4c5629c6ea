package ledger

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
)

// Run is a load running on one namespace: informers started before any fault, then writers and updaters.
type Run struct {
	t         *testing.T
	client    versioned.Interface
	namespace string
	version   string
	Ledger    *Ledger
	Informers []*Informer
	stop      context.CancelFunc
	done      chan struct{}
}

// Shape is how much load a Run puts on: informers watching, writers creating, updaters changing, each
// worker at PerWorker requests per second.
type Shape struct {
	Informers, Writers, Updaters int
	PerWorker                    rate.Limit
	// RetryConflicts: see Load.RetryConflicts.
	RetryConflicts bool
	// Version is the version of the At API every worker and informer uses ("": v1beta1).
	Version string
}

// InVersion is the shape with every worker and informer using version.
func (s Shape) InVersion(version string) Shape {
	s.Version = version
	return s
}

// StartRun starts the informers (and waits for their first list), then the load; it stops when the test
// ends at the latest.
func StartRun(t *testing.T, client versioned.Interface, namespace string, shape Shape) *Run {
	t.Helper()
	run := &Run{t: t, client: client, namespace: namespace, version: shape.Version, Ledger: New(), done: make(chan struct{})}
	informerCtx, stopInformers := context.WithCancel(context.Background())
	t.Cleanup(stopInformers)
	for range shape.Informers {
		inf, err := StartInformerOf(informerCtx, client, namespace, shape.Version)
		if err != nil {
			t.Fatal(err)
		}
		run.Informers = append(run.Informers, inf)
	}
	ctx, stop := context.WithCancel(context.Background())
	run.stop = stop
	load := &Load{Client: client, Namespace: namespace, Writers: shape.Writers, Updaters: shape.Updaters,
		PerWorker: shape.PerWorker, RetryConflicts: shape.RetryConflicts, Ledger: run.Ledger, Version: shape.Version}
	go func() {
		defer close(run.done)
		load.Run(ctx)
	}()
	t.Cleanup(func() { stop(); <-run.done })
	return run
}

// Finish stops the load, waits for every informer to hold every acknowledged write, checks that nothing
// acknowledged is lost and that some write was acknowledged at all, and returns the figures (fault names the
// window whose failures count apart, if any).
func (r *Run) Finish(scenario, fault string) Row {
	r.t.Helper()
	r.stop()
	<-r.done
	acked := r.Ledger.Acked()
	for i, inf := range r.Informers {
		if missing := inf.WaitComplete(acked, 60*time.Second); len(missing) > 0 {
			r.t.Errorf("informer %d lacks %d acknowledged writes, e.g. %v", i, len(missing), missing[:min(5, len(missing))])
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lost, err := LostIn(ctx, r.client, r.namespace, r.version, r.Ledger)
	if err != nil {
		r.t.Fatalf("listing the Ats: %v", err)
	}
	if len(lost) > 0 {
		r.t.Errorf("%d acknowledged writes lost, e.g. %v", len(lost), lost[:min(5, len(lost))])
	}
	row := NewRow(scenario, r.Ledger, len(lost), fault, r.Informers)
	r.t.Logf("failures:\n%s", r.Ledger.Summary())
	if row.Anonymous > 0 {
		r.t.Errorf("%d requests refused 401/403: a server answered before it could authenticate the aggregator", row.Anonymous)
	}
	if row.Acknowledged == 0 {
		r.t.Error("no write was acknowledged: the load did not run")
	}
	return row
}

// String is the row's figures on one line, for a test's log.
func (row Row) String() string {
	return fmt.Sprintf("%s: %d attempts, %d writes acknowledged, %d lost, %d failed (%d in doubt), longest informer delay %s, %d relists",
		row.Scenario, row.Attempts, row.Acknowledged, row.Lost, row.Failed, row.InDoubt, row.LongestInformerDelay, row.Relists)
}

// Namespace is where the load runs.
func (r *Run) Namespace() string { return r.namespace }
