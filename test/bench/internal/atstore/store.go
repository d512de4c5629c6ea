// Package atstore is what the benchmarks ask of a backend that keeps Ats: object i of one namespace
// (bench-<i>), the whole namespace, and its new objects as a watch sees them. Its stores are the aggregated
// At through the generated clientset (cnat-apiserver, or any server that serves the At kind in a group of
// its own), the same At as a CustomResourceDefinition of kube-apiserver, and, as a reference,
// k8s.io/sample-apiserver's Flunders (any resource, through the dynamic client).
package atstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
)

// Store is one namespace of one backend. Each store remembers what it last wrote of each object, so that
// update sends a current resourceVersion (or etcd revision) without reading first.
type Store interface {
	Create(ctx context.Context, i int) error
	Get(ctx context.Context, i int) error
	List(ctx context.Context) (int, error)
	Update(ctx context.Context, i int) error
	Delete(ctx context.Context, i int) error
	// Watch counts the objects added to the namespace from now on (not those already there): each value
	// sent is one more. The channel closes when the watch ends, for whatever reason.
	Watch(ctx context.Context) (<-chan struct{}, error)
}

// ObjectName is the name of object i.
func ObjectName(i int) string { return "bench-" + strconv.Itoa(i) }

// Schedule is far ahead, so that cnat-controller (which runs on the control plane) only queues the Ats.
var Schedule = metav1.NewTime(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))

// WithProtobuf is config with requests and answers in protobuf, JSON accepted for what has no protobuf form.
func WithProtobuf(base *rest.Config) *rest.Config {
	config := rest.CopyConfig(base)
	config.ContentType = runtime.ContentTypeProtobuf
	config.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	return config
}

// MustCount fails when a list did not return the objects it should have: a fast wrong answer is no result.
func MustCount(got, want int) error {
	if got != want {
		return fmt.Errorf("listed %d objects, want %d", got, want)
	}
	return nil
}

// countAdded sends one value per ADDED event of w and closes when w ends (an ERROR event ends it too: a
// watcher that has to start over has missed events, and that is what a fan-out counts).
func countAdded(ctx context.Context, w watch.Interface) <-chan struct{} {
	added := make(chan struct{}, 1024)
	go func() {
		defer close(added)
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.ResultChan():
				if !ok || ev.Type == watch.Error {
					return
				}
				if ev.Type == watch.Added {
					added <- struct{}{}
				}
			}
		}
	}()
	return added
}
