package storedversions

import (
	"context"
	"crypto/aes"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/value"
	aestransformer "k8s.io/apiserver/pkg/storage/value/encrypt/aes"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/embeddedetcd"
)

// TestTakeCountsEveryStoredVersion: values in JSON and in protobuf, encrypted with the key as authenticated
// data as the store writes them, read with etcd's RangeStream (in chunks of its choosing) and, as against an
// etcd before 3.7, over several pages (of 1000 here); keys of other resources under the same prefix are not
// counted.
func TestTakeCountsEveryStoredVersion(t *testing.T) {
	defer func(size int64, s bool) { pageSize, streamed = size, s }(pageSize, streamed)
	pageSize = 1000
	etcd, err := embeddedetcd.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := etcd.Start(); err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{etcd.ClientURL()}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	block, err := aes.NewCipher([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	transformer, err := aestransformer.NewGCMTransformer(block)
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	codecs := serializer.NewCodecFactory(scheme)

	// 1200 in v1beta1 as protobuf, 900 in v1 as JSON: more than two pages.
	want := map[string]int{"cnat.programming-kubernetes.info/v1beta1": 1200, "cnat.programming-kubernetes.info/v1": 900}
	put := func(key string, data []byte) {
		stored, err := transformer.TransformToStorage(ctx, data, value.DefaultContext(key))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Put(ctx, key, string(stored)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range want["cnat.programming-kubernetes.info/v1beta1"] {
		put(fmt.Sprintf("/registry/cnat/ats/ns/pb-%04d", i), protobufValue("cnat.programming-kubernetes.info/v1beta1", "At"))
	}
	for i := range want["cnat.programming-kubernetes.info/v1"] {
		put(fmt.Sprintf("/registry/cnat/ats/ns/json-%04d", i),
			[]byte(`{"apiVersion":"cnat.programming-kubernetes.info/v1","kind":"At","metadata":{"name":"x"}}`))
	}
	// Another resource whose name starts like ours: not ours.
	put("/registry/cnat/atsx/ns/other", []byte(`{"apiVersion":"other/v9","kind":"Other"}`))

	r := Resource{
		GroupResource: cnat.Resource("ats"),
		Options: generic.RESTOptions{
			StorageConfig: &storagebackend.ConfigForResource{Config: storagebackend.Config{
				Prefix:      "/registry",
				Transport:   storagebackend.TransportConfig{ServerList: []string{etcd.ClientURL()}},
				Transformer: transformer,
			}},
			ResourcePrefix: "cnat/ats",
		},
		Served:  []string{"v1beta1", "v1alpha1"},
		Decoder: codecs.UniversalDeserializer(),
		Release: "cnat-apiserver 1.0",
	}
	for _, streaming := range []bool{true, false} {
		t.Run(map[bool]string{true: "streamed", false: "pages"}[streaming], func(t *testing.T) {
			streamed = streaming
			if streaming {
				// The stream itself, not its fallback to pages: etcd 3.7 serves RangeStream.
				n := 0
				if err := stream(ctx, client, "/registry/cnat/ats/", func(kvs []*mvccpb.KeyValue) error { n += len(kvs); return nil }); err != nil || n != 2100 {
					t.Fatalf("RangeStream: %d values, %v; want 2100", n, err)
				}
			}
			r := r
			census, err := Take(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			for gv, n := range want {
				if census.Count[gv] != n {
					t.Errorf("%s: counted %d, want %d (census %v)", gv, census.Count[gv], n, census.Count)
				}
			}
			if len(census.Count) != len(want) {
				t.Errorf("census %v, want only %v", census.Count, want)
			}

			err = census.Verify(r)
			if err == nil || !strings.Contains(err.Error(), "900 stored as cnat.programming-kubernetes.info/v1 (e.g. /registry/cnat/ats/ns/json-0000)") {
				t.Errorf("Verify = %v, want it to name the 900 in v1", err)
			}
			r.Served = []string{"v1", "v1beta1"}
			if err := census.Verify(r); err != nil {
				t.Errorf("Verify with both versions served = %v", err)
			}
		})
	}
}

// protobufValue is a stored value in Kubernetes' protobuf envelope: the magic prefix and a runtime.Unknown
// with the type header (the object's own bytes do not matter to the check).
func protobufValue(apiVersion, kind string) []byte {
	unknown := runtime.Unknown{TypeMeta: runtime.TypeMeta{APIVersion: apiVersion, Kind: kind}, Raw: []byte{0x0a, 0x00}}
	data, err := unknown.Marshal()
	if err != nil {
		panic(err)
	}
	return append([]byte("k8s\x00"), data...)
}
