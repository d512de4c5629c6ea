package apiserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/programming-kubernetes/cnat/pkg/apiserver"
)

// TestTooLargeForEtcd: an At too large for etcd is the client's to fix. Whether etcd refuses it (over its
// --max-request-bytes, 1.5 MiB) or etcd's client does (over gRPC's 2 MiB), the answer to a create, an update
// and a patch, in both versions, JSON and protobuf, is 413 RequestEntityTooLarge naming the limit and the
// At's size, without Retry-After; and nothing is stored.
func TestTooLargeForEtcd(t *testing.T) {
	for _, size := range []struct {
		name  string
		bytes int
		limit string // in the message
	}{
		{"over the etcd limit", 1700 << 10, "--max-request-bytes"},
		{"over the gRPC limit", 2100 << 10, "2 MiB"},
	} {
		huge := strings.Repeat("x", size.bytes)
		for _, version := range []string{"v1alpha1", "v1beta1"} {
			// spec.command is a command line in v1alpha1, an argv in v1beta1.
			var hugeCommand any = []any{huge}
			if version == "v1alpha1" {
				hugeCommand = huge
			}
			t.Run(size.name+"/"+version, func(t *testing.T) {
				ns := namespace(t)
				path := atsPath(version, ns)
				for _, encoding := range []string{"application/json", protobuf} {
					t.Run("create "+encoding, func(t *testing.T) {
						at := object(version, "created", "/spec/command", hugeCommand)
						wantTooLarge(t, size.limit, do(t, nil, http.MethodPost, path, encoding, encode(t, at, version, encoding)))
						if got := do(t, nil, http.MethodGet, path+"/created", "", nil); got.code != http.StatusNotFound {
							t.Errorf("GET after the refused create: %d, want 404: %.300s", got.code, got.body)
						}
					})
				}

				created := do(t, nil, http.MethodPost, path, "application/json", encode(t, object(version, "updated", "", nil), version, "application/json"))
				if created.code != http.StatusCreated {
					t.Fatalf("create: %d %.300s", created.code, created.body)
				}
				var before map[string]any
				if err := json.Unmarshal(created.body, &before); err != nil {
					t.Fatal(err)
				}
				for _, encoding := range []string{"application/json", protobuf} {
					t.Run("update "+encoding, func(t *testing.T) {
						at := deepCopy(before).(map[string]any)
						set(at, "/spec/command", hugeCommand)
						wantTooLarge(t, size.limit, do(t, nil, http.MethodPut, path+"/updated", encoding, encode(t, at, version, encoding)))
					})
				}
				t.Run("merge patch", func(t *testing.T) {
					wantTooLarge(t, size.limit, do(t, nil, http.MethodPatch, path+"/updated", "application/merge-patch+json",
						mustJSON(t, patch("/spec/command", hugeCommand))))
				})
				t.Run("server-side apply", func(t *testing.T) {
					at := object(version, "updated", "/spec/command", hugeCommand)
					wantTooLarge(t, size.limit, do(t, nil, http.MethodPatch, path+"/updated?fieldManager=test&force=true", "application/apply-patch+yaml", mustJSON(t, at)))
				})

				after := do(t, nil, http.MethodGet, path+"/updated", "", nil)
				var got map[string]any
				if err := json.Unmarshal(after.body, &got); err != nil || after.code != http.StatusOK {
					t.Fatalf("GET after the refused writes: %d %v %.300s", after.code, err, after.body)
				}
				if resourceVersion(got) != resourceVersion(before) {
					t.Errorf("the refused writes changed the At: resourceVersion %s, was %s", resourceVersion(got), resourceVersion(before))
				}
			})
		}
	}
}

// wantTooLarge checks that resp is a 413 RequestEntityTooLarge Status that names limit and the At's size, and
// that it does not ask the client to retry.
func wantTooLarge(t *testing.T, limit string, resp response) {
	t.Helper()
	if resp.code != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d, want 413: %.300s", resp.code, resp.body)
	}
	if retry := resp.header.Get("Retry-After"); retry != "" {
		t.Errorf("Retry-After: %s, want none: no retry can succeed", retry)
	}
	status := resp.status(t)
	if status.Reason != metav1.StatusReasonRequestEntityTooLarge {
		t.Errorf("reason %q, want RequestEntityTooLarge", status.Reason)
	}
	for _, part := range []string{"too large to store", "encoded for storage, it is", limit, "must be smaller"} {
		if !strings.Contains(status.Message, part) {
			t.Errorf("message %q, want it to say %q", status.Message, part)
		}
	}
}

// encode encodes an At as JSON or, through its Go type, as protobuf.
func encode(t *testing.T, at map[string]any, version, mediaType string) []byte {
	t.Helper()
	data := mustJSON(t, at)
	if mediaType == "application/json" {
		return data
	}
	typed, err := runtime.Decode(apiserver.Codecs.UniversalDeserializer(), data)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := runtime.SerializerInfoForMediaType(apiserver.Codecs.SupportedMediaTypes(), mediaType)
	gv := schema.GroupVersion{Group: group, Version: version}
	encoded, err := runtime.Encode(apiserver.Codecs.EncoderForVersion(info.Serializer, gv), typed)
	if err != nil {
		t.Fatal(err)
	}
	return encoded
}

func resourceVersion(at map[string]any) any {
	return at["metadata"].(map[string]any)["resourceVersion"]
}
