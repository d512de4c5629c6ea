package v1alpha1

import "k8s.io/apimachinery/pkg/runtime"

// v1alpha1 has no defaulted fields (the image it cannot show comes from conversion); the generated
// RegisterDefaults is registered all the same, so that a +default marker added later takes effect.
func init() {
	localSchemeBuilder.Register(addDefaultingFuncs)
}

func addDefaultingFuncs(scheme *runtime.Scheme) error {
	return RegisterDefaults(scheme)
}
