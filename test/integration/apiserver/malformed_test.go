package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
)

// malformed is a value that cannot become the field it is written to.
type malformed struct {
	pointer string // where, as a JSON pointer
	value   any
	field   string // the field path the Status must name
}

// validAts are valid Ats in each version, as JSON objects.
var validAts = map[string]map[string]any{
	"v1beta1":  {"spec": map[string]any{"schedule": "2099-01-01T00:00:00Z", "command": []any{"true"}}},
	"v1alpha1": {"spec": map[string]any{"schedule": "2099-01-01T00:00:00Z", "command": "true"}},
}

// TestMalformedFields: a value of the wrong JSON type, or a time that does not parse, is a 422 Invalid whose
// causes name the field, like a CRD's, whatever way it is written: create in JSON and YAML, update (of the
// At and of its status), merge patch, JSON patch, strategic merge patch and server-side apply, in both
// versions. Nothing is written.
func TestMalformedFields(t *testing.T) {
	ns := namespace(t)
	cases := map[string][]malformed{
		"v1beta1": {
			{"/spec/schedule", "tomorrow", "spec.schedule"},
			{"/spec/schedule", "", "spec.schedule"},
			{"/spec/command", "echo hi", "spec.command"},
			{"/spec/image", 5, "spec.image"},
			{"/metadata/labels", "team=a", "metadata.labels"},
			{"/metadata/labels", map[string]any{"team": 5}, "metadata.labels[team]"},
			{"/status/startTime", "yesterday", "status.startTime"},
		},
		"v1alpha1": {
			{"/spec/command", []any{"echo", "hi"}, "spec.command"},
			{"/spec/schedule", 1554977520, "spec.schedule"},
			{"/metadata/annotations", []any{"a"}, "metadata.annotations"},
		},
	}
	for version, bad := range cases {
		path := atsPath(version, ns)
		target := "target-" + version
		created := do(t, nil, http.MethodPost, path, "application/json", mustJSON(t, object(version, target, "", nil)))
		if created.code != 201 {
			t.Fatalf("creating %s: %d %s", target, created.code, created.body)
		}
		for _, m := range bad {
			requests := []struct {
				method, path, contentType string
				body                      []byte
			}{
				{http.MethodPost, path, "application/json", mustJSON(t, object(version, "new", m.pointer, m.value))},
				{http.MethodPost, path, "application/yaml", mustYAML(t, object(version, "new", m.pointer, m.value))},
				{http.MethodPut, path + "/" + target, "application/json", mustJSON(t, object(version, target, m.pointer, m.value))},
				{http.MethodPut, path + "/" + target + "/status", "application/json", mustJSON(t, object(version, target, m.pointer, m.value))},
				{http.MethodPatch, path + "/" + target, string(types.MergePatchType), mustJSON(t, patch(m.pointer, m.value))},
				{http.MethodPatch, path + "/" + target, string(types.StrategicMergePatchType), mustJSON(t, patch(m.pointer, m.value))},
				{http.MethodPatch, path + "/" + target, string(types.JSONPatchType),
					mustJSON(t, []any{map[string]any{"op": "add", "path": m.pointer, "value": m.value}})},
				{http.MethodPatch, path + "/" + target + "?fieldManager=test", string(types.ApplyYAMLPatchType),
					mustYAML(t, object(version, target, m.pointer, m.value))},
			}
			for _, r := range requests {
				t.Run(fmt.Sprintf("%s %s=%v %s %s", version, m.pointer, m.value, r.method, r.contentType), func(t *testing.T) {
					wantInvalid(t, do(t, nil, r.method, r.path, r.contentType, r.body), m.field)
				})
			}
		}
		got := do(t, nil, http.MethodGet, path+"/"+target, "", nil)
		var before, after metav1.PartialObjectMetadata
		_ = json.Unmarshal(created.body, &before)
		_ = json.Unmarshal(got.body, &after)
		if got.code != 200 || after.ResourceVersion != before.ResourceVersion {
			t.Errorf("%s changed: %d %s", target, got.code, got.body)
		}
	}
	if list, err := server.Client.CnatV1beta1().Ats(ns).List(ctx(), metav1.ListOptions{}); err != nil || len(list.Items) != 2 {
		t.Errorf("malformed writes stored something: %v %v", list, err)
	}
}

// TestWrongKind: a body of another kind, or of another API version, is a 422 naming kind and apiVersion and
// saying what the endpoint takes, on create, update and apply.
func TestWrongKind(t *testing.T) {
	ns := namespace(t)
	path := atsPath("v1beta1", ns)
	if resp := do(t, nil, http.MethodPost, path, "application/json", body("kept")); resp.code != 201 {
		t.Fatalf("%d %s", resp.code, resp.body)
	}
	pod := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"kept"},"spec":{"containers":[]}}`)
	alpha := []byte(`{"apiVersion":"cnat.programming-kubernetes.info/v1alpha1","kind":"At","metadata":{"name":"kept"}}`)
	list := []byte(`{"apiVersion":"cnat.programming-kubernetes.info/v1beta1","kind":"AtList","metadata":{"name":"kept"}}`)
	for _, tc := range []struct {
		name, method, path, contentType string
		body                            []byte
		fields                          []string
	}{
		{"create a Pod", http.MethodPost, path, "application/json", pod, []string{"kind", "apiVersion"}},
		{"update with a Pod", http.MethodPut, path + "/kept", "application/json", pod, []string{"kind", "apiVersion"}},
		{"apply a Pod", http.MethodPatch, path + "/kept?fieldManager=test", string(types.ApplyYAMLPatchType), pod, []string{"kind", "apiVersion"}},
		{"create an AtList", http.MethodPost, path, "application/json", list, []string{"kind"}},
		{"create in another version", http.MethodPost, path, "application/json", alpha, []string{"apiVersion"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(t, nil, tc.method, tc.path, tc.contentType, tc.body)
			status := wantInvalid(t, resp, tc.fields...)
			if strings.Contains(status.Message, "scheme.go") || !strings.Contains(status.Message, "cnat.programming-kubernetes.info/v1beta1") {
				t.Errorf("the message does not say what the endpoint takes: %s", status.Message)
			}
		})
	}
}

// TestBookkeepingAnnotationNotJSON: a v1alpha1 bookkeeping annotation that does not hold what it must is a
// 422 on the annotation, on create, update and server-side apply alike (apply was a 500).
func TestBookkeepingAnnotationNotJSON(t *testing.T) {
	ns := namespace(t)
	path := atsPath("v1alpha1", ns)
	if resp := do(t, nil, http.MethodPost, path, "application/json", mustJSON(t, object("v1alpha1", "kept", "", nil))); resp.code != 201 {
		t.Fatalf("%d %s", resp.code, resp.body)
	}
	for _, annotation := range []string{cnat.CommandAnnotation, cnat.StatusAnnotation} {
		garbage := object("v1alpha1", "kept", "/metadata/annotations", map[string]any{annotation: "{"})
		field := "metadata.annotations[" + annotation + "]"
		for _, r := range []struct{ method, path, contentType string }{
			{http.MethodPost, path, "application/json"},
			{http.MethodPut, path + "/kept", "application/json"},
			{http.MethodPatch, path + "/kept?fieldManager=test", string(types.ApplyYAMLPatchType)},
			{http.MethodPatch, path + "/kept", string(types.MergePatchType)},
		} {
			t.Run(annotation+" "+r.method+" "+r.contentType, func(t *testing.T) {
				wantInvalid(t, do(t, nil, r.method, r.path, r.contentType, mustJSON(t, garbage)), field)
			})
		}
	}
}

// TestMalformedStatusInYAML: the Status comes in the media type the client accepts.
func TestMalformedStatusInYAML(t *testing.T) {
	bad := object("v1beta1", "x", "/spec/command", "echo hi")
	resp := do(t, nil, http.MethodPost, atsPath("v1beta1", namespace(t)), "application/json", mustJSON(t, bad),
		"Accept", "application/yaml")
	var status metav1.Status
	if err := yaml.Unmarshal(resp.body, &status); err != nil || resp.code != 422 || status.Kind != "Status" ||
		status.Details == nil || len(status.Details.Causes) != 1 || status.Details.Causes[0].Field != "spec.command" {
		t.Errorf("%d %v %s, want a YAML Status 422 on spec.command", resp.code, err, resp.body)
	}
}

// wantInvalid checks that resp is a 422 Invalid Status for an At with a cause for each of fields.
func wantInvalid(t *testing.T, resp response, fields ...string) metav1.Status {
	t.Helper()
	if resp.code != 422 {
		t.Fatalf("%d, want 422: %.400s", resp.code, resp.body)
	}
	status := resp.status(t)
	if status.Reason != metav1.StatusReasonInvalid || status.Details == nil || status.Details.Kind != "At" ||
		status.Details.Group != group {
		t.Errorf("not an Invalid Status for an At: %s", resp.body)
	}
	for _, f := range fields {
		if !hasCause(status, f) {
			t.Errorf("no cause for %s: %s", f, resp.body)
		}
	}
	return status
}

// object returns a valid At of version named name, with value written at pointer (none when pointer is "").
func object(version, name, pointer string, value any) map[string]any {
	at := map[string]any{"apiVersion": group + "/" + version, "kind": "At", "metadata": map[string]any{"name": name}}
	for k, v := range validAts[version] {
		at[k] = deepCopy(v)
	}
	if pointer != "" {
		set(at, pointer, value)
	}
	return at
}

// patch returns a merge patch that writes value at pointer.
func patch(pointer string, value any) map[string]any {
	p := map[string]any{}
	set(p, pointer, value)
	return p
}

func set(object map[string]any, pointer string, value any) {
	tokens := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	for _, token := range tokens[:len(tokens)-1] {
		next, ok := object[token].(map[string]any)
		if !ok {
			next = map[string]any{}
			object[token] = next
		}
		object = next
	}
	object[tokens[len(tokens)-1]] = value
}

func deepCopy(v any) any {
	data, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(data, &out)
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustYAML(t *testing.T, v any) []byte {
	t.Helper()
	data, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
