package storedversions

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage/storagebackend"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/embeddedetcd"
)

// BenchmarkTakePages times the census of a real etcd's Ats streamed (etcd 3.7's RangeStream) and by page size:
// every page makes etcd count the keys from its start to the end of the resource, so the number of pages is
// what a large resource costs read in pages. It reads
// the etcd of a control plane holding many Ats (scale --million leaves a million there while it runs):
//
//	STOREDVERSIONS_ETCD=$CP_ETCD_URL go test ./pkg/registry/storedversions -run XXX -bench TakePages -benchtime 1x
func BenchmarkTakePages(b *testing.B) {
	server := os.Getenv("STOREDVERSIONS_ETCD")
	if server == "" {
		server = loadedEtcd(b)
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
	defer func(size int64, s bool) { pageSize, streamed = size, s }(pageSize, streamed)
	for _, size := range []int64{0, 1000, 10000} {
		name := fmt.Sprintf("pages-of-%d", size)
		if size == 0 {
			name = "streamed"
		}
		b.Run(name, func(b *testing.B) {
			pageSize, streamed = size, size == 0
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

// loadedEtcd starts an embedded etcd holding STOREDVERSIONS_OBJECTS values under the prefix the benchmark
// reads, in transactions of 100 (etcd's default --max-txn-ops is 128), and returns its URL.
func loadedEtcd(b *testing.B) string {
	b.Helper()
	objects := 100000
	if s := os.Getenv("STOREDVERSIONS_OBJECTS"); s != "" {
		var err error
		if objects, err = strconv.Atoi(s); err != nil {
			b.Fatal(err)
		}
	}
	etcd, err := embeddedetcd.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	if err := etcd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(etcd.Close)
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{etcd.ClientURL()}, DialTimeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	value := string(protobufValue("cnat.programming-kubernetes.info/v1", "At"))
	for i := 0; i < objects; i += 100 {
		var ops []clientv3.Op
		for j := i; j < min(i+100, objects); j++ {
			ops = append(ops, clientv3.OpPut(fmt.Sprintf("/cnat/cnat.programming-kubernetes.info/ats/bench/at-%07d", j), value))
		}
		if _, err := client.Txn(context.Background()).Then(ops...).Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return etcd.ClientURL()
}
