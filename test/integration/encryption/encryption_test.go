// Package encryption tests encryption at rest of Ats (--encryption-provider-config) on the real standalone
// server. The key rotation of docs/operations.md is tested in test/reliability, on replicas behind a real
// kube-apiserver.
package encryption

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
	"github.com/programming-kubernetes/cnat/test/internal/encryptionconfig"
	"github.com/programming-kubernetes/cnat/test/internal/localup"
)

// secretWord is in every At's command: it must never be readable in etcd.
const secretWord = "launch-codes"

// writeConfig writes an EncryptionConfiguration (encryptionconfig.For) to a file of dir.
func writeConfig(t *testing.T, dir, name string, identity bool, keys ...string) string {
	t.Helper()
	path := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(path, []byte(encryptionconfig.For(identity, keys...)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func at(name string) string {
	return fmt.Sprintf(`{"apiVersion":"cnat.programming-kubernetes.info/v1beta1","kind":"At","metadata":{"name":%q,"namespace":"default"},`+
		`"spec":{"schedule":"2099-01-01T00:00:00Z","command":["echo",%q]}}`, name, secretWord)
}

// kubectl runs real kubectl as the server's admin.
func kubectl(t *testing.T, s *framework.Server, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(localup.Kubectl(), append([]string{"--kubeconfig", filepath.Join(s.DataDir, "admin.kubeconfig")}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// checkStored checks how every At lies in etcd: with the prefix, and never with the secret word in clear.
func checkStored(t *testing.T, dataDir, prefix string, want int) {
	t.Helper()
	values := framework.StoredValues(t, dataDir)
	if len(values) != want {
		t.Errorf("%d Ats in etcd, want %d", len(values), want)
	}
	for key, value := range values {
		if !bytes.HasPrefix(value, []byte(prefix)) {
			t.Errorf("%s stored as %.30q…, want the prefix %q", key, value, prefix)
		}
		if strings.HasPrefix(prefix, "k8s:enc:") && bytes.Contains(value, []byte(secretWord)) {
			t.Errorf("%s is readable in etcd: %q", key, value)
		}
	}
}

// TestEncryptionAtRest: with a secretbox provider, Ats are written encrypted (k8s:enc:secretbox:v1:<key>:) and read,
// listed and watched as before; Ats written before encryption stay readable and are encrypted when rewritten.
func TestEncryptionAtRest(t *testing.T) {
	dir := t.TempDir()
	plain := framework.StartT(t, dir)
	kubectl(t, plain, at("before"), "apply", "-f", "-")
	plain.Stop()
	checkStored(t, dir, "\x6b\x38\x73\x00", 1) // protobuf, unencrypted

	config := writeConfig(t, dir, "key1", true, "key1")
	s := framework.StartT(t, dir, "--encryption-provider-config", config)
	ats := s.Client.CnatV1beta1().Ats("default")
	w, err := ats.Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	kubectl(t, s, at("after"), "apply", "-f", "-")
	select {
	case ev := <-w.ResultChan():
		if ev.Type != watch.Added {
			t.Errorf("watch: %s, want ADDED", ev.Type)
		}
	case <-time.After(30 * time.Second):
		t.Error("watch: no event for the encrypted At")
	}
	if out := kubectl(t, s, "", "get", "ats", "-o", "name"); !strings.Contains(out, "at.cnat.programming-kubernetes.info/before") ||
		!strings.Contains(out, "at.cnat.programming-kubernetes.info/after") {
		t.Errorf("kubectl get ats: %s", out)
	}
	if out := kubectl(t, s, "", "get", "at", "before", "-o", "jsonpath={.spec.command[1]}"); out != secretWord {
		t.Errorf("the At written before encryption reads %q", out)
	}
	// Written again, the At from before is encrypted too.
	kubectl(t, s, "", "label", "at", "before", "rewritten=true")
	s.Stop()
	checkStored(t, dir, encryptionconfig.Prefix("key1"), 2)
}
