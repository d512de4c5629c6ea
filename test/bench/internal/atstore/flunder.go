package atstore

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// FlunderResource is k8s.io/sample-apiserver's Flunder in its storage version (no conversion on the way).
var FlunderResource = schema.GroupVersionResource{Group: "wardle.example.com", Version: "v1alpha1", Resource: "flunders"}

// NewFlunders is the store of Flunders [0, objects) of namespace in k8s.io/sample-apiserver, through the
// dynamic client (JSON). A Flunder is metadata and two strings: what the generic server's path costs for
// about the smallest object it can serve.
func NewFlunders(client dynamic.Interface, namespace string, objects int) *Dynamic {
	return NewDynamic(client, FlunderResource, flunder, namespace, objects)
}

func flunder(i int) map[string]any {
	return map[string]any{
		"apiVersion": FlunderResource.GroupVersion().String(),
		"kind":       "Flunder",
		"metadata":   map[string]any{"name": ObjectName(i), "labels": map[string]any{"bench": "true"}},
		// A reference to another Flunder: sample-apiserver's validation wants the type with it.
		"spec": map[string]any{"reference": ObjectName(i + 1), "referenceType": "Flunder"},
	}
}
