package atstore

import (
	"context"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// Dynamic is a store of any resource through the dynamic client (JSON): the CRD peer, and the reference
// aggregated server's Flunders.
type Dynamic struct {
	objects dynamic.ResourceInterface
	object  func(i int) map[string]any
	last    []*unstructured.Unstructured
}

// NewDynamic is the store of objects [0, objects) of namespace in resource; object(i) is the body that
// creates object i, named ObjectName(i).
func NewDynamic(client dynamic.Interface, resource schema.GroupVersionResource, object func(i int) map[string]any,
	namespace string, objects int) *Dynamic {
	return &Dynamic{objects: client.Resource(resource).Namespace(namespace), object: object,
		last: make([]*unstructured.Unstructured, objects)}
}

func (s *Dynamic) Create(ctx context.Context, i int) error {
	created, err := s.objects.Create(ctx, &unstructured.Unstructured{Object: s.object(i)}, metav1.CreateOptions{})
	s.last[i] = created
	return err
}

func (s *Dynamic) Get(ctx context.Context, i int) error {
	_, err := s.objects.Get(ctx, ObjectName(i), metav1.GetOptions{})
	return err
}

func (s *Dynamic) List(ctx context.Context) (int, error) {
	list, err := s.objects.List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	return len(list.Items), nil
}

func (s *Dynamic) Update(ctx context.Context, i int) error {
	object := s.last[i].DeepCopy()
	labels := object.GetLabels()
	labels["updated"] = strconv.FormatInt(time.Now().UnixNano(), 10)
	object.SetLabels(labels)
	updated, err := s.objects.Update(ctx, object, metav1.UpdateOptions{})
	if err == nil {
		s.last[i] = updated
	}
	return err
}

func (s *Dynamic) Delete(ctx context.Context, i int) error {
	return s.objects.Delete(ctx, ObjectName(i), metav1.DeleteOptions{})
}

// Watch starts at the namespace's current resourceVersion, as Cnat's does.
func (s *Dynamic) Watch(ctx context.Context) (<-chan struct{}, error) {
	list, err := s.objects.List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		return nil, err
	}
	w, err := s.objects.Watch(ctx, metav1.ListOptions{ResourceVersion: list.GetResourceVersion()})
	if err != nil {
		return nil, err
	}
	return countAdded(ctx, w), nil
}
