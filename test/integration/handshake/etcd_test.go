package handshake

import (
	"crypto/tls"
	"path/filepath"
	"testing"

	"k8s.io/client-go/util/cert"

	"github.com/programming-kubernetes/cnat/test/internal/etcdcluster"
	"github.com/programming-kubernetes/cnat/test/internal/localup"
)

// TestEtcdStatefulSetTLS: a real etcd member with the TLS flags of the StatefulSet in artifacts/deploy refuses
// TLS 1.1 and weak suites on its client port and on its peer port, and serves TLS 1.2 with a strong suite and
// TLS 1.3 on both, to a client with a certificate it trusts.
func TestEtcdStatefulSetTLS(t *testing.T) {
	bin := filepath.Join(localup.Root(), "_output", "bin")
	flags := artifactFlags(t, "etcd.yaml", "StatefulSet", "tls-min-version", "cipher-suites")
	etcd, err := etcdcluster.Start(t.TempDir(), 1, etcdcluster.Binaries{Etcd: filepath.Join(bin, "etcd")}, flags...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(etcd.Stop)

	clientCert, err := tls.LoadX509KeyPair(etcd.ClientCert.CertFile, etcd.ClientCert.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := cert.NewPool(etcd.CA.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	member := etcd.Members[0]
	memberCert, err := tls.LoadX509KeyPair(etcd.MemberCert.CertFile, etcd.MemberCert.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	for port, url := range map[string]string{"client": member.ClientURL, "peer": member.PeerURL} {
		t.Run(port, func(t *testing.T) {
			// The member certificate is a client certificate too: peers present it.
			client := &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", Certificates: []tls.Certificate{clientCert}}
			if port == "peer" {
				client.Certificates = []tls.Certificate{memberCert}
			}
			checkTLS(t, hostPort(t, url), client, memberCert, ecdsaKey)
		})
	}
}
