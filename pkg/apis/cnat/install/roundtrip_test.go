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
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	cnatfuzzer "github.com/programming-kubernetes/cnat/pkg/apis/cnat/fuzzer"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// TestRoundTripTypes fuzzes internal objects and sends them through every version and serialization
// (internal → v1alpha1|v1beta1 → JSON → back to internal): nothing may be lost.
func TestRoundTripTypes(t *testing.T) {
	roundtrip.RoundTripTestForAPIGroup(t, Install, cnatfuzzer.Funcs)
}

// TestRoundTripTypesProtobuf is TestRoundTripTypes through protobuf, the encoding of clients that prefer it
// and of etcd with --storage-media-type=application/vnd.kubernetes.protobuf.
func TestRoundTripTypesProtobuf(t *testing.T) {
	roundtrip.RoundTripProtobufTestForAPIGroup(t, Install, cnatfuzzer.Funcs)
}

// TestExternalRoundTripThroughInternal fuzzes objects of each version and converts them to the internal
// version and back, as the server does for every write and read in that version.
func TestExternalRoundTripThroughInternal(t *testing.T) {
	scheme := runtime.NewScheme()
	Install(scheme)
	codecs := serializer.NewCodecFactory(scheme)
	filler := fuzzer.FuzzerFor(fuzzer.MergeFuzzerFuncs(metafuzzer.Funcs, cnatfuzzer.Funcs), randSource(t), codecs)

	for _, newObject := range []func() runtime.Object{
		func() runtime.Object { return &v1alpha1.At{} },
		func() runtime.Object { return &v1beta1.At{} },
	} {
		for i := 0; i < 2000; i++ {
			original := newObject()
			filler.Fill(original)
			internal := &cnat.At{}
			if err := scheme.Convert(original, internal, nil); err != nil {
				t.Fatalf("%T to internal: %v", original, err)
			}
			back := newObject()
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
