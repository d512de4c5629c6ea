package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/test/bench/internal/benchkube"
)

// barePodThroughput is how many Pods per second a plain client creates here, as fast as it can: workers
// creating Pods shaped like the controller's (scheduled and run by kwok, as the stream's are) for the
// given time, with the controller's identity (the floor's client). Measured first, before anything else loads the machine; the stream's rate is a fraction of
// it. The namespace is deleted, and waited for, before the run goes on.
func barePodThroughput(ctx context.Context, c clients, d time.Duration, workers int) (float64, error) {
	ns, err := benchkube.NewNamespace(ctx, c.kube, "bench-punct-pods-")
	if err != nil {
		return 0, err
	}
	defer benchkube.DeleteNamespace(c.kube, ns, 3*time.Minute)
	progress("bare-Pod throughput: %d workers create Pods for %s", workers, d)
	var created, next atomic.Int64
	errs := make(chan error, workers)
	began := time.Now()
	end := began.Add(d)
	for w := 0; w < workers; w++ {
		go func() {
			var err error
			// Until the end, each worker's last create included: cancelling it would only add errors.
			for err == nil && time.Now().Before(end) {
				pod := &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%06d", next.Add(1))},
					Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
						Containers: []corev1.Container{{Name: "at", Image: "busybox", Command: []string{"true"}}}},
				}
				if _, err = c.floor.kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err == nil {
					created.Add(1)
				}
			}
			errs <- err
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			return 0, fmt.Errorf("bare-Pod throughput: %w", err)
		}
	}
	throughput := float64(created.Load()) / time.Since(began).Seconds()
	progress("bare-Pod throughput: %d Pods in %s: %.0f/s; deleting them", created.Load(), time.Since(began).Round(time.Millisecond), throughput)
	return throughput, nil
}
