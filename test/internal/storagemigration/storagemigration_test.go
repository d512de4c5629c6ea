package storagemigration

import (
	"bytes"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// TestTypeOf: TypeOf reads the encoding and version of what cnat-apiserver stores (protobuf, v1beta1) and of
// what BookStorage writes (JSON, v1alpha1), and Stale's encoding decodes back to the same At.
func TestTypeOf(t *testing.T) {
	at := &cnat.At{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "ns"},
		Spec: cnat.AtSpec{Command: []string{"echo", "YAY"}, Schedule: metav1.Unix(1555063920, 0)}}
	info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), Protobuf)
	if !ok {
		t.Fatal("no protobuf serializer")
	}
	for _, tc := range []struct {
		name                        string
		encoder                     runtime.Encoder
		mediaType, apiVersion, kind string
	}{
		{"storage", codecs.EncoderForVersion(info.Serializer, v1beta1.SchemeGroupVersion), Protobuf, "cnat.programming-kubernetes.info/v1beta1", "At"},
		{"book", BookStorage(), JSON, "cnat.programming-kubernetes.info/v1alpha1", "At"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.encoder.Encode(at, &buf); err != nil {
				t.Fatal(err)
			}
			mediaType, apiVersion, kind, err := TypeOf(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if mediaType != tc.mediaType || apiVersion != tc.apiVersion || kind != tc.kind {
				t.Errorf("TypeOf = %s %s %s, want %s %s %s", mediaType, apiVersion, kind, tc.mediaType, tc.apiVersion, tc.kind)
			}
			obj, _, err := codecs.UniversalDecoder().Decode(buf.Bytes(), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := obj.(*cnat.At); got.Name != at.Name || !got.Spec.Schedule.Equal(&at.Spec.Schedule) ||
				len(got.Spec.Command) != 2 || got.Spec.Command[1] != "YAY" {
				t.Errorf("decoded %+v, want %+v", got, at)
			}
		})
	}
	if _, _, _, err := TypeOf([]byte("k8s:enc:aescbc:v1:key1:...")); err == nil {
		t.Error("TypeOf of an encrypted value: no error")
	}
}
