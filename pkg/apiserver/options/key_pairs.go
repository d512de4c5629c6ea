package options

import (
	"crypto/tls"
	"fmt"
	"time"
)

// validateKeyPairs checks that each certificate comes with its key, that they match, and that the
// certificate is valid now: a server with an expired serving certificate starts and then fails every TLS
// handshake, which is far harder to diagnose than a refusal at start.
func (o *Options) validateKeyPairs() []error {
	ro := o.RecommendedOptions
	var errs []error
	transport := ro.Etcd.StorageConfig.Transport
	if err := checkKeyPair("etcd-certfile", transport.CertFile, "etcd-keyfile", transport.KeyFile); err != nil {
		errs = append(errs, err)
	}
	if !o.servingCertFromDataDir {
		certKey := ro.SecureServing.ServerCert.CertKey
		if err := checkKeyPair("tls-cert-file", certKey.CertFile, "tls-private-key-file", certKey.KeyFile); err != nil {
			errs = append(errs, err)
		}
	}
	for _, nck := range ro.SecureServing.SNICertKeys {
		if err := checkKeyPair("tls-sni-cert-key", nck.CertFile, "tls-sni-cert-key", nck.KeyFile); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// checkKeyPair checks a certificate flag and its key flag together; files that cannot be read are reported
// by validateInputFiles already.
func checkKeyPair(certFlag, certFile, keyFlag, keyFile string) error {
	switch {
	case certFile == "" && keyFile == "":
		return nil
	case keyFile == "":
		return fmt.Errorf("--%s %s needs its key: --%s is not given", certFlag, certFile, keyFlag)
	case certFile == "":
		return fmt.Errorf("--%s %s needs its certificate: --%s is not given", keyFlag, keyFile, certFlag)
	case checkReadableFile(certFile) != nil || checkReadableFile(keyFile) != nil:
		return nil
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("--%s %s with --%s %s: %w", certFlag, certFile, keyFlag, keyFile, err)
	}
	now := time.Now()
	if leaf := pair.Leaf; now.After(leaf.NotAfter) {
		return fmt.Errorf("--%s %s: the certificate expired on %s", certFlag, certFile, leaf.NotAfter.UTC().Format(time.RFC3339))
	} else if now.Before(leaf.NotBefore) {
		return fmt.Errorf("--%s %s: the certificate is not valid before %s", certFlag, certFile, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}
