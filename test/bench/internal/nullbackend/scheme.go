// Package nullbackend is the least an aggregated API server can be: it answers discovery for one group and
// keeps the Ats of that group in a map, with no authentication, admission, validation or storage. Behind
// kube-apiserver's aggregator it is the ceiling of every aggregated server on the machine; called directly,
// what HTTP and TLS alone cost. The At is cnat's v1beta1 At, encoded by the k8s codecs in JSON or protobuf,
// in a group of its own so that it cannot clash with cnat-apiserver's.
package nullbackend

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// GroupVersion is the group and version the null backend serves; its one resource is Resource.
var GroupVersion = schema.GroupVersion{Group: "null.bench.cnat.programming-kubernetes.info", Version: "v1beta1"}

// Resource is the Ats of GroupVersion.
var Resource = GroupVersion.WithResource("ats")

var (
	// Scheme holds cnat's v1beta1 At and AtList under GroupVersion, and the meta types.
	Scheme = runtime.NewScheme()
	// Codecs serializes and deserializes the objects of Scheme. There is one version of each type: nothing
	// is ever converted.
	Codecs = serializer.NewCodecFactory(Scheme)
)

func init() {
	Scheme.AddKnownTypes(GroupVersion, &v1beta1.At{}, &v1beta1.AtList{})
	metav1.AddToGroupVersion(Scheme, GroupVersion)
	// Options types in the empty group's v1 as well, as the generated clientsets register them.
	metav1.AddToGroupVersion(Scheme, schema.GroupVersion{Version: "v1"})
}
