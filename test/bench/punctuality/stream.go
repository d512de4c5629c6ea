package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/controller"
	"github.com/programming-kubernetes/cnat/test/bench/internal/benchkube"
	"github.com/programming-kubernetes/cnat/test/bench/internal/proccpu"
	"github.com/programming-kubernetes/cnat/test/bench/internal/seen"
	"github.com/programming-kubernetes/cnat/test/bench/internal/workload"
)

// due is one At of the stream and the whole second it is due at: the controller's (its schedule) or the
// floor's (the instant the floor client acts for it).
type due struct {
	name string
	at   time.Time
}

// plan lays the stream out: rounds of two windows of whole seconds each, the controller's first, then the
// floor's, rate Ats due at every second of each. The windows alternate so that both sides meet the same
// machine (the other work on it drifts over minutes), and neither side's Pods compete with the other's at
// the same instant. t0 is a whole second.
func plan(t0 time.Time, window time.Duration, rounds, rate int) (controllerDue, floorDue []due) {
	seconds := int(window / time.Second)
	for r := 0; r < rounds; r++ {
		for k := 0; k < seconds; k++ {
			for i := 0; i < rate; i++ {
				offset := time.Duration(2*r*seconds+k) * time.Second
				controllerDue = append(controllerDue, due{fmt.Sprintf("s-%02d-%03d-%03d", r, k, i), t0.Add(offset)})
				floorDue = append(floorDue, due{fmt.Sprintf("f-%02d-%03d-%03d", r, k, i), t0.Add(offset + window)})
			}
		}
	}
	return controllerDue, floorDue
}

// streamFigures are what the stream measured.
type streamFigures struct {
	namespace, floorNamespace string
	ats                       int // on each side
	// Lags from each At's instant to the watch event, sorted: the controller's Ats' Pod and Running, the
	// floor's.
	pod, running, floorPod, floorRunning []time.Duration
	early                                int // Pods of the controller seen before their At's schedule
	missed, duplicates                   int // Ats of the stream without a Pod, Pods beyond one per At
	notRunning                           int // Ats of the stream never seen Running
	floorErrors                          int
	waitingPods                          int              // Pods of waiting Ats: fired early (set by run)
	cpuController, cpuFloor              proccpu.Snapshot // each process's CPU in the controller's and the floor's windows
	controllerWall, floorWall            time.Duration
}

// watches times, per namespace, each Pod's ADDED (by the At it runs: the label) and each At's first status
// past Pending.
type watches struct{ pods, running *seen.Times }

func watchNamespace(ctx context.Context, c clients, ns string) (watches, error) {
	pods, err := seen.Watch(ctx, func(rv string) (watch.Interface, error) {
		return c.kube.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: controller.AtLabel, ResourceVersion: rv})
	}, func(o runtime.Object) (string, bool) { return o.(*corev1.Pod).Labels[controller.AtLabel], true })
	if err != nil {
		return watches{}, err
	}
	running, err := seen.Watch(ctx, func(rv string) (watch.Interface, error) {
		return c.ats.CnatV1beta1().Ats(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: rv})
	}, func(o runtime.Object) (string, bool) {
		at := o.(*v1beta1.At)
		return at.Name, at.Status.Phase != v1beta1.AtPending && at.Status.Phase != ""
	})
	return watches{pods, running}, err
}

// runStream creates the stream's Ats (the controller's due in its windows; the floor's due in a day, so that
// the controller never starts them), then runs the windows and waits until every At was seen Running.
func runStream(ctx context.Context, c clients, o options, rate int) (*streamFigures, error) {
	f := &streamFigures{}
	var err error
	if f.namespace, err = benchkube.NewNamespace(ctx, c.kube, "bench-punct-stream-"); err != nil {
		return nil, err
	}
	if f.floorNamespace, err = benchkube.NewNamespace(ctx, c.kube, "bench-punct-floor-"); err != nil {
		return nil, err
	}
	watchCtx, stopWatches := context.WithCancel(ctx)
	defer stopWatches()
	ctrlSeen, err := watchNamespace(watchCtx, c, f.namespace)
	if err != nil {
		return nil, err
	}
	floorSeen, err := watchNamespace(watchCtx, c, f.floorNamespace)
	if err != nil {
		return nil, err
	}

	// The floor's Ats first: how fast they are created says how far ahead the controller's must be due.
	_, floorPlan := plan(time.Time{}, o.window, o.rounds, rate)
	f.ats = len(floorPlan)
	floorAts := make([]*v1beta1.At, len(floorPlan))
	created, err := workload.Run(ctx, o.createWorkers, 0, len(floorPlan), func(ctx context.Context, i int) error {
		var err error
		floorAts[i], err = c.ats.CnatV1beta1().Ats(f.floorNamespace).Create(ctx, newAt(floorPlan[i].name, time.Now().Add(24*time.Hour)), metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("creating the floor's Ats: %w", err)
	}
	lead := 2*created.Elapsed + 15*time.Second
	t0 := time.Now().Add(lead).Truncate(time.Second).Add(time.Second)
	ctrlPlan, floorPlan := plan(t0, o.window, o.rounds, rate)
	if _, err := workload.Run(ctx, o.createWorkers, 0, len(ctrlPlan), func(ctx context.Context, i int) error {
		_, err := c.ats.CnatV1beta1().Ats(f.namespace).Create(ctx, newAt(ctrlPlan[i].name, ctrlPlan[i].at), metav1.CreateOptions{})
		return err
	}); err != nil {
		return nil, fmt.Errorf("creating the stream's Ats: %w", err)
	}
	if time.Now().After(t0) {
		return nil, fmt.Errorf("creating the stream's Ats took past its first schedule")
	}
	progress("stream: %d Ats due per second from %s, %d rounds of %s for the controller then %s for the floor (%d Ats each)",
		rate, t0.Format(time.TimeOnly), o.rounds, o.window, o.window, f.ats)

	f.floorErrors = runWindows(ctx, c, o, f, t0, floorPlan, floorAts)

	last := floorPlan[len(floorPlan)-1].at
	seen.Until(last.Add(2*time.Minute), func() bool {
		return ctrlSeen.running.Count() >= f.ats && floorSeen.running.Count() >= f.ats-f.floorErrors
	})
	stopWatches()
	f.pod, f.early = lagsOf(ctrlPlan, ctrlSeen.pods)
	f.running, _ = lagsOf(ctrlPlan, ctrlSeen.running)
	f.floorPod, _ = lagsOf(floorPlan, floorSeen.pods)
	f.floorRunning, _ = lagsOf(floorPlan, floorSeen.running)
	f.notRunning = f.ats - len(f.running)
	f.missed, f.duplicates, err = podsPerAt(ctx, c, f.namespace)
	return f, err
}

// runWindows waits through the controller's windows (the controller acts on its own) and acts in the
// floor's: at each whole second, for each of the floor's Ats due then, a goroutine creates the Pod
// cnat-controller would create and writes the status it would write (controller.NewPod,
// controller.RunningStatus) with the controller's identity, without waiting for the earlier ones (open loop: a late answer does not delay
// the next instant). It notes each process's CPU in each kind of window, and returns how many of the floor's
// Ats failed.
func runWindows(ctx context.Context, c clients, o options, f *streamFigures, t0 time.Time, floorPlan []due, floorAts []*v1beta1.At) int {
	var (
		wg       sync.WaitGroup
		failures atomic.Int64
		once     sync.Once
	)
	act := func(at *v1beta1.At) {
		defer wg.Done()
		pod, err := c.floor.kube.CoreV1().Pods(at.Namespace).Create(ctx, controller.NewPod(at), metav1.CreateOptions{FieldManager: controller.ControllerName})
		if err == nil {
			at.Status = *controller.RunningStatus(at, pod, controller.ReasonPodCreated)
			_, err = c.floor.ats.CnatV1beta1().Ats(at.Namespace).UpdateStatus(ctx, at, metav1.UpdateOptions{FieldManager: controller.ControllerName})
		}
		if err != nil {
			failures.Add(1)
			once.Do(func() { progress("floor: %s: %v", at.Name, err) })
		}
	}
	f.cpuController, f.cpuFloor = proccpu.Snapshot{}, proccpu.Snapshot{}
	add := func(sum proccpu.Snapshot, used proccpu.Snapshot) {
		for name, t := range used {
			sum[name] += t
		}
	}
	next := 0
	for r := 0; r < o.rounds; r++ {
		ctrlStart := t0.Add(time.Duration(2*r) * o.window)
		floorStart, end := ctrlStart.Add(o.window), ctrlStart.Add(2*o.window)
		time.Sleep(time.Until(ctrlStart))
		cpuStart := proccpu.Take(o.pidDir)
		time.Sleep(time.Until(floorStart))
		cpuFloor := proccpu.Take(o.pidDir)
		add(f.cpuController, cpuFloor.Since(cpuStart))
		for ; next < len(floorPlan) && floorPlan[next].at.Before(end); next++ {
			time.Sleep(time.Until(floorPlan[next].at))
			wg.Add(1)
			go act(floorAts[next])
		}
		time.Sleep(time.Until(end))
		add(f.cpuFloor, proccpu.Take(o.pidDir).Since(cpuFloor))
		progress("stream: round %d of %d done", r+1, o.rounds)
	}
	f.controllerWall = time.Duration(o.rounds) * o.window
	f.floorWall = f.controllerWall
	wg.Wait()
	return int(failures.Load())
}

// lagsOf is, sorted, how long after its instant each planned At was seen, and how many were seen before it.
func lagsOf(planned []due, times *seen.Times) (lags []time.Duration, early int) {
	all := times.All()
	for _, d := range planned {
		t, ok := all[d.name]
		if !ok {
			continue
		}
		lag := t.Sub(d.at)
		if lag < 0 {
			early++
		}
		lags = append(lags, lag)
	}
	slices.Sort(lags)
	return lags, early
}

// podsPerAt checks exactly one Pod per At of ns: by the Pods' controller owner references (the label could
// be copied; the owner reference names the At's UID). It returns the Ats without a Pod, and the Pods beyond
// the first of each At.
func podsPerAt(ctx context.Context, c clients, ns string) (missed, duplicates int, err error) {
	ats, err := c.ats.CnatV1beta1().Ats(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, 0, err
	}
	pods, err := c.kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, 0, err
	}
	perAt := map[types.UID]int{}
	for i := range pods.Items {
		if owner := metav1.GetControllerOf(&pods.Items[i]); owner != nil && owner.Kind == "At" {
			perAt[owner.UID]++
		}
	}
	for _, at := range ats.Items {
		switch n := perAt[at.UID]; {
		case n == 0:
			missed++
		case n > 1:
			duplicates += n - 1
		}
	}
	return missed, duplicates, nil
}

// podCount is how many Pods ns holds.
func podCount(ctx context.Context, kube kubernetes.Interface, ns string) (int, error) {
	pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	return len(pods.Items), nil
}
