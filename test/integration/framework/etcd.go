package framework

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/programming-kubernetes/cnat/pkg/apiserver/embeddedetcd"
)

// StoredValues reads the values of every At straight from the embedded etcd of a stopped server's data dir,
// by "<namespace>/<name>": the bytes as they are on disk.
func StoredValues(t testing.TB, dataDir string) map[string][]byte {
	t.Helper()
	values := map[string][]byte{}
	WithEtcd(t, dataDir, func(ctx context.Context, client *clientv3.Client) {
		resp, err := client.Get(ctx, "/registry/", clientv3.WithPrefix())
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range resp.Kvs {
			if _, key, ok := strings.Cut(string(kv.Key), "/ats/"); ok {
				values[key] = kv.Value
			}
		}
	})
	return values
}

// WithEtcd starts the embedded etcd of a stopped server's data dir and calls f with a client of it.
func WithEtcd(t testing.TB, dataDir string, f func(ctx context.Context, client *clientv3.Client)) {
	t.Helper()
	etcd, err := embeddedetcd.New(filepath.Join(dataDir, "etcd"))
	if err != nil {
		t.Fatal(err)
	}
	if err := etcd.Start(); err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{etcd.ClientURL()}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f(ctx, client)
}

// StoredValue reads one At's value as StoredValues does.
func StoredValue(t testing.TB, dataDir, namespace, name string) []byte {
	t.Helper()
	values := StoredValues(t, dataDir)
	value, ok := values[namespace+"/"+name]
	if !ok {
		t.Fatalf("no key for %s/%s among %d Ats", namespace, name, len(values))
	}
	return value
}
