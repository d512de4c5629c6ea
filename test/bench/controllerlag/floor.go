package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/test/bench/internal/benchkube"
	"github.com/programming-kubernetes/cnat/test/bench/internal/proccpu"
	"github.com/programming-kubernetes/cnat/test/bench/internal/seen"
	"github.com/programming-kubernetes/cnat/test/bench/internal/workload"
)

// podFloor measures the floor under the controller's lag: the same number of Pods, shaped like the
// controller's, created at once by as many workers as the controller has, in protobuf and without a client
// rate limit, by a client that does nothing else (no At to read, no status to write, no event). It prints
// the lag from the start to each Pod's ADDED event, as the At benchmark does from the schedule. No
// controller can start its Pods sooner than kube-apiserver accepts them; this is how soon that is here. It
// returns the p99 of that lag.
func podFloor(ctx context.Context, config *rest.Config, count, workers int) (time.Duration, error) {
	kube, err := kubernetes.NewForConfig(benchkube.FloorConfig(config))
	if err != nil {
		return 0, err
	}
	ns, err := benchkube.NewNamespace(ctx, kube, "bench-floor-")
	if err != nil {
		return 0, err
	}
	defer benchkube.DeleteNamespace(kube, ns, 2*time.Minute)

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	seen, err := seen.Watch(watchCtx, func(rv string) (watch.Interface, error) {
		return kube.CoreV1().Pods(ns).Watch(watchCtx, metav1.ListOptions{ResourceVersion: rv})
	}, func(o runtime.Object) (string, bool) { return o.(*corev1.Pod).Name, true })
	if err != nil {
		return 0, err
	}

	var (
		mu       sync.Mutex
		answered = make([]time.Duration, 0, count)
	)
	b, err := runBurst(ctx, seen, count, workers, "Pods of the floor", func(i int, start time.Time) error {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("floor-%04d", i), Labels: map[string]string{"bench": "floor"}},
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{Name: "at", Image: "busybox", Command: []string{"true"}}}},
		}
		if _, err := kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			return err
		}
		mu.Lock()
		answered = append(answered, time.Since(start))
		mu.Unlock()
		return nil
	})
	if err != nil {
		return 0, err
	}
	fmt.Printf("\nFloor: %d Pods created at once by %d workers of a client that does nothing else\n", count, workers)
	// The create's answer is the earliest the Pod can be known to exist; the watch adds its delivery.
	slices.Sort(answered)
	printLags("lag from start to", []lagRow{{"Pod create answered", answered}, {"Pod created (watch)", b.lags}})
	b.cpu.Print(os.Stdout, "from the start until every Pod was seen", b.wall, count)
	return percentile(b.lags, 0.99), nil
}

// burst is what a floor's burst took: each object's lag from its start until seen (sorted), the wall time
// until the last was seen, and the CPU each process spent meanwhile.
type burst struct {
	lags []time.Duration
	wall time.Duration
	cpu  proccpu.Snapshot
}

// runBurst lets what the floor set up settle for a second, then calls do for 0…count-1 from workers at once
// and waits until seen has count objects (what names them in an error). Both floors measure the same way.
func runBurst(ctx context.Context, watched *seen.Times, count, workers int, what string, do func(i int, start time.Time) error) (*burst, error) {
	time.Sleep(time.Second)
	cpuBefore, start := proccpu.Take(pidDir), time.Now()
	if _, err := workload.Run(ctx, workers, 0, count, func(_ context.Context, i int) error { return do(i, start) }); err != nil {
		return nil, err
	}
	if err := watched.WaitFor(count, what); err != nil {
		return nil, err
	}
	cpuAfter, wall := proccpu.Take(pidDir), time.Since(start)
	return &burst{lags: watched.LagsSince(start), wall: wall, cpu: cpuAfter.Since(cpuBefore)}, nil
}
