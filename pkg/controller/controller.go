// Package controller runs each At in a Pod when its schedule comes, and reports the outcome in the At's
// status: Pending until the schedule, Running while its Pod runs, then Succeeded or Failed.
//
// It is a client-go controller the way the book teaches: shared informers and listers for Ats (through the
// aggregated API) and Pods, a rate-limited work queue of At keys, AddAfter for schedules, several workers,
// deep copies before any change, and status written through ats/status.
package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/scheme"
	atinformers "github.com/programming-kubernetes/cnat/pkg/generated/informers/externalversions/cnat/v1beta1"
	atlisters "github.com/programming-kubernetes/cnat/pkg/generated/listers/cnat/v1beta1"
)

// ControllerName is the controller's name in events and field managers.
const ControllerName = "cnat-controller"

// Controller runs Ats.
type Controller struct {
	atClient    versioned.Interface
	kubeClient  kubernetes.Interface
	ats         atlisters.AtLister
	pods        corelisters.PodLister
	synced      []cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	recorder    record.EventRecorder
	clock       clock.PassiveClock
	metrics     *Metrics
	ownWrites   ownWrites
	createdPods createdPods
}

// New returns a controller fed by the given informers. It does not start them.
func New(atClient versioned.Interface, kubeClient kubernetes.Interface, atInformer atinformers.AtInformer,
	podInformer coreinformers.PodInformer, metrics *Metrics, clk clock.WithTicker) (*Controller, error) {
	broadcaster := record.NewBroadcaster()
	broadcaster.StartStructuredLogging(0)
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kubeClient.CoreV1().Events("")})

	c := &Controller{
		atClient:   atClient,
		kubeClient: kubeClient,
		ats:        atInformer.Lister(),
		pods:       podInformer.Lister(),
		synced:     []cache.InformerSynced{atInformer.Informer().HasSynced, podInformer.Informer().HasSynced},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "ats", Clock: clk}),
		recorder: broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: ControllerName}),
		clock:    clk,
		metrics:  metrics,
	}
	if _, err := atInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueAt,
		UpdateFunc: func(_, obj interface{}) { c.enqueueAt(obj) },
		// A deleted At needs nothing but forgetting: its Pod goes with it (owner reference), and a schedule
		// still queued finds no At and is dropped, so an At deleted before its time never runs.
		DeleteFunc: c.forgetAt,
	}); err != nil {
		return nil, err
	}
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.enqueueOwner,
		UpdateFunc: func(_, obj interface{}) { c.enqueueOwner(obj) },
		DeleteFunc: c.enqueueOwner,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Controller) enqueueAt(obj interface{}) {
	key, err := cache.MetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	c.queue.Add(key)
}

func (c *Controller) forgetAt(obj interface{}) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	if at, ok := obj.(*v1beta1.At); ok {
		c.ownWrites.forget(at.UID)
		c.createdPods.forget(at.UID)
	}
}

// enqueueOwner enqueues the At that controls a Pod, if any.
func (c *Controller) enqueueOwner(obj interface{}) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if owner := metav1.GetControllerOf(pod); owner != nil && isAtOwner(owner) {
		c.queue.Add(pod.Namespace + "/" + owner.Name)
	}
}

// Run waits for the informers to sync and runs workers until ctx ends; it returns when all workers are done.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()

	logger := klog.FromContext(ctx)
	logger.Info("Waiting for informer caches to sync")
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return fmt.Errorf("informer caches did not sync")
	}
	// Schedules against a wall clock that may be stepped: see clockstep.go.
	ticker := time.NewTicker(clockCheckPeriod)
	defer ticker.Stop()
	since := time.Now()
	go c.watchClock(ctx, ticker.C, func() clockReading { return readClock(since) })
	logger.Info("Starting workers", "count", workers)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wait.UntilWithContext(ctx, c.runWorker, time.Second)
		}()
	}
	<-ctx.Done()
	logger.Info("Stopping workers")
	c.queue.ShutDown()
	wg.Wait()
	return nil
}

func (c *Controller) runWorker(ctx context.Context) {
	for c.processNextItem(ctx) {
	}
}

func (c *Controller) processNextItem(ctx context.Context) bool {
	key, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(key)

	requeueAfter, err := c.sync(ctx, key)
	switch {
	case err != nil:
		utilruntime.HandleErrorWithContext(ctx, err, "Syncing At", "key", key)
		c.queue.AddRateLimited(key)
	case requeueAfter > 0:
		c.queue.Forget(key)
		c.queue.AddAfter(key, requeueAfter)
	default:
		c.queue.Forget(key)
	}
	return true
}

// isAtOwner tells whether an owner reference names an At, in whichever version it was written.
func isAtOwner(ref *metav1.OwnerReference) bool {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	return err == nil && ref.Kind == "At" && gv.Group == v1beta1.GroupName
}
