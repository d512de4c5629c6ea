package apiserver

import (
	"net/http"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/apiserver"
)

const (
	protobuf = runtime.ContentTypeProtobuf
	asTable  = ";as=Table;v=v1;g=meta.k8s.io"
)

// TestProtobufIsOffered: ats speak protobuf both ways, and a type that has no protobuf form (Table) falls
// back to JSON when the client accepts JSON too; only a client that accepts nothing else gets 406.
func TestProtobufIsOffered(t *testing.T) {
	ns := namespace(t)
	info, ok := runtime.SerializerInfoForMediaType(apiserver.Codecs.SupportedMediaTypes(), protobuf)
	if !ok {
		t.Fatal("the server's codecs have no protobuf serializer")
	}
	at := newAt("proto")
	at.APIVersion, at.Kind = v1beta1.SchemeGroupVersion.String(), "At"
	encoded, err := runtime.Encode(apiserver.Codecs.EncoderForVersion(info.Serializer, v1beta1.SchemeGroupVersion), at)
	if err != nil {
		t.Fatal(err)
	}
	created := do(t, nil, http.MethodPost, atsPath("v1beta1", ns), protobuf, encoded, "Accept", protobuf)
	if created.code != http.StatusCreated || created.header.Get("Content-Type") != protobuf {
		t.Fatalf("create with a protobuf body: %d %q %s", created.code, created.header.Get("Content-Type"), created.body)
	}
	decoded, err := runtime.Decode(apiserver.Codecs.UniversalDeserializer(), created.body)
	if err != nil {
		t.Fatalf("the protobuf answer does not decode: %v", err)
	}
	if got, ok := decoded.(*v1beta1.At); !ok || got.Name != "proto" || got.Spec.Image != "alpine:3.20" ||
		strings.Join(got.Spec.Command, " ") != "echo a b" {
		t.Errorf("created At: %#v", decoded)
	}

	tests := []struct {
		name, path, accept string
		code               int
		contentType        string // prefix of the answer's Content-Type
	}{
		{"get, protobuf preferred", atsPath("v1beta1", ns) + "/proto", protobuf + ", application/json", 200, protobuf},
		{"list, protobuf preferred", atsPath("v1beta1", ns), protobuf + ", application/json", 200, protobuf},
		{"list in v1alpha1, protobuf", atsPath("v1alpha1", ns), protobuf, 200, protobuf},
		{"table, protobuf or JSON", atsPath("v1beta1", ns), protobuf + asTable + ", application/json" + asTable + ", application/json", 200, "application/json"},
		{"table, protobuf only", atsPath("v1beta1", ns), protobuf + asTable, http.StatusNotAcceptable, ""},
		{"anything, protobuf only for a Table", atsPath("v1beta1", ns) + "/proto", protobuf + asTable, http.StatusNotAcceptable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, nil, http.MethodGet, tt.path, "", nil, "Accept", tt.accept)
			if resp.code != tt.code || !strings.HasPrefix(resp.header.Get("Content-Type"), tt.contentType) {
				t.Errorf("%d %q, want %d %q: %.300s", resp.code, resp.header.Get("Content-Type"), tt.code, tt.contentType, resp.body)
			}
			if tt.code == 200 && tt.contentType == "application/json" && !strings.Contains(string(resp.body), `"kind":"Table"`) {
				t.Errorf("not a Table: %.300s", resp.body)
			}
		})
	}

}
