package atstore

import (
	"context"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	cnatclient "github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/typed/cnat/v1beta1"
)

// Cnat is the aggregated At through the generated clientset: JSON or protobuf, through the aggregator or
// directly, to cnat-apiserver or to another server of the At kind, as the client's config says.
type Cnat struct {
	ats  cnatclient.AtInterface
	last []*v1beta1.At
}

// NewCnat is the store of objects [0, objects) of namespace.
func NewCnat(client cnatclient.CnatV1beta1Interface, namespace string, objects int) *Cnat {
	return &Cnat{ats: client.Ats(namespace), last: make([]*v1beta1.At, objects)}
}

func (s *Cnat) Create(ctx context.Context, i int) error {
	at := &v1beta1.At{
		ObjectMeta: metav1.ObjectMeta{Name: ObjectName(i), Labels: map[string]string{"bench": "true"}},
		Spec:       v1beta1.AtSpec{Schedule: Schedule, Command: []string{"echo", "hello", strconv.Itoa(i)}, Image: "busybox:1.36"},
	}
	created, err := s.ats.Create(ctx, at, metav1.CreateOptions{})
	s.last[i] = created
	return err
}

func (s *Cnat) Get(ctx context.Context, i int) error {
	_, err := s.ats.Get(ctx, ObjectName(i), metav1.GetOptions{})
	return err
}

func (s *Cnat) List(ctx context.Context) (int, error) {
	list, err := s.ats.List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	return len(list.Items), nil
}

func (s *Cnat) Update(ctx context.Context, i int) error {
	at := s.last[i].DeepCopy()
	at.Labels["updated"] = strconv.FormatInt(time.Now().UnixNano(), 10)
	updated, err := s.ats.Update(ctx, at, metav1.UpdateOptions{})
	if err == nil {
		s.last[i] = updated
	}
	return err
}

func (s *Cnat) Delete(ctx context.Context, i int) error {
	return s.ats.Delete(ctx, ObjectName(i), metav1.DeleteOptions{})
}

// Watch starts at the namespace's current resourceVersion, from a list of one: a watch without one would
// first send every object already there as ADDED.
func (s *Cnat) Watch(ctx context.Context) (<-chan struct{}, error) {
	list, err := s.ats.List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		return nil, err
	}
	w, err := s.ats.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		return nil, err
	}
	return countAdded(ctx, w), nil
}
