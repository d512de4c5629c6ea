package atpolicy

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/programming-kubernetes/cnat/pkg/admission/cnatinitializer"
	atpolicyapi "github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/fake"
	informers "github.com/programming-kubernetes/cnat/pkg/generated/informers/externalversions"
)

// now is the plugin's clock in every test.
var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

var (
	atKind     = schema.GroupVersionKind{Group: cnat.GroupName, Version: "v1beta1", Kind: "At"}
	atResource = schema.GroupVersionResource{Group: cnat.GroupName, Version: "v1beta1", Resource: "ats"}
)

// newAt is an At as admission sees it (internal, defaulted), due in an hour.
func newAt(namespace, name, image string) *cnat.At {
	return &cnat.At{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: cnat.AtSpec{
			Schedule: metav1.NewTime(now.Add(time.Hour)),
			Command:  []string{"echo", "YAY"},
			Image:    image,
		},
		Status: cnat.AtStatus{Phase: cnat.AtPending},
	}
}

// storedAt is an At as the informer sees it.
func storedAt(namespace, name string, phase v1beta1.AtPhase) *v1beta1.At {
	return &v1beta1.At{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec:       v1beta1.AtSpec{Schedule: metav1.NewTime(now), Command: []string{"true"}, Image: "alpine:3.20"},
		Status:     v1beta1.AtStatus{Phase: phase},
	}
}

// newPlugin returns the plugin for config, initialized like the server does it, over a fake clientset
// holding stored, with real informers, started and synced.
func newPlugin(t *testing.T, config atpolicyapi.AtPolicyConfiguration, stored ...runtime.Object) (*Plugin, *fake.Clientset, informers.SharedInformerFactory) {
	t.Helper()
	client := newClientset(stored...)
	factory := informers.NewSharedInformerFactory(client, 0)
	p := New(&config)
	p.clock = testingclock.NewFakePassiveClock(now)
	cnatinitializer.New(factory).Initialize(p)
	if err := admission.ValidateInitialization(p); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		factory.Shutdown()
	})
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	return p, client, factory
}

func createOf(at *cnat.At) admission.Attributes {
	return admission.NewAttributesRecord(at, nil, atKind, at.Namespace, at.Name, atResource, "", admission.Create,
		&metav1.CreateOptions{}, false, &user.DefaultInfo{Name: "jane"})
}

func updateOf(at, old *cnat.At) admission.Attributes {
	return admission.NewAttributesRecord(at, old, atKind, at.Namespace, at.Name, atResource, "", admission.Update,
		&metav1.UpdateOptions{}, false, &user.DefaultInfo{Name: "jane"})
}

// admit runs the plugin as the admission chain does: mutation, then validation.
func admit(p *Plugin, a admission.Attributes) error {
	if p.Handles(a.GetOperation()) {
		if err := p.Admit(context.Background(), a, nil); err != nil {
			return err
		}
		return p.Validate(context.Background(), a, nil)
	}
	return nil
}

// newClientset is the generated fake clientset, with field management like a real server.
func newClientset(objects ...runtime.Object) *fake.Clientset {
	return fake.NewClientset(objects...)
}
