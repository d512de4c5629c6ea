package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	cnatclient "github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/typed/cnat/v1beta1"
)

// store is what every workload needs of a backend: object i of one namespace (bench-<i>) and the whole
// namespace. Each store remembers what it last wrote of each object, so that update sends a current
// resourceVersion (or etcd revision) without reading first.
type store interface {
	create(ctx context.Context, i int) error
	get(ctx context.Context, i int) error
	list(ctx context.Context) (int, error)
	update(ctx context.Context, i int) error
	delete(ctx context.Context, i int) error
	// watch counts the objects added to the namespace from now on: each value sent is one more. The
	// channel closes when the watch ends, for whatever reason.
	watch(ctx context.Context) (<-chan struct{}, error)
}

func objectName(i int) string { return "bench-" + strconv.Itoa(i) }

// schedule is far ahead, so that cnat-controller (which runs on the control plane) only queues the Ats.
var schedule = metav1.NewTime(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))

// cnatStore is the aggregated At through the generated clientset (JSON or protobuf, via the aggregator or
// directly, as its config says).
type cnatStore struct {
	ats  cnatclient.AtInterface
	last []*v1beta1.At
}

func newCnatStore(client cnatclient.CnatV1beta1Interface, namespace string, objects int) *cnatStore {
	return &cnatStore{ats: client.Ats(namespace), last: make([]*v1beta1.At, objects)}
}

func (s *cnatStore) create(ctx context.Context, i int) error {
	at := &v1beta1.At{
		ObjectMeta: metav1.ObjectMeta{Name: objectName(i), Labels: map[string]string{"bench": "true"}},
		Spec:       v1beta1.AtSpec{Schedule: schedule, Command: []string{"echo", "hello", strconv.Itoa(i)}, Image: "busybox:1.36"},
	}
	created, err := s.ats.Create(ctx, at, metav1.CreateOptions{})
	s.last[i] = created
	return err
}

func (s *cnatStore) get(ctx context.Context, i int) error {
	_, err := s.ats.Get(ctx, objectName(i), metav1.GetOptions{})
	return err
}

func (s *cnatStore) list(ctx context.Context) (int, error) {
	list, err := s.ats.List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	return len(list.Items), nil
}

func (s *cnatStore) update(ctx context.Context, i int) error {
	at := s.last[i].DeepCopy()
	at.Labels["updated"] = strconv.FormatInt(time.Now().UnixNano(), 10)
	updated, err := s.ats.Update(ctx, at, metav1.UpdateOptions{})
	if err == nil {
		s.last[i] = updated
	}
	return err
}

func (s *cnatStore) delete(ctx context.Context, i int) error {
	return s.ats.Delete(ctx, objectName(i), metav1.DeleteOptions{})
}

func (s *cnatStore) watch(ctx context.Context) (<-chan struct{}, error) {
	w, err := s.ats.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return countAdded(ctx, w), nil
}

// crdStore is the peer: the CRD At through the dynamic client (JSON: custom resources have no protobuf).
type crdStore struct {
	ats  dynamic.ResourceInterface
	last []*unstructured.Unstructured
}

func newCRDStore(client dynamic.Interface, namespace string, objects int) *crdStore {
	return &crdStore{ats: client.Resource(crdResource).Namespace(namespace), last: make([]*unstructured.Unstructured, objects)}
}

func (s *crdStore) create(ctx context.Context, i int) error {
	at := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": crdResource.GroupVersion().String(),
		"kind":       "At",
		"metadata":   map[string]any{"name": objectName(i), "labels": map[string]any{"bench": "true"}},
		"spec": map[string]any{
			"schedule": schedule.UTC().Format(time.RFC3339),
			"command":  []any{"echo", "hello", strconv.Itoa(i)},
			"image":    "busybox:1.36",
		},
	}}
	created, err := s.ats.Create(ctx, at, metav1.CreateOptions{})
	s.last[i] = created
	return err
}

func (s *crdStore) get(ctx context.Context, i int) error {
	_, err := s.ats.Get(ctx, objectName(i), metav1.GetOptions{})
	return err
}

func (s *crdStore) list(ctx context.Context) (int, error) {
	list, err := s.ats.List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	return len(list.Items), nil
}

func (s *crdStore) update(ctx context.Context, i int) error {
	at := s.last[i].DeepCopy()
	labels := at.GetLabels()
	labels["updated"] = strconv.FormatInt(time.Now().UnixNano(), 10)
	at.SetLabels(labels)
	updated, err := s.ats.Update(ctx, at, metav1.UpdateOptions{})
	if err == nil {
		s.last[i] = updated
	}
	return err
}

func (s *crdStore) delete(ctx context.Context, i int) error {
	return s.ats.Delete(ctx, objectName(i), metav1.DeleteOptions{})
}

func (s *crdStore) watch(ctx context.Context) (<-chan struct{}, error) {
	w, err := s.ats.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return countAdded(ctx, w), nil
}

// countAdded sends one value per ADDED event of w and closes when w ends (an ERROR event ends it too: a
// watcher that has to start over has missed events, and that is what the fan-out counts).
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

func isAlreadyExists(err error) bool { return apierrors.IsAlreadyExists(err) }

// mustCount fails when a list did not return the objects it should have: a fast wrong answer is no result.
func mustCount(got, want int) error {
	if got != want {
		return fmt.Errorf("listed %d objects, want %d", got, want)
	}
	return nil
}
