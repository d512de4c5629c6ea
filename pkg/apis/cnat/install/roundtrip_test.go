package install

import (
	"math/rand"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/apitesting/fuzzer"
	"k8s.io/apimachinery/pkg/api/apitesting/roundtrip"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metafuzzer "k8s.io/apimachinery/pkg/apis/meta/fuzzer"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	cnatfuzzer "github.com/programming-kubernetes/cnat/pkg/apis/cnat/fuzzer"
)

// TestRoundTripTypes fuzzes internal objects and sends them through every version and serialization
// (internal → v1|v1beta1|v1alpha1 → JSON → back to internal): nothing may be lost.
func TestRoundTripTypes(t *testing.T) {
	roundtrip.RoundTripTestForAPIGroup(t, Install, cnatfuzzer.Funcs)
}

// TestRoundTripTypesProtobuf is TestRoundTripTypes through protobuf, the encoding of clients that prefer it
// and of etcd with --storage-media-type=application/vnd.kubernetes.protobuf.
func TestRoundTripTypesProtobuf(t *testing.T) {
	roundtrip.RoundTripProtobufTestForAPIGroup(t, Install, cnatfuzzer.Funcs)
}

// TestRoundTripTypesYAML is TestRoundTripTypes through YAML, what kubectl get -o yaml shows and kubectl apply
// and edit send back.
func TestRoundTripTypesYAML(t *testing.T) {
	scheme, codecs := newScheme()
	filler := fuzzer.FuzzerFor(fuzzer.MergeFuzzerFuncs(metafuzzer.Funcs, cnatfuzzer.Funcs), randSource(t), codecs)
	yaml, ok := runtime.SerializerInfoForMediaType(codecs.SupportedMediaTypes(), runtime.ContentTypeYAML)
	if !ok {
		t.Fatal("no YAML serializer")
	}
	for _, v := range scheme.PrioritizedVersionsForGroup(cnat.GroupName) {
		codec := codecs.CodecForVersions(yaml.Serializer, codecs.UniversalDeserializer(), v, cnat.SchemeGroupVersion)
		for _, newObject := range []func() runtime.Object{
			func() runtime.Object { return &cnat.At{} },
			func() runtime.Object { return &cnat.AtList{} },
		} {
			for i := 0; i < 500; i++ {
				original := newObject()
				filler.Fill(original)
				original.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
				data, err := runtime.Encode(codec, original.DeepCopyObject())
				if err != nil {
					t.Fatalf("%s: encode %T: %v", v, original, err)
				}
				back, err := runtime.Decode(codec, data)
				if err != nil {
					t.Fatalf("%s: decode %T: %v\n%s", v, original, err, data)
				}
				back.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
				if !apiequality.Semantic.DeepEqual(original, back) {
					t.Fatalf("%T changed through %s YAML (-original +back):\n%s", original, v, cmp.Diff(original, back))
				}
			}
		}
	}
}

// TestExternalRoundTripThroughInternal fuzzes objects of each version and converts them to the internal
// version and back, as the server does for every write and read in that version.
func TestExternalRoundTripThroughInternal(t *testing.T) {
	scheme, codecs := newScheme()
	filler := fuzzer.FuzzerFor(fuzzer.MergeFuzzerFuncs(metafuzzer.Funcs, cnatfuzzer.Funcs), randSource(t), codecs)

	for _, v := range versions {
		for i := 0; i < 2000; i++ {
			original := v.new()
			filler.Fill(original)
			internal := &cnat.At{}
			if err := scheme.Convert(original, internal, nil); err != nil {
				t.Fatalf("%T to internal: %v", original, err)
			}
			back := v.new()
			if err := scheme.Convert(internal, back, nil); err != nil {
				t.Fatalf("internal to %T: %v", back, err)
			}
			if !apiequality.Semantic.DeepEqual(original, back) {
				t.Fatalf("%T changed through the internal version (-original +back):\n%s", original, cmp.Diff(original, back))
			}
		}
	}
}

// randSource logs its seed, so that a failure can be replayed.
func randSource(t *testing.T) rand.Source {
	seed := time.Now().UnixNano()
	t.Logf("fuzz seed %d", seed)
	return rand.NewSource(seed)
}
