package handshake

import (
	"crypto/tls"
	"net/url"
	"path/filepath"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/cert"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
	"github.com/programming-kubernetes/cnat/test/internal/pki"
)

// TestAPIServerDefaultTLS: cnat-apiserver without any TLS flag (standalone, its own ECDSA serving
// certificate) refuses TLS 1.1 and the weak suites, Go's default CBC suites among them, and serves TLS 1.2
// with a strong suite and TLS 1.3.
func TestAPIServerDefaultTLS(t *testing.T) {
	s := framework.StartT(t, t.TempDir())
	client, err := rest.TLSConfigFor(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	client.ServerName = "127.0.0.1"
	serving, err := tls.LoadX509KeyPair(s.PKI.ServingCert(), s.PKI.ServingKey())
	if err != nil {
		t.Fatal(err)
	}
	checkTLS(t, hostPort(t, s.URL), client, serving, ecdsaKey)
}

// TestAPIServerDeploymentTLS: cnat-apiserver with the TLS flags of the Deployment in artifacts/deploy, and an
// RSA serving certificate (cert-manager's default key), refuses RSA key exchange, 3DES, RC4 and CBC suites.
func TestAPIServerDeploymentTLS(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA(dir, "ca", "cnat-test-ca")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.IssueRSA(dir, "serving", "cnat-apiserver", nil, pki.Server, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	flags := artifactFlags(t, "deployment.yaml", "Deployment", "tls-min-version", "tls-cipher-suites")
	s := framework.StartT(t, filepath.Join(dir, "data"), append(flags,
		"--tls-cert-file="+pair.CertFile, "--tls-private-key-file="+pair.KeyFile)...)
	roots, err := cert.NewPool(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	serving, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	checkTLS(t, hostPort(t, s.URL), &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}, serving, rsaKey)
}

func hostPort(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
