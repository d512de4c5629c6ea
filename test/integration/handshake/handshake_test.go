// Package handshake tests which TLS handshakes cnat-apiserver and its etcd accept: real servers (cnat-apiserver
// in the test process, etcd as a process of _output/bin/etcd) with the TLS flags artifacts/deploy gives them,
// and real crypto/tls clients that offer only an old protocol version or only weak cipher suites.
package handshake

import (
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"
)

// keyType is the key of a server's certificate: a TLS 1.2 cipher suite is negotiable only with its kind.
type keyType int

const (
	ecdsaKey keyType = iota
	rsaKey
)

// weakSuites are TLS 1.2 suites a security review refuses, by the certificate key they work with: CBC with
// SHA-1 or SHA-256 MACs (Lucky13), RC4, 3DES (Sweet32), and RSA key exchange (no forward secrecy). Go's client
// still offers each when told to, which the control handshake of checkRefused proves.
var weakSuites = map[keyType][]uint16{
	ecdsaKey: {
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA,
	},
	rsaKey: {
		tls.TLS_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA,
	},
}

// strongSuite is a TLS 1.2 suite every server here must accept, by key type.
var strongSuite = map[keyType]uint16{
	ecdsaKey: tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	rsaKey:   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
}

// checkTLS makes real handshakes with the server at addr: TLS 1.1 and each weak TLS 1.2 suite are refused,
// TLS 1.2 with a strong suite and TLS 1.3 are accepted, and a client that leaves the choice to the server
// gets TLS 1.3. client verifies the server (and, for servers that require one, carries a client
// certificate); serverCert is the server's own certificate, for the control handshakes.
func checkTLS(t *testing.T, addr string, client *tls.Config, serverCert tls.Certificate, key keyType) {
	t.Helper()
	old := client.Clone()
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	checkRefused(t, addr, "TLS 1.1", old, serverCert)

	for _, suite := range weakSuites[key] {
		weak := client.Clone()
		weak.MinVersion, weak.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		weak.CipherSuites = []uint16{suite}
		checkRefused(t, addr, "TLS 1.2 with "+tls.CipherSuiteName(suite), weak, serverCert)
	}

	strong := client.Clone()
	strong.MinVersion, strong.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	strong.CipherSuites = []uint16{strongSuite[key]}
	if state, err := handshake(addr, strong); err != nil {
		t.Errorf("TLS 1.2 with %s: %v", tls.CipherSuiteName(strongSuite[key]), err)
	} else if state.CipherSuite != strongSuite[key] {
		t.Errorf("TLS 1.2 negotiated %s, want %s", tls.CipherSuiteName(state.CipherSuite), tls.CipherSuiteName(strongSuite[key]))
	}

	modern := client.Clone()
	modern.MinVersion, modern.MaxVersion = tls.VersionTLS13, tls.VersionTLS13
	if _, err := handshake(addr, modern); err != nil {
		t.Errorf("TLS 1.3: %v", err)
	}
	if state, err := handshake(addr, client); err != nil || state.Version != tls.VersionTLS13 {
		t.Errorf("a client of default settings negotiated %s (%v), want TLS 1.3", tls.VersionName(state.Version), err)
	}
}

// checkRefused: the server at addr refuses a handshake of config, which a server that allows every version
// and suite accepts with the same certificate (so the client really offered what it was told to, and the
// refusal is the server's settings, not a client that cannot).
func checkRefused(t *testing.T, addr, what string, config *tls.Config, serverCert tls.Certificate) {
	t.Helper()
	if err := controlHandshake(config, serverCert); err != nil {
		t.Errorf("%s: a server that allows it refuses too, the check would prove nothing: %v", what, err)
		return
	}
	if state, err := handshake(addr, config); err == nil {
		t.Errorf("%s: accepted (%s, %s), want the handshake refused", what, tls.VersionName(state.Version), tls.CipherSuiteName(state.CipherSuite))
	}
}

// handshake connects to addr and completes a TLS handshake with config.
func handshake(addr string, config *tls.Config) (tls.ConnectionState, error) {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", addr, config)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	return conn.ConnectionState(), nil
}

// controlHandshake runs the handshake of config against an in-memory server with cert that allows every
// version and suite Go implements.
func controlHandshake(config *tls.Config, cert tls.Certificate) error {
	var all []uint16
	for _, suites := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, s := range suites {
			all = append(all, s.ID)
		}
	}
	clientConn, serverConn := net.Pipe()
	defer clientConn.Close()
	defer serverConn.Close()
	server := tls.Server(serverConn, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10, CipherSuites: all})
	serverErr := make(chan error, 1)
	go func() { serverErr <- server.Handshake() }()
	client := tls.Client(clientConn, config)
	_ = client.SetDeadline(time.Now().Add(5 * time.Second))
	_ = server.SetDeadline(time.Now().Add(5 * time.Second))
	clientErr := client.Handshake()
	return errors.Join(clientErr, <-serverErr)
}
