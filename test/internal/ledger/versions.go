package ledger

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	v1 "github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
)

// object is an At of any version.
type object interface {
	metav1.Object
	runtime.Object
}

// ats is the At API of one version, as the load and the informers use it.
type ats struct {
	version string
	example runtime.Object
	create  func(ctx context.Context, name string) error
	get     func(ctx context.Context, name string) (object, error)
	update  func(ctx context.Context, at object) error
	list    func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, []object, error)
	watch   func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// typedAts is the generated client of the Ats of one version.
type typedAts[T object, L runtime.Object] interface {
	Create(ctx context.Context, at T, opts metav1.CreateOptions) (T, error)
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Update(ctx context.Context, at T, opts metav1.UpdateOptions) (T, error)
	List(ctx context.Context, opts metav1.ListOptions) (L, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// atsOf adapts a generated client: newAt is the At a writer creates, items the Ats of a list.
func atsOf[T object, L runtime.Object](version string, c typedAts[T, L], example T, newAt func(name string) T, items func(L) []object) ats {
	return ats{version: version, example: example,
		create: func(ctx context.Context, name string) error {
			_, err := c.Create(ctx, newAt(name), metav1.CreateOptions{})
			return err
		},
		get: func(ctx context.Context, name string) (object, error) { return c.Get(ctx, name, metav1.GetOptions{}) },
		update: func(ctx context.Context, at object) error {
			_, err := c.Update(ctx, at.(T), metav1.UpdateOptions{})
			return err
		},
		list: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, []object, error) {
			l, err := c.List(ctx, opts)
			if err != nil {
				return nil, nil, err
			}
			return l, items(l), nil
		},
		watch: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) { return c.Watch(ctx, opts) },
	}
}

func itemsOf[A any, P interface {
	*A
	object
}](items []A) []object {
	out := make([]object, len(items))
	for i := range items {
		out[i] = P(&items[i])
	}
	return out
}

// atsIn is the At API of version ("" is v1beta1) in namespace.
func atsIn(client versioned.Interface, namespace, version string) ats {
	switch version {
	case "", "v1beta1":
		return atsOf[*v1beta1.At]("v1beta1", client.CnatV1beta1().Ats(namespace), &v1beta1.At{}, NewAt,
			func(l *v1beta1.AtList) []object { return itemsOf[v1beta1.At](l.Items) })
	case "v1alpha1":
		return atsOf[*v1alpha1.At](version, client.CnatV1alpha1().Ats(namespace), &v1alpha1.At{},
			func(name string) *v1alpha1.At {
				return &v1alpha1.At{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.AtSpec{
					Schedule: time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339),
					Command:  "echo " + name,
				}}
			},
			func(l *v1alpha1.AtList) []object { return itemsOf[v1alpha1.At](l.Items) })
	case "v1":
		return atsOf[*v1.At](version, client.CnatV1().Ats(namespace), &v1.At{},
			func(name string) *v1.At {
				return &v1.At{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.AtSpec{
					Schedule: metav1.NewTime(time.Now().Add(24 * time.Hour).Truncate(time.Second)),
					Command:  []string{"echo", name},
				}}
			},
			func(l *v1.AtList) []object { return itemsOf[v1.At](l.Items) })
	}
	panic(fmt.Sprintf("ledger: no At API of version %q", version))
}
