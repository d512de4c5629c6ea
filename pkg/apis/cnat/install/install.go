// Package install registers the cnat API group, all its versions and their conversions, in a scheme.
package install

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	v1 "github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// Install registers the internal version, v1 (preferred wherever it is served), v1beta1 and v1alpha1 (both
// deprecated). The priority also orders the candidates of the storage version: the server's emulation
// machinery takes the first one its minimum compatibility version already knows.
func Install(scheme *runtime.Scheme) {
	utilruntime.Must(cnat.AddToScheme(scheme))
	utilruntime.Must(v1.AddToScheme(scheme))
	utilruntime.Must(v1beta1.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	utilruntime.Must(scheme.SetVersionPriority(v1.SchemeGroupVersion, v1beta1.SchemeGroupVersion, v1alpha1.SchemeGroupVersion))
}
