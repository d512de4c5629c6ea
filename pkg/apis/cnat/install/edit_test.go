package install

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/apitesting/fuzzer"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metafuzzer "k8s.io/apimachinery/pkg/apis/meta/fuzzer"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	cnatfuzzer "github.com/programming-kubernetes/cnat/pkg/apis/cnat/fuzzer"
	v1 "github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1"
)

// TestEditThroughEveryVersionKeepsEveryField: an At created in v1 and edited through any version (v1beta1,
// v1alpha1, v1 itself), in JSON, YAML or protobuf, keeps every field. The edit is what kubectl edit or a
// client's read-modify-write does: the server encodes the stored At in the client's version, the client
// decodes it into its own type, changes a label, encodes it again, and the server decodes it back.
func TestEditThroughEveryVersionKeepsEveryField(t *testing.T) {
	scheme, codecs := newScheme()
	filler := fuzzer.FuzzerFor(fuzzer.MergeFuzzerFuncs(metafuzzer.Funcs, cnatfuzzer.Funcs), randSource(t), codecs)
	for _, mediaType := range []string{runtime.ContentTypeJSON, runtime.ContentTypeYAML, runtime.ContentTypeProtobuf} {
		info, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), mediaType)
		if !ok {
			t.Fatalf("no serializer for %s", mediaType)
		}
		for _, v := range versions {
			gv := schema.GroupVersion{Group: cnat.GroupName, Version: v.name}
			toClient := codecs.EncoderForVersion(info.Serializer, gv)
			fromClient := codecs.UniversalDecoder(cnat.SchemeGroupVersion)
			for i := 0; i < 300; i++ {
				// Created in v1: the v1 object as a client sends it, decoded (and defaulted) by the server.
				created := &v1.At{}
				filler.Fill(created)
				created.SetGroupVersionKind(v1.SchemeGroupVersion.WithKind("At"))
				body, err := runtime.Encode(codecs.LegacyCodec(v1.SchemeGroupVersion), created)
				if err != nil {
					t.Fatal(err)
				}
				stored, err := runtime.Decode(fromClient, body)
				if err != nil {
					t.Fatalf("create in v1: %v", err)
				}

				// Read in the client's version and format, edited on the client's side.
				shown, err := runtime.Encode(toClient, stored)
				if err != nil {
					t.Fatalf("%s %s: encode: %v", v.name, mediaType, err)
				}
				clientObj, _, err := info.Serializer.Decode(shown, nil, v.new())
				if err != nil {
					t.Fatalf("%s %s: client decode: %v", v.name, mediaType, err)
				}
				accessor, err := meta.Accessor(clientObj)
				if err != nil {
					t.Fatal(err)
				}
				labels := accessor.GetLabels()
				if labels == nil {
					labels = map[string]string{}
				}
				labels["edited-in"] = v.name
				accessor.SetLabels(labels)
				clientObj.GetObjectKind().SetGroupVersionKind(gv.WithKind("At"))
				edited, err := runtime.Encode(info.Serializer, clientObj)
				if err != nil {
					t.Fatalf("%s %s: client encode: %v", v.name, mediaType, err)
				}

				// Written back and read in v1.
				back, err := runtime.Decode(fromClient, edited)
				if err != nil {
					t.Fatalf("%s %s: write back: %v", v.name, mediaType, err)
				}
				want, got := &v1.At{}, &v1.At{}
				if err := scheme.Convert(stored, want, nil); err != nil {
					t.Fatal(err)
				}
				if err := scheme.Convert(back, got, nil); err != nil {
					t.Fatal(err)
				}
				if got.Labels["edited-in"] != v.name {
					t.Fatalf("%s %s: the edit was lost: labels %v", v.name, mediaType, got.Labels)
				}
				delete(got.Labels, "edited-in")
				want.TypeMeta, got.TypeMeta = metav1.TypeMeta{}, metav1.TypeMeta{}
				if !apiequality.Semantic.DeepEqual(want, got) {
					t.Fatalf("an edit through %s in %s changed the At (-created +after the edit):\n%s", v.name, mediaType, cmp.Diff(want, got))
				}
			}
		}
	}
}
