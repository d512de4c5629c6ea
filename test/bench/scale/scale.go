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
	// ready is the server's own readiness.
	ready func(context.Context) error
	// dependents are started again after the server's restart: cnat-controller loses its lease while
	// kube-apiserver is away, and stops.
	dependents []string
}

// figures are what was measured of one subject.
type figures struct {
	objects, watchEvents int
	created              workload.Result
	before, with         memory // before the objects, and with them
	lists                map[string]workload.Result
	fanOut               workload.FanOut
	restarted            bool
	restartEmpty         restartTimes // with none of the objects (to start from a fresh process)
	restart              restartTimes // with them
	afterRestart         memory       // with the objects (and the fan-out's), after a restart
}

// measure restarts the subject's server, so that what it holds before the objects is a fresh process's and
// not what earlier benchmarks left (a watch cache's history, freed memory not yet returned), creates the
// objects, reads its memory, times its lists, runs the fan-out, and restarts it again with the objects.
// Without a restart command it measures the server as it finds it.
func measure(ctx context.Context, o options, kube kubernetes.Interface, s subject) (*figures, error) {
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.namespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	f := &figures{objects: s.objects, watchEvents: o.watchEvents, lists: map[string]workload.Result{}, restarted: o.restartCommand != ""}
	var err error
	if f.restarted {
		if f.restartEmpty, err = s.restart(ctx, o); err != nil {
			return nil, err
		}
	}
	if f.before, err = s.server.settledMemory(ctx, o.pidDir(), o.settle); err != nil {
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
	if !f.restarted {
		return f, nil
	}
	if f.restart, err = s.restart(ctx, o); err != nil {
		return nil, err
	}
	if f.afterRestart, err = s.server.settledMemory(ctx, o.pidDir(), o.settle); err != nil {
		return nil, err
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

// serving is whether the subject's objects are served through kube-apiserver again, from the server's watch
// cache: a watch from the current resourceVersion is answered once the cache holds every object (a
// server still filling it refuses it with a 429, which the client retries), where a list of one is served
// from etcd at once.
func (s subject) serving(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, err := s.store(s.namespace, 0).Watch(ctx)
	return err
}

// restart restarts the subject's server and times it back to serving, then starts its dependents again.
func (s subject) restart(ctx context.Context, o options) (restartTimes, error) {
	progress("%s: restarting %s", s.name, s.server.component)
	times, err := restart(ctx, o.restartCommand, s.server.component, s.ready, s.serving)
	if err != nil {
		return times, err
	}
	for _, dependent := range s.dependents {
		if err := restartCommand(ctx, o.restartCommand, dependent); err != nil {
			return times, err
		}
	}
	return times, nil
}

var start = time.Now()

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s: "+format+"\n", append([]any{time.Since(start).Round(time.Second)}, args...)...)
}
