package controller

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/component-base/metrics"
	clocktesting "k8s.io/utils/clock/testing"

	kubeinformers "k8s.io/client-go/informers"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	atfake "github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/fake"
	atinformers "github.com/programming-kubernetes/cnat/pkg/generated/informers/externalversions"
)

// BenchmarkWaitingAts measures what waiting Ats cost the controller, per At: the At cache's Go heap, with and
// without the informers' transform (TrimForCache), the work queue's (an AddAfter entry per At: the delaying
// queue keeps a heap of them and one timer for the earliest, not a timer each), and the CPU of a resync
// (every At queued and synced once more, which is what --resync-period does each period). Run it once:
//
//	go test -run '^$' -bench WaitingAts -benchtime 1x ./pkg/controller/
func BenchmarkWaitingAts(b *testing.B) {
	const n = 100000
	for _, trim := range []bool{true, false} {
		b.Run(fmt.Sprintf("trimmed=%v", trim), func(b *testing.B) {
			for b.Loop() {
				c, add := benchController(b)
				before := heapInUse()
				for i := 0; i < n; i++ {
					at := decodedAt(i)
					if trim {
						_, _ = TrimForCache(at)
					}
					add(at)
				}
				cached := heapInUse()
				ctx := context.Background()
				for i := 0; i < n; i++ {
					c.queue.Add(fmt.Sprintf("ns/w-%06d", i))
				}
				drain(ctx, c)
				queued := heapInUse()
				began := time.Now()
				requeueAll(c)
				drain(ctx, c)
				resync := time.Since(began)
				b.ReportMetric(float64(cached-before)/n, "cache-B/At")
				b.ReportMetric(float64(queued-cached)/n, "queue-B/At")
				b.ReportMetric(float64(resync.Nanoseconds())/n, "resync-ns/At")
				c.queue.ShutDown()
			}
		})
	}
}

// benchController is a controller over fake clients whose At cache is filled by add.
func benchController(b *testing.B) (*Controller, func(*v1beta1.At)) {
	atClient, kubeClient := atfake.NewSimpleClientset(), kubefake.NewSimpleClientset()
	ats := atinformers.NewSharedInformerFactory(atClient, 0)
	pods := kubeinformers.NewSharedInformerFactory(kubeClient, 0)
	c, err := New(atClient, kubeClient, ats.Cnat().V1beta1().Ats(), pods.Core().V1().Pods(),
		NewMetrics(metrics.NewKubeRegistry().MustRegister), clocktesting.NewFakeClock(now))
	if err != nil {
		b.Fatal(err)
	}
	indexer := ats.Cnat().V1beta1().Ats().Informer().GetIndexer()
	return c, func(at *v1beta1.At) { _ = indexer.Add(at) }
}

// decodedAt is a waiting At as the informer decodes it from the API: every string its own allocation, and
// the managedFields entry its creator's write leaves.
func decodedAt(i int) *v1beta1.At {
	return &v1beta1.At{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("w-%06d", i), Namespace: fmt.Sprint("ns"), UID: types.UID(fmt.Sprintf("638700d5-1a93-4d35-b9ca-%012d", i)),
			ResourceVersion: fmt.Sprint(100000 + i), Generation: 1, CreationTimestamp: metav1.NewTime(now),
			ManagedFields: []metav1.ManagedFieldsEntry{{
				Manager: fmt.Sprint("punctuality"), Operation: metav1.ManagedFieldsOperationUpdate,
				APIVersion: fmt.Sprint("cnat.programming-kubernetes.info/v1beta1"), Time: &metav1.Time{Time: now},
				FieldsType: fmt.Sprint("FieldsV1"), FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:command":{},"f:image":{},"f:schedule":{}}}`)},
			}},
		},
		Spec:   v1beta1.AtSpec{Schedule: metav1.NewTime(now.Add(time.Hour + time.Duration(i)*time.Second)), Command: []string{fmt.Sprint("true")}, Image: fmt.Sprint("busybox")},
		Status: v1beta1.AtStatus{Phase: v1beta1.AtPending},
	}
}

// requeueAll queues every cached At, as a resync's update events do.
func requeueAll(c *Controller) {
	ats, _ := c.ats.List(labels.Everything())
	for _, at := range ats {
		c.enqueueAt(at)
	}
}

// drain syncs queued Ats until none is ready.
func drain(ctx context.Context, c *Controller) {
	for c.queue.Len() > 0 {
		c.processNextItem(ctx)
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
