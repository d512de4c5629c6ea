package v1

import "k8s.io/apimachinery/pkg/runtime"

// The defaults themselves are +default markers on the fields (spec.image), so that the OpenAPI schema and
// defaulter-gen say the same thing.
func init() {
	localSchemeBuilder.Register(addDefaultingFuncs)
}

func addDefaultingFuncs(scheme *runtime.Scheme) error {
	return RegisterDefaults(scheme)
}
