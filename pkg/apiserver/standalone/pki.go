// Package standalone holds what cnat-apiserver needs to run with no Kubernetes cluster behind it: its own
// certificates, kept in the data dir across restarts, an admin kubeconfig, and its own authentication.
package standalone

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// PKI names the certificate files in <data-dir>/pki.
type PKI struct {
	Dir string
}

// NewPKI returns the PKI kept under dataDir.
func NewPKI(dataDir string) PKI { return PKI{Dir: filepath.Join(dataDir, "pki")} }

func (p PKI) ServingCACert() string { return filepath.Join(p.Dir, "serving-ca.crt") }
func (p PKI) ServingCAKey() string  { return filepath.Join(p.Dir, "serving-ca.key") }
func (p PKI) ServingCert() string   { return filepath.Join(p.Dir, "serving.crt") }
func (p PKI) ServingKey() string    { return filepath.Join(p.Dir, "serving.key") }
func (p PKI) ClientCACert() string  { return filepath.Join(p.Dir, "client-ca.crt") }
func (p PKI) ClientCAKey() string   { return filepath.Join(p.Dir, "client-ca.key") }
func (p PKI) AdminCert() string     { return filepath.Join(p.Dir, "admin.crt") }
func (p PKI) AdminKey() string      { return filepath.Join(p.Dir, "admin.key") }

const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 365 * 24 * time.Hour
	// renewBefore: a leaf certificate this close to expiry is issued anew at start.
	renewBefore = 30 * 24 * time.Hour
)

// AdminUser is the identity of the admin kubeconfig's certificate; system:masters may do anything.
const (
	AdminUser  = "cnat-admin"
	AdminGroup = "system:masters"
)

// Ensure creates what is missing or about to expire: a serving CA and a serving certificate for localhost,
// 127.0.0.1, ::1 and extraSANs; a client CA and the admin's client certificate. What exists is kept, so a
// kubeconfig written before keeps working after a restart.
func (p PKI) Ensure(extraSANs []string) error {
	if err := os.MkdirAll(p.Dir, 0o700); err != nil {
		return err
	}
	servingCA, servingCAKey, err := p.ensureCA(p.ServingCACert(), p.ServingCAKey(), "cnat-apiserver serving CA")
	if err != nil {
		return err
	}
	hosts := append([]string{"localhost", "127.0.0.1", "::1"}, extraSANs...)
	if err := ensureLeaf(p.ServingCert(), p.ServingKey(), servingCA, servingCAKey, serving(hosts)); err != nil {
		return err
	}
	clientCA, clientCAKey, err := p.ensureCA(p.ClientCACert(), p.ClientCAKey(), "cnat-apiserver client CA")
	if err != nil {
		return err
	}
	return ensureLeaf(p.AdminCert(), p.AdminKey(), clientCA, clientCAKey, client(AdminUser, AdminGroup))
}

// IssueClientCertificate signs a client certificate for user in groups with the client CA, for other users
// than the admin (and for tests).
func (p PKI) IssueClientCertificate(user string, groups ...string) (certPEM, keyPEM []byte, err error) {
	ca, caKey, err := load(p.ClientCACert(), p.ClientCAKey())
	if err != nil {
		return nil, nil, err
	}
	return issue(ca, caKey, client(user, groups...))
}

func (p PKI) ensureCA(certFile, keyFile, name string) (*x509.Certificate, crypto.Signer, error) {
	if cert, key, err := load(certFile, keyFile); err == nil && time.Until(cert.NotAfter) > renewBefore {
		return cert, key, nil
	}
	template := &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		NotAfter:              time.Now().Add(caValidity),
	}
	certPEM, keyPEM, err := issue(nil, nil, template)
	if err != nil {
		return nil, nil, err
	}
	if err := writePair(certFile, keyFile, certPEM, keyPEM); err != nil {
		return nil, nil, err
	}
	return load(certFile, keyFile)
}

func ensureLeaf(certFile, keyFile string, ca *x509.Certificate, caKey crypto.Signer, template *x509.Certificate) error {
	if cert, _, err := load(certFile, keyFile); err == nil && time.Until(cert.NotAfter) > renewBefore &&
		cert.CheckSignatureFrom(ca) == nil && sameNames(cert, template) {
		return nil
	}
	certPEM, keyPEM, err := issue(ca, caKey, template)
	if err != nil {
		return err
	}
	return writePair(certFile, keyFile, certPEM, keyPEM)
}

func serving(hosts []string) *x509.Certificate {
	t := &x509.Certificate{
		Subject:     pkix.Name{CommonName: hosts[0]},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		NotAfter:    time.Now().Add(leafValidity),
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			t.IPAddresses = append(t.IPAddresses, ip)
		} else {
			t.DNSNames = append(t.DNSNames, h)
		}
	}
	return t
}

func client(user string, groups ...string) *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: user, Organization: groups},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		NotAfter:    time.Now().Add(leafValidity),
	}
}

// sameNames tells whether an existing certificate still names what the template asks for.
func sameNames(cert, template *x509.Certificate) bool {
	if cert.Subject.CommonName != template.Subject.CommonName || len(cert.DNSNames) != len(template.DNSNames) ||
		len(cert.IPAddresses) != len(template.IPAddresses) {
		return false
	}
	for i := range cert.DNSNames {
		if cert.DNSNames[i] != template.DNSNames[i] {
			return false
		}
	}
	for i := range cert.IPAddresses {
		if !cert.IPAddresses[i].Equal(template.IPAddresses[i]) {
			return false
		}
	}
	return true
}

// issue signs template with ca (self-signs it when ca is nil) on a new P-256 key.
func issue(ca *x509.Certificate, caKey crypto.Signer, template *x509.Certificate) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	template.SerialNumber = serial
	template.NotBefore = time.Now().Add(-time.Hour) // tolerate clock skew
	parent, signer := template, crypto.Signer(key)
	if ca != nil {
		parent, signer = ca, caKey
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, key.Public(), signer)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

func load(certFile, keyFile string) (*x509.Certificate, crypto.Signer, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	certBlock, _ := pem.Decode(certPEM)
	keyBlock, _ := pem.Decode(keyPEM)
	if certBlock == nil || keyBlock == nil {
		return nil, nil, errors.New("not PEM")
	}
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParseECPrivateKey(keyBlock.Bytes)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

func writePair(certFile, keyFile string, certPEM, keyPEM []byte) error {
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", keyFile, err)
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", certFile, err)
	}
	return nil
}
