package main

import (
	"context"
	"fmt"
	"os"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/controller"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/test/bench/internal/benchkube"
	"github.com/programming-kubernetes/cnat/test/bench/internal/seen"
)

// runningFloor measures the floor under the At Running lag: the least work that makes an At Running, done
// at once for the same number of Ats by a client that does nothing else. Per At it creates the Pod
// cnat-controller would create and writes the status cnat-controller would write (through the aggregator),
// nothing more: no informer, no queue, no event. Everything else happens as in the controller's run: the
// scheduler binds the Pods, kwok runs them, and cnat-controller, which sees Ats Running in Pods they control,
// follows them to their end as it does its own. The Ats are created beforehand, due in an hour, so that the
// controller does not start them itself. It returns the p99 of the lag from the start to each At's Running.
func runningFloor(ctx context.Context, config *rest.Config, count, workers int) (time.Duration, error) {
	config = benchkube.FloorConfig(config)
	kube, err := kubernetes.NewForConfig(config)
	if err != nil {
		return 0, err
	}
	ats, err := versioned.NewForConfig(config)
	if err != nil {
		return 0, err
	}
	ns, err := benchkube.NewNamespace(ctx, kube, "bench-floor-running-")
	if err != nil {
		return 0, err
	}
	defer benchkube.DeleteNamespace(kube, ns, 2*time.Minute)
	if err := createAts(ctx, ats, ns, count, time.Now().Add(time.Hour)); err != nil {
		return 0, err
	}
	list, err := ats.CnatV1beta1().Ats(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	if len(list.Items) != count {
		return 0, fmt.Errorf("listed %d of the %d Ats of the Running floor", len(list.Items), count)
	}

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	seen, err := seen.Watch(watchCtx, func(rv string) (watch.Interface, error) {
		return ats.CnatV1beta1().Ats(ns).Watch(watchCtx, metav1.ListOptions{ResourceVersion: rv})
	}, func(o runtime.Object) (string, bool) {
		at := o.(*v1beta1.At)
		return at.Name, at.Status.Phase == v1beta1.AtRunning
	})
	if err != nil {
		return 0, err
	}

	b, err := runBurst(ctx, seen, count, workers, "Ats of the Running floor", func(i int, _ time.Time) error {
		at := &list.Items[i]
		pod, err := kube.CoreV1().Pods(ns).Create(ctx, controller.NewPod(at), metav1.CreateOptions{FieldManager: controller.ControllerName})
		if err != nil {
			return err
		}
		at.Status = *controller.RunningStatus(at, pod, controller.ReasonPodCreated)
		_, err = ats.CnatV1beta1().Ats(ns).UpdateStatus(ctx, at, metav1.UpdateOptions{FieldManager: controller.ControllerName})
		return err
	})
	if err != nil {
		return 0, err
	}
	fmt.Printf("\nRunning floor: %d Ats made Running at once (their Pod created, their status written) by %d workers of a client that does nothing else\n", count, workers)
	printLags("lag from start to", []lagRow{{"At Running (watch)", b.lags}})
	b.cpu.Print(os.Stdout, "from the start until every At was seen Running", b.wall, count)
	return percentile(b.lags, 0.99), nil
}
