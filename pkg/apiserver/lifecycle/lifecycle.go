// Package lifecycle tells which versions of a kind a cnat release serves, from the versions'
// prerelease-lifecycle tags, as k8s.io/apiserver's ResourceExpirationEvaluator decides it when it installs
// them: for what is built around the installed API (OpenAPI's names, deprecation warnings) to agree with it.
package lifecycle

import (
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/version"
)

type introduced interface {
	APILifecycleIntroduced() (major, minor int)
}

type removed interface {
	APILifecycleRemoved() (major, minor int)
}

// Served tells whether obj's version is served at release: introduced at or before it, not removed at or
// before it.
func Served(obj runtime.Object, release *version.Version) bool {
	if i, ok := obj.(introduced); ok {
		major, minor := i.APILifecycleIntroduced()
		if release.LessThan(version.MajorMinor(uint(major), uint(minor))) {
			return false
		}
	}
	if r, ok := obj.(removed); ok {
		if major, minor := r.APILifecycleRemoved(); (major != 0 || minor != 0) && release.AtLeast(version.MajorMinor(uint(major), uint(minor))) {
			return false
		}
	}
	return true
}

// ServedScheme is a copy of scheme without the versions of group that release does not serve: the types a
// server of that release knows by name.
func ServedScheme(scheme *runtime.Scheme, group string, release *version.Version) *runtime.Scheme {
	served := map[schema.GroupVersion]bool{}
	for _, gv := range scheme.PrioritizedVersionsForGroup(group) {
		served[gv] = true
		for kind := range scheme.KnownTypes(gv) {
			if obj, err := scheme.New(gv.WithKind(kind)); err == nil && !Served(obj, release) {
				served[gv] = false
				break
			}
		}
	}
	out := runtime.NewScheme()
	for gvk, t := range scheme.AllKnownTypes() {
		if isServed, ours := served[gvk.GroupVersion()]; ours && !isServed {
			continue
		}
		out.AddKnownTypeWithName(gvk, reflect.New(t).Interface().(runtime.Object))
	}
	return out
}
