package atpolicy

import (
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apiserver/pkg/admission"

	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy/validation"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// Each rule returns nil or the API error to answer with. A refusal is 403 Forbidden whose message starts
// with "AtPolicy <rule>:" and says the limit.

func (p *Plugin) checkImage(a admission.Attributes, image string) error {
	prefixes := p.config.AllowedImagePrefixes
	if validation.HasAllowedPrefix(image, prefixes) {
		return nil
	}
	quoted := make([]string, len(prefixes))
	for i, prefix := range prefixes {
		quoted[i] = fmt.Sprintf("%q", prefix)
	}
	msg := fmt.Sprintf("%s allowedImagePrefixes: spec.image %q must start with one of %s", PluginName, image,
		strings.Join(quoted, ", "))
	if image == cnat.DefaultImage {
		// Nobody may have written this image: it is what an At without spec.image gets.
		msg += fmt.Sprintf(" (%q is the API default for an At without spec.image: give an allowed image)", image)
	}
	return admission.NewForbidden(a, errors.New(msg))
}

func (p *Plugin) checkSchedule(a admission.Attributes, schedule metav1.Time) error {
	ahead := p.config.MaxScheduleAhead.Duration
	if ahead == 0 {
		return nil
	}
	latest := p.clock.Now().Add(ahead)
	if !schedule.After(latest) {
		return nil
	}
	return admission.NewForbidden(a, fmt.Errorf("%s maxScheduleAhead: spec.schedule %s is more than %s in the future (latest allowed now: %s)",
		PluginName, schedule.UTC().Format(time.RFC3339), ahead, latest.UTC().Format(time.RFC3339)))
}

// checkUnfinished refuses a create in a namespace that already holds maxUnfinishedPerNamespace Pending or
// Running Ats. It fails closed: without a synced cache or with a lister error, the create is refused rather
// than let through uncounted.
func (p *Plugin) checkUnfinished(a admission.Attributes) error {
	limit := int(p.config.MaxUnfinishedPerNamespace)
	if limit == 0 {
		return nil
	}
	if !p.WaitForReady() {
		return admission.NewForbidden(a, fmt.Errorf("%s: not yet ready to handle request: the cache of Ats has not synced", PluginName))
	}
	namespace := a.GetNamespace()
	ats, err := p.lister.Ats(namespace).List(labels.Everything())
	if err != nil && !apierrors.IsNotFound(err) {
		return apierrors.NewInternalError(fmt.Errorf("%s: counting the unfinished Ats of namespace %q: %w", PluginName, namespace, err))
	}
	unfinished := 0
	for _, at := range ats {
		if at.Status.Phase != v1beta1.AtSucceeded && at.Status.Phase != v1beta1.AtFailed {
			unfinished++
		}
	}
	if unfinished < limit {
		return nil
	}
	return admission.NewForbidden(a, fmt.Errorf("%s maxUnfinishedPerNamespace: namespace %q already holds %d unfinished (Pending or Running) Ats, the limit is %d: wait for one to finish or delete one",
		PluginName, namespace, unfinished, limit))
}
