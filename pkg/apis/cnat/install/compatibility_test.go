package install

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/apitesting/roundtrip"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
)

// TestCompatibility holds the wire form of the At of every served version, in JSON, YAML and protobuf, to
// golden files, the way Kubernetes holds its own (k8s.io/api's testdata): testdata/compatibility/HEAD has an
// At of each version with every field filled, which must encode to the same bytes, decode without error and
// come back the same. A change to a type that changes its wire form fails here. After an intended change:
//
//	UPDATE_COMPATIBILITY_FIXTURE_DATA=true go test ./pkg/apis/cnat/install -run TestCompatibility
//
// At a release, copy HEAD to testdata/compatibility/v<release> (v1.1, …): the objects of older releases must
// then still decode and re-encode the same, which the test checks for every such directory.
func TestCompatibility(t *testing.T) {
	scheme, _ := newScheme()
	opts := roundtrip.NewCompatibilityTestOptions(scheme)
	opts.TestDataDir = "../testdata/compatibility"
	for _, v := range versions {
		opts.Kinds = append(opts.Kinds, schema.GroupVersionKind{Group: cnat.GroupName, Version: v.name, Kind: "At"})
	}
	opts.Complete(t).Run(t)
}
