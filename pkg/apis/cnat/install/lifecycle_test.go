package install

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/endpoints/deprecation"

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
