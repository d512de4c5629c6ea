// Package install registers the AtPolicy configuration API, internal and v1alpha1, in a scheme.
package install

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy"
	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy/v1alpha1"
)

// Install registers the internal version and v1alpha1.
func Install(scheme *runtime.Scheme) {
	utilruntime.Must(atpolicy.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	utilruntime.Must(scheme.SetVersionPriority(v1alpha1.SchemeGroupVersion))
}
