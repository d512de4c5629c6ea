package e2e

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// checkTLSFlags: cnat-apiserver and etcd are told to speak TLS 1.2 at least, and in TLS 1.2 only suites of
// forward secrecy (ECDHE) and authenticated encryption (GCM, ChaCha20-Poly1305). Which handshakes the
// servers really refuse with these flags: test/integration/handshake.
func checkTLSFlags(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, w := range []struct {
		kind, name, minVersion, suites string
	}{
		// Each server spells TLS 1.2 its own way.
		{"Deployment", "cnat-apiserver", "VersionTLS12", "tls-cipher-suites"},
		{"StatefulSet", deployEtcd, "TLS1.2", "cipher-suites"},
	} {
		args := containerArgs(onlyContainer(t, findObject(t, objs, w.kind, w.name)))
		if got := mustFlag(t, args, "tls-min-version"); got != w.minVersion {
			t.Errorf("%s %s: --tls-min-version=%s, want %s", w.kind, w.name, got, w.minVersion)
		}
		for _, suite := range strings.Split(mustFlag(t, args, w.suites), ",") {
			if !strings.Contains(suite, "_ECDHE_") || !(strings.Contains(suite, "_GCM_") || strings.Contains(suite, "_CHACHA20_POLY1305")) {
				t.Errorf("%s %s: --%s allows %s, want only ECDHE with GCM or ChaCha20-Poly1305", w.kind, w.name, w.suites, suite)
			}
		}
	}
}
