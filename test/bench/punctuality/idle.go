package main

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/test/bench/internal/benchkube"
	"github.com/programming-kubernetes/cnat/test/bench/internal/proccpu"
	"github.com/programming-kubernetes/cnat/test/bench/internal/workload"
)

// The leader's work queue of Ats, on its /metrics: every At the informer delivers is added once; a sync of a
// waiting At puts it back with AddAfter, which counts as an add only when it falls due.
const (
	queueAdds  = `workqueue_adds_total{name="ats"}`
	queueDepth = `workqueue_depth{name="ats"}`
)

// idleFigures are what the waiting Ats cost the leader.
type idleFigures struct {
	namespace    string
	waiting      int
	created      workload.Result
	before, with memory           // the leader's, before the waiting Ats and with them
	window       time.Duration    // the quiet window
	cpu          proccpu.Snapshot // each process's CPU during it
	adds         float64          // Ats added to the leader's queue during it: none is due
}

// measureIdle creates the waiting Ats, waits until the leader has queued every one (and a settling time),
// then measures each process's CPU over the quiet window, and the leader's memory against what it held
// before them.
func measureIdle(ctx context.Context, c clients, o options, r replicas) (*idleFigures, error) {
	f := &idleFigures{waiting: o.waiting, window: o.idle}
	var err error
	if f.before, err = r.leader.memory(ctx, o.pidDir); err != nil {
		return nil, err
	}
	addsBefore, err := r.leader.metrics(ctx, queueAdds)
	if err != nil {
		return nil, err
	}
	if f.namespace, err = benchkube.NewNamespace(ctx, c.kube, "bench-punct-waiting-"); err != nil {
		return nil, err
	}
	if f.created, err = createWaiting(ctx, c, o, f.namespace); err != nil {
		return nil, err
	}
	if err := queued(ctx, r.leader, addsBefore[0]+float64(o.waiting)); err != nil {
		return nil, err
	}
	progress("the leader has queued every waiting At; settling for %s, then a quiet window of %s", o.settle, o.idle)
	time.Sleep(o.settle)

	adds, err := r.leader.metrics(ctx, queueAdds)
	if err != nil {
		return nil, err
	}
	cpuBefore := proccpu.Take(o.pidDir)
	time.Sleep(o.idle)
	f.cpu = proccpu.Take(o.pidDir).Since(cpuBefore)
	addsAfter, err := r.leader.metrics(ctx, queueAdds)
	if err != nil {
		return nil, err
	}
	f.adds = addsAfter[0] - adds[0]
	if f.with, err = r.leader.memory(ctx, o.pidDir); err != nil {
		return nil, err
	}
	return f, nil
}

// createWaiting creates the waiting Ats w-000000… in ns, due from --waiting-in on, spread evenly (at whole
// seconds: the API keeps no more) over --waiting-spread, in chunks of 10,000 with a progress line each.
func createWaiting(ctx context.Context, c clients, o options, ns string) (workload.Result, error) {
	first := time.Now().Add(o.waitingIn).Truncate(time.Second)
	step := o.waitingSpread / time.Duration(max(o.waiting, 1))
	create := func(ctx context.Context, i int) error {
		_, err := c.ats.CnatV1beta1().Ats(ns).Create(ctx, newAt(fmt.Sprintf("w-%06d", i), first.Add(time.Duration(i)*step)), metav1.CreateOptions{})
		return err
	}
	const chunk = 10000
	var created workload.Result
	for from := 0; from < o.waiting; from += chunk {
		to := min(from+chunk, o.waiting)
		r, err := workload.Run(ctx, o.createWorkers, from, to, create)
		if err != nil {
			return workload.Result{}, fmt.Errorf("creating the waiting Ats: %w", err)
		}
		created = workload.Merge(created, r)
		progress("waiting Ats: %d of %d created (%.0f/s)", to, o.waiting, r.Throughput())
	}
	return created, nil
}

// newAt is an At of the benchmark, due at schedule (truncated to the second, as the API keeps it).
func newAt(name string, schedule time.Time) *v1beta1.At {
	return &v1beta1.At{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       v1beta1.AtSpec{Schedule: metav1.NewTime(schedule.Truncate(time.Second)), Command: []string{"true"}, Image: "busybox"},
	}
}

// queued waits (up to five minutes) until the leader's queue has had adds Ats added and holds none ready:
// its informer has delivered every waiting At and its workers have put each back to wait.
func queued(ctx context.Context, leader replica, adds float64) error {
	var v []float64
	var err error
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		if v, err = leader.metrics(ctx, queueAdds, queueDepth); err == nil && v[0] >= adds && v[1] == 0 {
			return nil
		}
	}
	return fmt.Errorf("the leader %s did not queue every waiting At within five minutes (%v, %v; want %.0f adds)", leader.name, v, err, adds)
}
