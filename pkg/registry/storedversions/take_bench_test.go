package storedversions

import (
	"context"
	"fmt"
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage/storagebackend"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
)

// BenchmarkTakePages times the census of a real etcd's Ats by page size: every page makes etcd count the keys
// from its start to the end of the resource, so the number of pages is what a large resource costs. It reads
// the etcd of a control plane holding many Ats (scale --million leaves a million there while it runs):
//
//	STOREDVERSIONS_ETCD=$CP_ETCD_URL go test ./pkg/registry/storedversions -run XXX -bench TakePages -benchtime 1x
func BenchmarkTakePages(b *testing.B) {
	server := os.Getenv("STOREDVERSIONS_ETCD")
	if server == "" {
		b.Skip("STOREDVERSIONS_ETCD (an etcd URL) not set")
	}
	r := Resource{
		GroupResource: cnat.Resource("ats"),
		Options: generic.RESTOptions{
			StorageConfig: &storagebackend.ConfigForResource{Config: storagebackend.Config{
				Prefix:    "/cnat",
				Transport: storagebackend.TransportConfig{ServerList: []string{server}},
			}},
			ResourcePrefix: "cnat.programming-kubernetes.info/ats",
		},
		Decoder: serializer.NewCodecFactory(runtime.NewScheme()).UniversalDeserializer(),
	}
	defer func(size int64) { pageSize = size }(pageSize)
	for _, size := range []int64{1000, 10000} {
		b.Run(fmt.Sprintf("pages-of-%d", size), func(b *testing.B) {
			pageSize = size
			for b.Loop() {
				census, err := Take(context.Background(), r)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for _, c := range census.Count {
					n += c
				}
				b.ReportMetric(float64(n), "objects")
			}
		})
	}
}
