package main

import (
	"context"
	"fmt"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/programming-kubernetes/cnat/test/bench/internal/atstore"
	"github.com/programming-kubernetes/cnat/test/bench/internal/workload"
)

// subject is one way of serving Ats at scale: cnat-apiserver through the aggregator, or the CRD of
// kube-apiserver, each in a namespace of its own.
type subject struct {
	name      string
	objects   int
	server    server
	namespace string
	// store creates and watches the objects (protobuf where the server speaks it).
	store func(namespace string, objects int) atstore.Store
	// listers list them, by the client's format.
	listers map[string]func(namespace string) atstore.Store
	// ready is the server's own readiness; serving a list of one of its objects through kube-apiserver.
	ready, serving func(context.Context) error
}

// figures are what was measured of one subject.
type figures struct {
	objects, watchEvents int
	created              workload.Result
	before, with         memory // before the objects, and with them
	lists                map[string]workload.Result
	fanOut               workload.FanOut
	restarted            bool
	restart              restartTimes
	afterRestart         memory // with the objects (and the fan-out's), after a restart
}

// measure creates the subject's objects, then reads its memory, times its lists and runs the fan-out.
func measure(ctx context.Context, o options, kube kubernetes.Interface, s subject) (*figures, error) {
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.namespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	f := &figures{objects: s.objects, watchEvents: o.watchEvents, lists: map[string]workload.Result{}}
	var err error
	if f.before, err = s.server.settledMemory(ctx, o.pidDir(), 0); err != nil {
		return nil, err
	}
	store := s.store(s.namespace, s.objects+o.watchEvents)
	if f.created, err = createInChunks(ctx, o, s, store); err != nil {
		return nil, err
	}
	if f.with, err = s.server.settledMemory(ctx, o.pidDir(), o.settle); err != nil {
		return nil, err
	}
	for _, format := range []string{"protobuf", "JSON"} {
		newLister, ok := s.listers[format]
		if !ok {
			continue
		}
		lister := newLister(s.namespace)
		progress("%s: %d lists of %d in %s", s.name, o.lists, s.objects, format)
		if f.lists[format], err = workload.Run(ctx, 1, 0, o.lists, func(ctx context.Context, _ int) error {
			got, err := lister.List(ctx)
			if err != nil {
				return err
			}
			return atstore.MustCount(got, s.objects)
		}); err != nil {
			return nil, fmt.Errorf("%s: list in %s: %w", s.name, format, err)
		}
	}
	progress("%s: %d watchers while %d more are created", s.name, o.watchers, o.watchEvents)
	if f.fanOut, err = workload.WatchFanOut(ctx, store, o.watchers, s.objects, o.watchEvents, o.workers, 60*time.Second); err != nil {
		return nil, fmt.Errorf("%s: watch: %w", s.name, err)
	}
	return f, nil
}

// createInChunks creates the objects [0, s.objects) with a progress line per chunk: at a thousand a second,
// 100,000 take minutes.
func createInChunks(ctx context.Context, o options, s subject, store atstore.Store) (workload.Result, error) {
	const chunk = 10000
	var created workload.Result
	for from := 0; from < s.objects; from += chunk {
		to := min(from+chunk, s.objects)
		r, err := workload.Run(ctx, o.workers, from, to, store.Create)
		if err != nil {
			return workload.Result{}, fmt.Errorf("%s: create: %w", s.name, err)
		}
		created = workload.Merge(created, r)
		progress("%s: %d of %d created (%.0f/s)", s.name, to, s.objects, r.Throughput())
	}
	return created, nil
}

// restartAndMeasure restarts the subject's server, times it back to serving, and reads its memory again.
func restartAndMeasure(ctx context.Context, o options, s subject, f *figures) error {
	progress("%s: restarting %s", s.name, s.server.component)
	var err error
	if f.restart, err = restart(ctx, o.restartCommand, s.server.component, s.ready, s.serving); err != nil {
		return err
	}
	f.restarted = true
	f.afterRestart, err = s.server.settledMemory(ctx, o.pidDir(), o.settle)
	return err
}

var start = time.Now()

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s: "+format+"\n", append([]any{time.Since(start).Round(time.Second)}, args...)...)
}
