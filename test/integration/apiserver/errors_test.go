package apiserver

import (
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const validAt = `{"apiVersion":"cnat.programming-kubernetes.info/v1beta1","kind":"At","metadata":{"name":"NAME"},` +
	`"spec":{"schedule":"2099-01-01T00:00:00Z","command":["true"]}}`

func body(name string) []byte { return []byte(strings.Replace(validAt, "NAME", name, 1)) }

// TestBadInput: every client mistake is a Status with a 4xx code, never a 500, and stores nothing.
func TestBadInput(t *testing.T) {
	ns := namespace(t)
	beta, alpha := atsPath("v1beta1", ns), atsPath("v1alpha1", ns)
	huge := []byte(`{"apiVersion":"cnat.programming-kubernetes.info/v1beta1","kind":"At","metadata":{"name":"huge"},` +
		`"spec":{"schedule":"2099-01-01T00:00:00Z","command":["` + strings.Repeat("x", 4<<20) + `"]}}`)

	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        []byte
		code        int
		causes      []string // field paths the Status must name
	}{
		{"malformed JSON", http.MethodPost, beta, "application/json", []byte(`{"apiVersion":`), 400, nil},
		{"malformed YAML", http.MethodPost, beta, "application/yaml", []byte("apiVersion: [\n  kind: At"), 400, nil},
		{"wrong kind", http.MethodPost, beta, "application/json", []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}}`),
			422, []string{"kind", "apiVersion"}},
		{"invalid At", http.MethodPost, beta, "application/json",
			[]byte(`{"apiVersion":"cnat.programming-kubernetes.info/v1beta1","kind":"At","metadata":{"name":"Bad_Name"},"spec":{"command":[""],"image":"UPPER"}}`),
			422, []string{"metadata.name", "spec.schedule", "spec.command[0]", "spec.image"}},
		{"unparsable v1alpha1 schedule", http.MethodPost, alpha, "application/json",
			[]byte(`{"apiVersion":"cnat.programming-kubernetes.info/v1alpha1","kind":"At","metadata":{"name":"soon"},"spec":{"schedule":"next tuesday","command":"true"}}`),
			422, []string{"spec.schedule"}},
		{"schedule not a time in v1beta1", http.MethodPost, beta, "application/json",
			[]byte(`{"apiVersion":"cnat.programming-kubernetes.info/v1beta1","kind":"At","metadata":{"name":"soon"},"spec":{"schedule":"next tuesday","command":["true"]}}`),
			422, []string{"spec.schedule"}},
		{"body over the limit", http.MethodPost, beta, "application/json", huge, 413, nil},
		{"empty protobuf envelope", http.MethodPost, beta, "application/vnd.kubernetes.protobuf", []byte("k8s\x00"), 400, nil},
		{"media type not spoken", http.MethodPost, beta, "text/plain", []byte("an At, please"), 415, nil},
		{"unknown field selector", http.MethodGet, beta + "?fieldSelector=spec.image%3Dx", "", nil, 400, nil},
		{"unknown version", http.MethodGet, "/apis/cnat.programming-kubernetes.info/v2/namespaces/" + ns + "/ats", "", nil, 404, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(t, nil, tc.method, tc.path, tc.contentType, tc.body)
			if resp.code != tc.code {
				t.Fatalf("%d, want %d: %.300s", resp.code, tc.code, resp.body)
			}
			if tc.code == 404 {
				return // the generic server's not-found handler answers with a Status too, checked elsewhere
			}
			status := resp.status(t)
			if int(status.Code) != tc.code {
				t.Errorf("Status.code %d, want %d", status.Code, tc.code)
			}
			for _, field := range tc.causes {
				found := false
				for _, c := range status.Details.Causes {
					found = found || c.Field == field
				}
				if !found {
					t.Errorf("no cause for %s in %+v", field, status.Details.Causes)
				}
			}
		})
	}
	list, err := server.Client.CnatV1beta1().Ats(ns).List(ctx(), metav1.ListOptions{})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("bad input stored something: %v %v", list, err)
	}
}

// TestStaleUpdateConflicts: an update with an old resourceVersion is 409 Conflict.
func TestStaleUpdateConflicts(t *testing.T) {
	ats := server.Client.CnatV1beta1().Ats(namespace(t))
	first, err := ats.Create(ctx(), newAt("stale"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stale := first.DeepCopy()
	first.Labels = map[string]string{"winner": "first"}
	if _, err := ats.Update(ctx(), first, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	stale.Labels = map[string]string{"winner": "stale"}
	if _, err := ats.Update(ctx(), stale, metav1.UpdateOptions{}); err == nil || !strings.Contains(err.Error(), "the object has been modified") {
		t.Fatalf("stale update: %v, want 409 Conflict", err)
	}
	got, _ := ats.Get(ctx(), "stale", metav1.GetOptions{})
	if got.Labels["winner"] != "first" {
		t.Errorf("stale update changed the At: %v", got.Labels)
	}
}
