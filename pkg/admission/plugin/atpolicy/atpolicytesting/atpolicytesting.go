// Package atpolicytesting holds what the AtPolicy tests of several packages (the plugin's own unit tests,
// the server's admission options, the integration tests on a running server) need alike.
package atpolicytesting

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// WantForbidden fails unless err is a 403 whose message holds every part.
func WantForbidden(t testing.TB, err error, parts ...string) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Fatalf("got %v, want 403 Forbidden", err)
	}
	for _, part := range parts {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("%q does not contain %q", err, part)
		}
	}
}

// WriteAdmissionConfig writes, in a temporary dir of the test, an AdmissionConfiguration holding an
// AtPolicyConfiguration with the given fields (YAML, one per line), and returns its path: what
// --admission-control-config-file takes.
func WriteAdmissionConfig(t testing.TB, policyFields string) string {
	t.Helper()
	indented := "      " + strings.ReplaceAll(strings.TrimSpace(policyFields), "\n", "\n      ")
	path := filepath.Join(t.TempDir(), "admission-config.yaml")
	err := os.WriteFile(path, []byte(`apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: AtPolicy
    configuration:
      apiVersion: admission.cnat.programming-kubernetes.info/v1alpha1
      kind: AtPolicyConfiguration
`+indented+"\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return path
}
