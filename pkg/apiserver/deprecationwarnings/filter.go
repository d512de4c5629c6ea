// Package deprecationwarnings makes the deprecation warning of a served version follow the emulated release.
//
// k8s.io/apiserver's installer warns "<version> <Kind> is deprecated in vX.Y+" by judging the version's
// prerelease-lifecycle tags against the version of k8s.io/component-base the binary was stamped with, which
// is not cnat's release (unstamped it even counts every tagged version as deprecated), and never against
// --emulated-version. A binary emulating an older release must warn as that release did: this filter drops
// the installer's warning and adds it itself when the emulated release is at or after the deprecation, naming
// a replacement that release serves.
package deprecationwarnings

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apiserver/pkg/endpoints/deprecation"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/warning"

	"github.com/programming-kubernetes/cnat/pkg/apiserver/lifecycle"
)

// deprecatedVersion is what prerelease-lifecycle-gen writes for a deprecated version.
type deprecatedVersion interface {
	APILifecycleDeprecated() (major, minor int)
	APILifecycleReplacement() schema.GroupVersionKind
}

// WithEmulatedDeprecation wraps handler, which serves kind of group in every version of scheme: a request
// to a version is warned about as the emulated release warns about it.
func WithEmulatedDeprecation(handler http.Handler, scheme *runtime.Scheme, kind schema.GroupKind, emulated *version.Version) http.Handler {
	// The warning of each version, and whether the emulated release gives it.
	type verdict struct {
		installers, message string
		warn                bool
	}
	versions := map[string]runtime.Object{}
	var served []string // in priority order
	for _, gv := range scheme.PrioritizedVersionsForGroup(kind.Group) {
		obj, err := scheme.New(gv.WithKind(kind.Kind))
		if err != nil {
			continue
		}
		obj.GetObjectKind().SetGroupVersionKind(gv.WithKind(kind.Kind))
		versions[gv.Version] = obj
		if lifecycle.Served(obj, emulated) {
			served = append(served, gv.Version)
		}
	}
	deprecatedAt := func(v string) (*version.Version, bool) {
		l, ok := versions[v].(deprecatedVersion)
		if !ok {
			return nil, false
		}
		major, minor := l.APILifecycleDeprecated()
		return version.MajorMinor(uint(major), uint(minor)), major != 0 || minor != 0
	}
	verdicts := map[string]verdict{}
	for v, obj := range versions {
		installers := deprecation.WarningMessage(obj)
		deprecated, ok := deprecatedAt(v)
		if installers == "" || !ok {
			continue
		}
		// The replacement a release names is one it serves: before the tagged replacement was introduced,
		// the release's preferred version that it does not deprecate itself.
		message := installers
		replacement := obj.(deprecatedVersion).APILifecycleReplacement()
		if !replacement.Empty() && !slices.Contains(served, replacement.Version) {
			for _, candidate := range served {
				if d, isDeprecated := deprecatedAt(candidate); !isDeprecated || emulated.LessThan(d) {
					message = strings.Replace(installers, "; use "+replacement.GroupVersion().String()+" "+replacement.Kind,
						"; use "+replacement.Group+"/"+candidate+" "+replacement.Kind, 1)
					break
				}
			}
		}
		// A version the release no longer serves answers 404: no warning about what cannot be used.
		verdicts[v] = verdict{installers: installers, message: message,
			warn: emulated.AtLeast(deprecated) && slices.Contains(served, v)}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		info, ok := request.RequestInfoFrom(req.Context())
		if !ok || !info.IsResourceRequest || info.APIGroup != kind.Group {
			handler.ServeHTTP(w, req)
			return
		}
		v, ok := verdicts[info.APIVersion]
		if !ok {
			handler.ServeHTTP(w, req)
			return
		}
		ctx := req.Context()
		if v.warn {
			warning.AddWarning(ctx, "", v.message)
		}
		filtered := warning.WithWarningRecorder(ctx, dropping{ctx: ctx, message: v.installers})
		handler.ServeHTTP(w, req.WithContext(filtered))
	})
}

// dropping passes every warning on to the recorder of ctx but message, which the filter decides.
type dropping struct {
	ctx     context.Context
	message string
}

func (d dropping) AddWarning(agent, text string) {
	if text != d.message {
		warning.AddWarning(d.ctx, agent, text)
	}
}
