package reliability

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"time"
)

// served is what one TLS handshake with the replicas' shared port showed: which replica answered (the
// kernel chose it), the certificate it served, and the CAs it accepts client certificates from (its client
// CA and front-proxy CA, as k8s.io/apiserver advertises them).
type served struct {
	replica       string
	leaf          *x509.Certificate
	acceptableCAs [][]byte
}

// acceptsClientsOf tells whether the replica lists a CA with this subject (DER) among those it accepts.
func (s served) acceptsClientsOf(subject []byte) bool {
	return slices.ContainsFunc(s.acceptableCAs, func(ca []byte) bool { return bytes.Equal(ca, subject) })
}

// handshake makes one TLS handshake with the replicas' port and closes the connection.
func (d *deployment) handshake() (served, error) {
	s, err := handshakeWith(fmt.Sprintf("127.0.0.1:%d", d.port))
	if err != nil {
		return s, err
	}
	for name := range d.replicas {
		if slices.Contains(s.leaf.DNSNames, replicaSAN(name)) {
			s.replica = name
		}
	}
	return s, nil
}

// handshakeWith makes one TLS handshake with a server (host:port) and closes the connection.
func handshakeWith(address string) (served, error) {
	var acceptable [][]byte
	config := &tls.Config{
		// The probe looks at what is served; verifying it is the aggregator's job, whose failures the ledger
		// counts.
		InsecureSkipVerify: true,
		GetClientCertificate: func(info *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			acceptable = info.AcceptableCAs
			return &tls.Certificate{}, nil
		},
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", address, config)
	if err != nil {
		return served{}, err
	}
	defer conn.Close()
	return served{leaf: conn.ConnectionState().PeerCertificates[0], acceptableCAs: acceptable}, nil
}

// untilEveryReplica handshakes with the port until each replica has shown a handshake that satisfies ok,
// and returns how long after since the last one did. It fails the test after timeout.
func (d *deployment) untilEveryReplica(since time.Time, timeout time.Duration, what string, ok func(served) bool) time.Duration {
	d.t.Helper()
	done := map[string]time.Duration{}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		s, err := d.handshake()
		if err == nil && s.replica != "" && ok(s) {
			if _, seen := done[s.replica]; !seen {
				done[s.replica] = time.Since(since)
			}
		}
		if len(done) == len(d.replicas) {
			var slowest time.Duration
			for _, took := range done {
				slowest = max(slowest, took)
			}
			d.t.Logf("%s: every replica %s, %s after the change", time.Now().Format("15:04:05.000"), what, slowest.Round(time.Millisecond))
			return slowest
		}
		time.Sleep(50 * time.Millisecond)
	}
	var shown []string
	for name := range done {
		shown = append(shown, name)
	}
	sort.Strings(shown)
	d.t.Fatalf("not every replica %s within %s (only: %s)", what, timeout, strings.Join(shown, ", "))
	return 0
}

// pids notes the replicas' process ids; checkSamePids checks that each still runs as that process: a
// rotation that needed a restart would show here.
func (d *deployment) pids() map[string]int {
	out := map[string]int{}
	for name, r := range d.replicas {
		out[name] = r.proc.Pid()
	}
	return out
}

func (d *deployment) checkSamePids(before map[string]int) {
	d.t.Helper()
	for name, pid := range before {
		r := d.replicas[name]
		if !r.proc.Running() || r.proc.Pid() != pid {
			d.t.Errorf("replica %s was restarted or exited (pid %d before, now %d, running %v): the rotation needed a restart",
				name, pid, r.proc.Pid(), r.proc.Running())
		}
	}
}
