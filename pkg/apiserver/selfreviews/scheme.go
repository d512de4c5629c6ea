// Package selfreviews serves, on a standalone server, the APIs with which a user asks who they are and what
// they may do: authentication.k8s.io/v1 SelfSubjectReview (kubectl auth whoami) and authorization.k8s.io/v1
// SelfSubjectAccessReview (kubectl auth can-i). Behind kube-apiserver (aggregated) it serves them itself.
package selfreviews

import (
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
)

var (
	// Scheme holds the review types, apart from the cnat API's scheme.
	Scheme = runtime.NewScheme()
	// Codecs serializes and deserializes the objects of Scheme.
	Codecs = serializer.NewCodecFactory(Scheme)
)

func init() {
	utilruntime.Must(addKnownTypes(authorizationv1.SchemeGroupVersion, &authorizationv1.SelfSubjectAccessReview{}))
	utilruntime.Must(addKnownTypes(authenticationv1.SchemeGroupVersion, &authenticationv1.SelfSubjectReview{}))
	// Options types (CreateOptions, …) in the empty group's v1, as the generic server expects.
	metav1.AddToGroupVersion(Scheme, schema.GroupVersion{Version: "v1"})
	Scheme.AddUnversionedTypes(schema.GroupVersion{Version: "v1"},
		&metav1.Status{}, &metav1.APIVersions{}, &metav1.APIGroupList{}, &metav1.APIGroup{}, &metav1.APIResourceList{})
}

// addKnownTypes registers a k8s.io/api type in its version and, as the same Go type, in the group's internal
// version, which the generic server converts requests to (its hub). k8s.io/api has no internal types (they
// live in k8s.io/kubernetes), and these APIs have a single version: "converting" between the two only sets
// the kind, as runtime.Scheme does for a type registered in the target version.
func addKnownTypes(gv schema.GroupVersion, obj runtime.Object) error {
	Scheme.AddKnownTypes(gv, obj)
	Scheme.AddKnownTypes(schema.GroupVersion{Group: gv.Group, Version: runtime.APIVersionInternal}, obj)
	metav1.AddToGroupVersion(Scheme, gv)
	return Scheme.SetVersionPriority(gv)
}
