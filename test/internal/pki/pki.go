// Package pki makes the certificates of test clusters: a CA, and leaf certificates it signs for servers
// (with their names and addresses) and clients, written as PEM files.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CA signs certificates; its certificate is at CertFile, its key at KeyFile.
type CA struct {
	CertFile, KeyFile string
	cert              *x509.Certificate
	key               crypto.Signer
}

// Pair is a certificate and its key, as files.
type Pair struct {
	CertFile, KeyFile string
}

// Usage says what a leaf certificate is for.
type Usage int

const (
	// Server is for TLS servers.
	Server Usage = 1 << iota
	// Client is for TLS clients.
	Client
	// Peer is both: an etcd member serves its peers and dials them with the same certificate.
	Peer = Server | Client
)

// NewCA makes a CA named cn, written to <dir>/<name>.crt (and .key), valid from an hour ago for a day.
func NewCA(dir, name, cn string) (*CA, error) {
	return NewCAValidBetween(dir, name, cn, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
}

// NewCAValidBetween makes a CA as NewCA does, valid from notBefore to notAfter: an expired certificate, or
// one not valid yet, for the tests of what refuses it.
func NewCAValidBetween(dir, name, cn string, notBefore, notAfter time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pair, err := write(dir, name, der, key)
	if err != nil {
		return nil, err
	}
	return &CA{CertFile: pair.CertFile, KeyFile: pair.KeyFile, cert: cert, key: key}, nil
}

// LoadCA reads a CA made elsewhere (openssl, by hack/lib/control-plane.sh) to sign with it.
func LoadCA(certFile, keyFile string) (*CA, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	signer, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: not a signing key", keyFile)
	}
	return &CA{CertFile: certFile, KeyFile: keyFile, cert: cert, key: signer}, nil
}

// Issue signs a certificate with an ECDSA P-256 key for cn (organizations become groups for Kubernetes)
// with the given names: IP addresses become IP SANs, anything else DNS SANs. It is written to
// <dir>/<name>.crt and .key.
func (ca *CA) Issue(dir, name, cn string, orgs []string, usage Usage, sans ...string) (Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Pair{}, err
	}
	return ca.issue(dir, name, cn, orgs, usage, key, sans)
}

// IssueRSA is Issue with a 2048-bit RSA key: the TLS cipher suites of RSA certificates (RSA key exchange,
// ECDHE_RSA) are only negotiable with one.
func (ca *CA) IssueRSA(dir, name, cn string, orgs []string, usage Usage, sans ...string) (Pair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return Pair{}, err
	}
	return ca.issue(dir, name, cn, orgs, usage, key, sans)
}

func (ca *CA) issue(dir, name, cn string, orgs []string, usage Usage, key crypto.Signer, sans []string) (Pair, error) {
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	if usage&Server != 0 {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if usage&Client != 0 {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	for _, san := range sans {
		if ip := net.ParseIP(san); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, san)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return Pair{}, err
	}
	return write(dir, name, der, key)
}

func write(dir, name string, der []byte, key crypto.Signer) (Pair, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Pair{}, err
	}
	keyBlock, err := keyPEM(key)
	if err != nil {
		return Pair{}, err
	}
	p := Pair{CertFile: filepath.Join(dir, name+".crt"), KeyFile: filepath.Join(dir, name+".key")}
	if err := os.WriteFile(p.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return Pair{}, err
	}
	if err := os.WriteFile(p.KeyFile, pem.EncodeToMemory(keyBlock), 0o600); err != nil {
		return Pair{}, err
	}
	return p, nil
}

// keyPEM encodes a key the way openssl writes it: SEC 1 for ECDSA, PKCS #1 for RSA.
func keyPEM(key crypto.Signer) (*pem.Block, error) {
	switch key := key.(type) {
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(key)
		return &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}, err
	case *rsa.PrivateKey:
		return &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}, nil
	default:
		return nil, fmt.Errorf("unsupported key type %T", key)
	}
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(fmt.Sprintf("random serial: %v", err))
	}
	return n
}

// Certificate reads the first certificate of a PEM file.
func Certificate(file string) (*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM certificate", file)
	}
	return x509.ParseCertificate(block.Bytes)
}

// Revoke writes a certificate revocation list signed by the CA, listing the given serial numbers, to file
// (DER: etcd's --client-crl-file takes no PEM).
func (ca *CA) Revoke(file string, serials ...*big.Int) error {
	tmpl := &x509.RevocationList{
		Number:     serial(),
		ThisUpdate: time.Now().Add(-time.Minute),
		NextUpdate: time.Now().Add(24 * time.Hour),
	}
	for _, s := range serials {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: s, RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.cert, ca.key)
	if err != nil {
		return err
	}
	return os.WriteFile(file, der, 0o644)
}

// Subject is the CA's subject, DER-encoded: what a TLS server lists among the CAs it accepts client
// certificates from.
func (ca *CA) Subject() []byte { return ca.cert.RawSubject }
