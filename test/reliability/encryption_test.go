package reliability

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/programming-kubernetes/cnat/test/internal/encryptionconfig"
)

// rotationSteps are the EncryptionConfigurations of a key rotation, as docs/operations.md gives them: the
// new key added second (every replica can read it before any writes with it), then first, then — after every
// At was written again — the old key removed.
var rotationSteps = []struct {
	name string
	keys []string
	// prefix is what every At in etcd starts with once the step is done.
	prefix string
}{
	{"key1 only", []string{"key1"}, encryptionconfig.Prefix("key1")},
	{"key2 added second", []string{"key1", "key2"}, encryptionconfig.Prefix("key1")},
	{"key2 first, every At rewritten", []string{"key2", "key1"}, encryptionconfig.Prefix("key2")},
	{"key1 removed", []string{"key2"}, encryptionconfig.Prefix("key2")},
}

// The rewrite of docs/operations.md: every At read and written back, so that it is encrypted with the key
// that is now first.
const rewriteEveryAt = "kubectl get ats --all-namespaces -o json | kubectl replace -f -"

// TestKeyRotation rotates the encryption key of two replicas under load, step by step as docs/operations.md
// says, restarting them one after the other at each step: no request fails, nothing is lost, and at the end
// every At in etcd is encrypted with the new key and readable by nobody without it.
func TestKeyRotation(t *testing.T) {
	requireHandover(t)
	d := newDeployment(t, 3)
	configs := filepath.Join(d.dir, "encryption")
	if err := os.MkdirAll(configs, 0o700); err != nil {
		t.Fatal(err)
	}
	flagsFor := func(step int) string {
		path := filepath.Join(configs, fmt.Sprintf("step-%d.yaml", step))
		if err := os.WriteFile(path, []byte(encryptionconfig.For(false, rotationSteps[step].keys...)), 0o600); err != nil {
			t.Fatal(err)
		}
		return "--encryption-provider-config=" + path
	}

	d.waitReady(d.start("a", flagsFor(0)))
	d.waitReady(d.start("b", flagsFor(0)))
	d.register()
	run := startLoad(t)
	time.Sleep(phase(2*time.Second, 10*time.Second))
	d.checkEncrypted(rotationSteps[0].prefix)

	for step := 1; step < len(rotationSteps); step++ {
		flag := flagsFor(step)
		for _, name := range []string{"a", "b"} {
			d.terminate(d.replicas[name])
			d.waitReady(d.start(name, flag))
		}
		if strings.Contains(rotationSteps[step].name, "rewritten") {
			// Stop the load first: the rewrite replaces what it read, and an updater's write in between would
			// make that a conflict (kubectl replace does not retry).
			row := run.Finish("key rotation, 2 replicas restarted at each step", "")
			report(t, row)
			if row.Failed > 0 {
				t.Errorf("%d requests failed during the key rotation, want 0", row.Failed)
			}
			if out, err := env.shell(rewriteEveryAt); err != nil {
				t.Fatalf("%s: %v\n%s", rewriteEveryAt, err, out)
			}
		}
		d.checkEncrypted(rotationSteps[step].prefix)
	}
	if out, err := env.kubectl("", "get", "ats", "--all-namespaces", "-o", "name"); err != nil || strings.Count(out, "\n") == 0 {
		t.Errorf("reading the Ats with the new key only: %v %s", err, out)
	}
}

// checkEncrypted reads every At straight from etcd: each must start with prefix and not show its name.
func (d *deployment) checkEncrypted(prefix string) {
	d.t.Helper()
	client, err := d.etcd.Client()
	if err != nil {
		d.t.Fatal(err)
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := client.Get(ctx, "/cnat/", clientv3.WithPrefix())
	if err != nil {
		d.t.Fatal(err)
	}
	ats := 0
	for _, kv := range resp.Kvs {
		key := string(kv.Key)
		if !strings.Contains(key, "/ats/") {
			continue
		}
		ats++
		name := key[strings.LastIndex(key, "/")+1:]
		if !bytes.HasPrefix(kv.Value, []byte(prefix)) {
			d.t.Errorf("%s stored as %.30q…, want %q", key, kv.Value, prefix)
		}
		if bytes.Contains(kv.Value, []byte(name)) {
			d.t.Errorf("%s: its name is readable in etcd", key)
		}
	}
	if ats == 0 {
		d.t.Error("no At in etcd")
	}
}
