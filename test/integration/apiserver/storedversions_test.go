package apiserver

import (
	"context"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
)

// TestRefusesStoredVersionItDoesNotServe: an At in etcd in a version the server does not serve (as after a
// rollback past a storage version change) makes the server refuse to start, naming the version, the count
// and a key; nothing is touched, and once that object is gone the server starts with every other At.
func TestRefusesStoredVersionItDoesNotServe(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first := framework.StartT(t, dir)
	for _, name := range []string{"a", "b", "c"} {
		if _, err := first.Client.CnatV1beta1().Ats("default").Create(ctx, newAt(name), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	first.Stop()

	// An At written by a release that stores a version this one does not know.
	const foreignVersion = "cnat.programming-kubernetes.info/v9"
	var foreignKey string
	framework.WithEtcd(t, dir, func(ctx context.Context, client *clientv3.Client) {
		resp, err := client.Get(ctx, "/registry/", clientv3.WithPrefix(), clientv3.WithKeysOnly())
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range resp.Kvs {
			if prefix, ok := strings.CutSuffix(string(kv.Key), "/default/a"); ok && strings.HasSuffix(prefix, "/ats") {
				foreignKey = prefix + "/default/from-the-future"
			}
		}
		if foreignKey == "" {
			t.Fatal("no key of the At default/a in etcd")
		}
		value := `{"apiVersion":"` + foreignVersion + `","kind":"At","metadata":{"name":"from-the-future","namespace":"default"},"spec":{"when":"soon"}}`
		if _, err := client.Put(ctx, foreignKey, value); err != nil {
			t.Fatal(err)
		}
	})

	_, err := framework.Start(dir)
	if err == nil {
		t.Fatal("the server started with an At stored in a version it does not serve")
	}
	t.Logf("refusal: %v", err)
	for _, want := range []string{"1 stored as " + foreignVersion, foreignKey, "it serves v1, v1beta1, v1alpha1", "Run a release that serves " + foreignVersion} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal does not say %q:\n%v", want, err)
		}
	}

	// The refusal changed nothing: the three Ats and the foreign value are all still there.
	values := framework.StoredValues(t, dir)
	if len(values) != 4 {
		t.Fatalf("%d values in etcd after the refusal, want the 3 Ats and the foreign one", len(values))
	}
	framework.WithEtcd(t, dir, func(ctx context.Context, client *clientv3.Client) {
		if _, err := client.Delete(ctx, foreignKey); err != nil {
			t.Fatal(err)
		}
	})
	second := framework.StartT(t, dir)
	list, err := second.Client.CnatV1beta1().Ats("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 3 {
		t.Errorf("%d Ats after the restart, want 3", len(list.Items))
	}
}
