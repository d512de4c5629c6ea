// Package atpolicy is the AtPolicy admission plugin: a cluster policy for Ats, configured in the
// AdmissionConfiguration file (--admission-control-config-file) by an AtPolicyConfiguration.
//
//   - defaultImage (mutating, create): a new At whose spec.image is the API default (cnat.DefaultImage,
//     "docker.io/library/busybox:1.36") gets defaultImage instead, typically a registry mirror's copy.
//     Decoding fills in the API default before admission runs (the v1beta1 +default marker; v1alpha1
//     through conversion), so an At created without an image and one created with that image written out
//     look the same here: both get defaultImage.
//   - allowedImagePrefixes (validating, create and update): spec.image must start with one of them.
//   - maxUnfinishedPerNamespace (validating, create): a namespace holding that many Pending or Running Ats
//     takes no new one until one finishes or is deleted. The count comes from an informer's cache, not
//     from a live list per request: two creates racing each other (or the cache) can both pass. It is a
//     guard against runaway creation, not an exact quota.
//   - maxScheduleAhead (validating, create and update): spec.schedule lies at most that far in the future.
//
// Refusals are 403 Forbidden and name the rule and its limit. The plugin acts on the ats resource only,
// never on ats/status: the controller's status writes are not the user's to police.
package atpolicy

import (
	"context"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/utils/clock"

	"github.com/programming-kubernetes/cnat/pkg/admission/cnatinitializer"
	atpolicyapi "github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	informers "github.com/programming-kubernetes/cnat/pkg/generated/informers/externalversions"
	listers "github.com/programming-kubernetes/cnat/pkg/generated/listers/cnat/v1beta1"
)

// PluginName is the name of the plugin in --enable-admission-plugins, --disable-admission-plugins and the
// AdmissionConfiguration file.
const PluginName = "AtPolicy"

// Register registers the plugin; its configuration is read, defaulted and validated when the admission
// chain is built, so a bad one stops the server at start.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(config io.Reader) (admission.Interface, error) {
		policy, err := LoadConfiguration(config)
		if err != nil {
			return nil, err
		}
		return New(policy), nil
	})
}

// Plugin enforces an AtPolicyConfiguration.
type Plugin struct {
	*admission.Handler
	config *atpolicyapi.AtPolicyConfiguration
	clock  clock.PassiveClock
	// lister is set only when maxUnfinishedPerNamespace is: no other rule reads stored Ats, and a cache of
	// every At would cost memory for nothing.
	lister listers.AtLister
}

var (
	_ admission.MutationInterface              = &Plugin{}
	_ admission.ValidationInterface            = &Plugin{}
	_ cnatinitializer.WantsCnatInformerFactory = &Plugin{}
)

// New returns the plugin for a validated configuration.
func New(config *atpolicyapi.AtPolicyConfiguration) *Plugin {
	return &Plugin{
		Handler: admission.NewHandler(admission.Create, admission.Update),
		config:  config,
		clock:   clock.RealClock{},
	}
}

// SetCnatInformerFactory requests the At informer (so that the factory starts it) when the limit rule needs
// it, and makes the plugin wait for its cache before counting.
func (p *Plugin) SetCnatInformerFactory(factory informers.SharedInformerFactory) {
	if p.config.MaxUnfinishedPerNamespace == 0 {
		return
	}
	ats := factory.Cnat().V1beta1().Ats()
	p.lister = ats.Lister()
	p.SetReadyFunc(ats.Informer().HasSynced)
}

// ValidateInitialization fails when the limit rule is configured but no informer factory was given.
func (p *Plugin) ValidateInitialization() error {
	if p.config.MaxUnfinishedPerNamespace > 0 && p.lister == nil {
		return fmt.Errorf("%s: maxUnfinishedPerNamespace needs the cnat informer factory, and none was given", PluginName)
	}
	return nil
}

// Admit gives a new At defaultImage in place of the API default image.
func (p *Plugin) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetOperation() != admission.Create || p.config.DefaultImage == "" || !isAt(a) {
		return nil
	}
	at, err := atOf(a.GetObject())
	if err != nil {
		return err
	}
	if at.Spec.Image == cnat.DefaultImage {
		at.Spec.Image = p.config.DefaultImage
	}
	return nil
}

// Validate checks the rules. A create is checked against every rule. An update is checked only against the
// rules for what it changes: the policy may have been tightened after an At was created, and an update that
// leaves image and schedule alone (a label, an annotation, a finalizer) must still go through, as Kubernetes
// users expect of admission policy (PodSecurity, for one, lets such updates of existing Pods pass). Changing
// the image or the schedule is a new choice, and the policy applies to it.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if !isAt(a) {
		return nil
	}
	at, err := atOf(a.GetObject())
	if err != nil {
		return err
	}
	switch a.GetOperation() {
	case admission.Create:
		if err := p.checkImage(a, at.Spec.Image); err != nil {
			return err
		}
		if err := p.checkSchedule(a, at.Spec.Schedule); err != nil {
			return err
		}
		return p.checkUnfinished(a)
	case admission.Update:
		old, err := atOf(a.GetOldObject())
		if err != nil {
			return err
		}
		if at.Spec.Image != old.Spec.Image {
			if err := p.checkImage(a, at.Spec.Image); err != nil {
				return err
			}
		}
		if !at.Spec.Schedule.Equal(&old.Spec.Schedule) {
			return p.checkSchedule(a, at.Spec.Schedule)
		}
	}
	return nil
}

// isAt tells whether the request writes an At through the main resource (not ats/status, not another kind).
func isAt(a admission.Attributes) bool {
	return a.GetResource().GroupResource() == cnat.Resource("ats") && a.GetSubresource() == ""
}

func atOf(obj runtime.Object) (*cnat.At, error) {
	at, ok := obj.(*cnat.At)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("%s: the ats resource was sent a %T, not an At", PluginName, obj))
	}
	return at, nil
}
