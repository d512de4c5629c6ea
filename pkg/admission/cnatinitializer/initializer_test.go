package cnatinitializer_test

import (
	"context"
	"testing"

	"k8s.io/apiserver/pkg/admission"

	"github.com/programming-kubernetes/cnat/pkg/admission/cnatinitializer"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/fake"
	informers "github.com/programming-kubernetes/cnat/pkg/generated/informers/externalversions"
)

func TestPluginsThatWantTheFactoryGetIt(t *testing.T) {
	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	wants := &wantsFactory{}
	cnatinitializer.New(factory).Initialize(wants)
	if wants.factory != factory {
		t.Errorf("got factory %v, want the initializer's", wants.factory)
	}
}

func TestPluginsThatDoNotWantTheFactoryAreLeftAlone(t *testing.T) {
	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	// Only must not panic or fail: there is nothing to hand the factory to.
	cnatinitializer.New(factory).Initialize(admission.NewHandler(admission.Create))
}

type wantsFactory struct {
	factory informers.SharedInformerFactory
}

var _ cnatinitializer.WantsCnatInformerFactory = &wantsFactory{}

func (w *wantsFactory) SetCnatInformerFactory(f informers.SharedInformerFactory) { w.factory = f }
func (w *wantsFactory) ValidateInitialization() error                            { return nil }
func (w *wantsFactory) Handles(admission.Operation) bool                         { return true }
func (w *wantsFactory) Admit(context.Context, admission.Attributes, admission.ObjectInterfaces) error {
	return nil
}
