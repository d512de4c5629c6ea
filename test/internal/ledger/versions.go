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

// atsIn is the At API of version ("" is v1beta1) in namespace.
func atsIn(client versioned.Interface, namespace, version string) ats {
	switch version {
	case "", "v1beta1":
		c := client.CnatV1beta1().Ats(namespace)
		return ats{version: "v1beta1", example: &v1beta1.At{},
			create: func(ctx context.Context, name string) error {
				_, err := c.Create(ctx, NewAt(name), metav1.CreateOptions{})
				return err
			},
			get: func(ctx context.Context, name string) (object, error) { return c.Get(ctx, name, metav1.GetOptions{}) },
			update: func(ctx context.Context, at object) error {
				_, err := c.Update(ctx, at.(*v1beta1.At), metav1.UpdateOptions{})
				return err
			},
			list: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, []object, error) {
				l, err := c.List(ctx, opts)
				if err != nil {
					return nil, nil, err
				}
				items := make([]object, len(l.Items))
				for i := range l.Items {
					items[i] = &l.Items[i]
				}
				return l, items, nil
			},
			watch: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) { return c.Watch(ctx, opts) },
		}
	case "v1alpha1":
		c := client.CnatV1alpha1().Ats(namespace)
		return ats{version: version, example: &v1alpha1.At{},
			create: func(ctx context.Context, name string) error {
				at := &v1alpha1.At{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.AtSpec{
					Schedule: time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339),
					Command:  "echo " + name,
				}}
				_, err := c.Create(ctx, at, metav1.CreateOptions{})
				return err
			},
			get: func(ctx context.Context, name string) (object, error) { return c.Get(ctx, name, metav1.GetOptions{}) },
			update: func(ctx context.Context, at object) error {
				_, err := c.Update(ctx, at.(*v1alpha1.At), metav1.UpdateOptions{})
				return err
			},
			list: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, []object, error) {
				l, err := c.List(ctx, opts)
				if err != nil {
					return nil, nil, err
				}
				items := make([]object, len(l.Items))
				for i := range l.Items {
					items[i] = &l.Items[i]
				}
				return l, items, nil
			},
			watch: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) { return c.Watch(ctx, opts) },
		}
	case "v1":
		c := client.CnatV1().Ats(namespace)
		return ats{version: version, example: &v1.At{},
			create: func(ctx context.Context, name string) error {
				at := &v1.At{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.AtSpec{
					Schedule: metav1.NewTime(time.Now().Add(24 * time.Hour).Truncate(time.Second)),
					Command:  []string{"echo", name},
				}}
				_, err := c.Create(ctx, at, metav1.CreateOptions{})
				return err
			},
			get: func(ctx context.Context, name string) (object, error) { return c.Get(ctx, name, metav1.GetOptions{}) },
			update: func(ctx context.Context, at object) error {
				_, err := c.Update(ctx, at.(*v1.At), metav1.UpdateOptions{})
				return err
			},
			list: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, []object, error) {
				l, err := c.List(ctx, opts)
				if err != nil {
					return nil, nil, err
				}
				items := make([]object, len(l.Items))
				for i := range l.Items {
					items[i] = &l.Items[i]
				}
				return l, items, nil
			},
			watch: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) { return c.Watch(ctx, opts) },
		}
	}
	panic(fmt.Sprintf("ledger: no At API of version %q", version))
}
