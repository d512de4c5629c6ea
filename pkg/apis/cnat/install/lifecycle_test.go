package install

import (
	"maps"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apiserver/pkg/endpoints/deprecation"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	basecompatibility "k8s.io/component-base/compatibility"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"

	v1 "github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// TestLifecycle: when each version is introduced, deprecated and removed (in cnat's releases), and the
// warning a client of a deprecated version gets. Both deprecated versions name v1, the version that stays:
// pointing v1alpha1's clients at v1beta1, itself deprecated from 1.1, would have them move twice.
func TestLifecycle(t *testing.T) {
	type lifecycle interface {
		APILifecycleIntroduced() (major, minor int)
	}
	tests := []struct {
		obj        lifecycle
		introduced int // the minor of 1.x
		warning    string
	}{
		{&v1.At{}, 1, ""},
		{&v1.AtList{}, 1, ""},
		{&v1beta1.At{}, 0, "cnat.programming-kubernetes.info/v1beta1 At is deprecated in v1.1+, unavailable in v1.4+; use cnat.programming-kubernetes.info/v1 At"},
		{&v1beta1.AtList{}, 0, "cnat.programming-kubernetes.info/v1beta1 AtList is deprecated in v1.1+, unavailable in v1.4+; use cnat.programming-kubernetes.info/v1 AtList"},
		{&v1alpha1.At{}, 0, "cnat.programming-kubernetes.info/v1alpha1 At is deprecated in v1.0+, unavailable in v1.3+; use cnat.programming-kubernetes.info/v1 At"},
		{&v1alpha1.AtList{}, 0, "cnat.programming-kubernetes.info/v1alpha1 AtList is deprecated in v1.0+, unavailable in v1.3+; use cnat.programming-kubernetes.info/v1 AtList"},
	}
	scheme, _ := newScheme()
	for _, tc := range tests {
		obj := tc.obj.(interface{ DeepCopyObject() runtime.Object }).DeepCopyObject()
		gvks, _, err := scheme.ObjectKinds(obj)
		if err != nil {
			t.Fatal(err)
		}
		obj.GetObjectKind().SetGroupVersionKind(gvks[0])
		if major, minor := tc.obj.APILifecycleIntroduced(); major != 1 || minor != tc.introduced {
			t.Errorf("%s introduced in %d.%d, want 1.%d", gvks[0], major, minor, tc.introduced)
		}
		if deprecated := deprecation.IsDeprecated(obj, 1, 1); deprecated != (tc.warning != "") {
			t.Errorf("%s deprecated at 1.1: %v", gvks[0], deprecated)
		}
		if tc.warning == "" {
			continue
		}
		if got := deprecation.WarningMessage(obj); got != tc.warning {
			t.Errorf("%s warns\n  %q\nwant\n  %q", gvks[0], got, tc.warning)
		}
	}
}

// atStorage stands for the ats storage in the storage map RemoveUnavailableKinds looks at.
type atStorage struct{}

func (atStorage) New() runtime.Object { return &cnat.At{} }
func (atStorage) Destroy()            {}

// TestServedVersionsAndStorageVersion: what k8s.io/apiserver's emulation machinery makes of the lifecycle, at
// each cnat release: the versions served (ResourceExpirationEvaluator, as the server calls it) and the
// storage version it picks (the first in priority order that the release before can read).
func TestServedVersionsAndStorageVersion(t *testing.T) {
	scheme, _ := newScheme()
	tests := []struct {
		binary, emulated string
		served           []string
		storage          string
	}{
		{"1.1", "1.0", []string{"v1alpha1", "v1beta1"}, "v1beta1"},
		{"1.1", "1.1", []string{"v1", "v1alpha1", "v1beta1"}, "v1beta1"},
		{"1.2", "1.2", []string{"v1", "v1alpha1", "v1beta1"}, "v1"},
		{"1.3", "1.3", []string{"v1", "v1beta1"}, "v1"},
		{"1.4", "1.4", []string{"v1"}, "v1"},
	}
	for _, tc := range tests {
		t.Run(tc.binary+"/emulating-"+tc.emulated, func(t *testing.T) {
			emulated := version.MustParse(tc.emulated)
			storageMap := map[string]map[string]rest.Storage{}
			for _, v := range versions {
				storageMap[v.name] = map[string]rest.Storage{"ats": atStorage{}, "ats/status": atStorage{}}
			}
			evaluator, err := genericapiserver.NewResourceExpirationEvaluator(emulated)
			if err != nil {
				t.Fatal(err)
			}
			if err := evaluator.RemoveUnavailableKinds(cnat.GroupName, scheme, storageMap, nil); err != nil {
				t.Fatal(err)
			}
			if served := slices.Sorted(maps.Keys(storageMap)); !slices.Equal(served, tc.served) {
				t.Errorf("served %v, want %v", served, tc.served)
			}

			effective := basecompatibility.NewEffectiveVersionFromString(tc.binary, "", "")
			effective.SetEmulationVersion(emulated)
			effective.SetMinCompatibilityVersion(emulated.SubtractMinor(1))
			encoding := serverstorage.NewDefaultResourceEncodingConfigForEffectiveVersion(scheme, effective)
			gv, err := encoding.BackwardCompatibileStorageEncodingFor(cnat.Resource("ats"), &cnat.At{})
			if err != nil {
				t.Fatal(err)
			}
			if gv.Version != tc.storage {
				t.Errorf("storage version %s, want %s", gv.Version, tc.storage)
			}
		})
	}
}
