package atstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// The peer: the same At as a CustomResourceDefinition served by kube-apiserver, in a group of its own so
// that it cannot clash with the aggregated cnat group. Its schema says what v1beta1's validation says where
// OpenAPI can say it (required fields, a non-empty argv, the phases, the image default); status is a
// subresource and the printer columns are the table's.
const crdGroup = "crd.cnat.programming-kubernetes.info"

// CRDResource is the peer's resource.
var CRDResource = schema.GroupVersionResource{Group: crdGroup, Version: "v1beta1", Resource: "ats"}

const crdManifest = `{
  "apiVersion": "apiextensions.k8s.io/v1",
  "kind": "CustomResourceDefinition",
  "metadata": {"name": "ats.` + crdGroup + `"},
  "spec": {
    "group": "` + crdGroup + `",
    "scope": "Namespaced",
    "names": {"plural": "ats", "singular": "at", "kind": "At", "listKind": "AtList"},
    "versions": [{
      "name": "v1beta1", "served": true, "storage": true,
      "subresources": {"status": {}},
      "additionalPrinterColumns": [
        {"name": "Schedule", "type": "date", "jsonPath": ".spec.schedule"},
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        {"name": "Image", "type": "string", "jsonPath": ".spec.image", "priority": 1},
        {"name": "Pod", "type": "string", "jsonPath": ".status.podName", "priority": 1}
      ],
      "schema": {"openAPIV3Schema": {
        "type": "object",
        "properties": {
          "spec": {
            "type": "object", "required": ["schedule", "command"],
            "properties": {
              "schedule": {"type": "string", "format": "date-time"},
              "command": {"type": "array", "minItems": 1, "x-kubernetes-list-type": "atomic",
                          "items": {"type": "string"},
                          "x-kubernetes-validations": [{"rule": "self[0] != ''", "message": "must name the program to run"}]},
              "image": {"type": "string", "default": "docker.io/library/busybox:1.36", "minLength": 1}
            }
          },
          "status": {
            "type": "object",
            "properties": {
              "phase": {"type": "string", "enum": ["Pending", "Running", "Succeeded", "Failed"]},
              "podName": {"type": "string", "maxLength": 253},
              "startTime": {"type": "string", "format": "date-time"},
              "completionTime": {"type": "string", "format": "date-time"},
              "observedGeneration": {"type": "integer", "format": "int64", "minimum": 0},
              "conditions": {
                "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"],
                "items": {
                  "type": "object", "required": ["type", "status", "lastTransitionTime", "reason", "message"],
                  "properties": {
                    "type": {"type": "string", "maxLength": 316},
                    "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
                    "observedGeneration": {"type": "integer", "format": "int64", "minimum": 0},
                    "lastTransitionTime": {"type": "string", "format": "date-time"},
                    "reason": {"type": "string", "maxLength": 1024, "minLength": 1},
                    "message": {"type": "string", "maxLength": 32768}
                  }
                }
              }
            }
          }
        }
      }}
    }]
  }
}`

var crdDefinitions = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// InstallCRD creates the peer's CRD (or finds it) and waits until kube-apiserver serves it.
func InstallCRD(ctx context.Context, client dynamic.Interface) error {
	var crd unstructured.Unstructured
	if err := json.Unmarshal([]byte(crdManifest), &crd.Object); err != nil {
		return err
	}
	crds := client.Resource(crdDefinitions)
	if _, err := crds.Create(ctx, &crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the CRD: %w", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		got, err := crds.Get(ctx, crd.GetName(), metav1.GetOptions{})
		if err == nil && established(got) {
			// Established means the handler exists; discovery and the first request may still race it.
			time.Sleep(2 * time.Second)
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("CRD %s not established in 60s", crd.GetName())
}

func established(crd *unstructured.Unstructured) bool {
	conditions, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conditions {
		if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// NewCRD is the peer's store of objects [0, objects) of namespace: the CRD At through the dynamic client
// (JSON: custom resources have no protobuf).
func NewCRD(client dynamic.Interface, namespace string, objects int) *Dynamic {
	return NewDynamic(client, CRDResource, crdAt, namespace, objects)
}

// crdAt is object i as the CRD At: the At of the aggregated stores, field for field.
func crdAt(i int) map[string]any {
	return map[string]any{
		"apiVersion": CRDResource.GroupVersion().String(),
		"kind":       "At",
		"metadata":   map[string]any{"name": ObjectName(i), "labels": map[string]any{"bench": "true"}},
		"spec": map[string]any{
			"schedule": Schedule.UTC().Format(time.RFC3339),
			"command":  []any{"echo", "hello", strconv.Itoa(i)},
			"image":    "busybox:1.36",
		},
	}
}
