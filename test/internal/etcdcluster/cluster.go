// Package etcdcluster runs a real etcd cluster of several members on loopback, with mutual TLS between the
// members (peer) and towards clients, as cnat's deployment runs it: members can be killed, stopped and
// restarted with their data, the leader found, snapshots taken with etcdctl and restored with etcdutl.
package etcdcluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"k8s.io/client-go/util/cert"

	"github.com/programming-kubernetes/cnat/test/internal/pki"
	"github.com/programming-kubernetes/cnat/test/internal/process"
)

// Binaries are the etcd programs (hack/build-control-plane.sh builds them into _output/bin).
type Binaries struct {
	Etcd, Etcdctl, Etcdutl string
}

// Cluster is a running etcd cluster.
type Cluster struct {
	Dir   string
	Token string
	// CA signed every certificate; ClientCert is a client certificate it trusts (for cnat-apiserver, etcdctl).
	CA         *pki.CA
	ClientCert pki.Pair
	// MemberCert is every member's certificate, for both its listeners and for dialling its peers.
	MemberCert pki.Pair
	Members    []*Member

	bins Binaries
	// extraFlags are given to every member, at every start.
	extraFlags []string
}

// Member is one etcd member.
type Member struct {
	Name      string
	ClientURL string
	PeerURL   string
	DataDir   string
	// Netns is the network namespace the member runs in; "" is the test's own.
	Netns string
	proc  *process.Process
	// wanted: started and not killed or stopped on purpose; a wanted member that exited failed.
	wanted bool
}

// Start makes certificates and starts a new cluster of n members under dir, each with extraFlags besides
// those of its listeners, cluster and certificates (artifacts/deploy/server/etcd.yaml's TLS settings, say).
func Start(dir string, n int, bins Binaries, extraFlags ...string) (*Cluster, error) {
	return StartPlaced(dir, make([]Placement, n), bins, extraFlags...)
}

// Placement says where a member runs: on which address it listens (for clients and peers) and in which
// network namespace, so that a test can cut it off by cutting a link (test/internal/partition).
type Placement struct {
	// Host is the address the member listens on and is reached at; "" is 127.0.0.1.
	Host string
	// Netns is the network namespace the member runs in (ip netns exec); "" is the test's own.
	Netns string
}

// StartPlaced is Start with one member per placement. The members' certificate names every placement's
// address besides localhost and 127.0.0.1.
func StartPlaced(dir string, placements []Placement, bins Binaries, extraFlags ...string) (*Cluster, error) {
	c, err := newCluster(dir, "cnat-test-"+strconv.FormatInt(time.Now().UnixNano(), 36), placements, bins)
	if err != nil {
		return nil, err
	}
	c.extraFlags = extraFlags
	if err := c.startAll("new"); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func newCluster(dir, token string, placements []Placement, bins Binaries) (*Cluster, error) {
	n := len(placements)
	hosts := []string{"localhost", "127.0.0.1"}
	for i := range placements {
		if placements[i].Host == "" {
			placements[i].Host = "127.0.0.1"
		} else if !slices.Contains(hosts, placements[i].Host) {
			hosts = append(hosts, placements[i].Host)
		}
	}
	pkiDir := filepath.Join(dir, "pki")
	ca, err := pki.NewCA(pkiDir, "ca", "cnat-etcd-ca")
	if err != nil {
		return nil, err
	}
	// One certificate for every member, for both its listeners: it carries every name clients and peers dial.
	MemberCert, err := ca.Issue(pkiDir, "member", "cnat-etcd", nil, pki.Peer, hosts...)
	if err != nil {
		return nil, err
	}
	clientCert, err := ca.Issue(pkiDir, "client", "cnat-apiserver", nil, pki.Client)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, Token: token, CA: ca, ClientCert: clientCert, bins: bins, MemberCert: MemberCert}
	ports, err := freePorts(2 * n)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		c.Members = append(c.Members, &Member{
			Name:      fmt.Sprintf("m%d", i),
			ClientURL: fmt.Sprintf("https://%s:%d", placements[i].Host, ports[2*i]),
			PeerURL:   fmt.Sprintf("https://%s:%d", placements[i].Host, ports[2*i+1]),
			DataDir:   filepath.Join(dir, fmt.Sprintf("m%d", i)),
			Netns:     placements[i].Netns,
		})
	}
	return c, nil
}

func (c *Cluster) startAll(state string) error {
	for i := range c.Members {
		if err := c.startMember(i, state); err != nil {
			return err
		}
	}
	return c.WaitHealthy(60 * time.Second)
}

// InitialCluster is the --initial-cluster value of this cluster.
func (c *Cluster) InitialCluster() string {
	var parts []string
	for _, m := range c.Members {
		parts = append(parts, m.Name+"="+m.PeerURL)
	}
	return strings.Join(parts, ",")
}

// Endpoints are the client URLs of all members: what cnat-apiserver's --etcd-servers lists.
func (c *Cluster) Endpoints() []string {
	var urls []string
	for _, m := range c.Members {
		urls = append(urls, m.ClientURL)
	}
	return urls
}

// TLSFlags are cnat-apiserver's flags to reach this cluster with its client certificate.
func (c *Cluster) TLSFlags() []string {
	return []string{
		"--etcd-servers=" + strings.Join(c.Endpoints(), ","),
		"--etcd-cafile=" + c.CA.CertFile,
		"--etcd-certfile=" + c.ClientCert.CertFile,
		"--etcd-keyfile=" + c.ClientCert.KeyFile,
	}
}

func (c *Cluster) startMember(i int, state string) error {
	m := c.Members[i]
	bin, prefix := c.bins.Etcd, []string(nil)
	if m.Netns != "" {
		// ip netns exec execs etcd itself: the process's signals (Kill, Terminate) reach etcd.
		bin, prefix = "ip", []string{"netns", "exec", m.Netns, c.bins.Etcd}
	}
	proc, err := process.Start("etcd-"+m.Name, filepath.Join(c.Dir, "logs"), bin, append(prefix, append([]string{
		"--name", m.Name,
		"--data-dir", m.DataDir,
		"--listen-client-urls", m.ClientURL, "--advertise-client-urls", m.ClientURL,
		"--listen-peer-urls", m.PeerURL, "--initial-advertise-peer-urls", m.PeerURL,
		"--initial-cluster", c.InitialCluster(),
		"--initial-cluster-state", state,
		"--initial-cluster-token", c.Token,
		// Mutual TLS towards clients and between members, as in artifacts/deploy/server/etcd.yaml.
		"--cert-file", c.MemberCert.CertFile, "--key-file", c.MemberCert.KeyFile,
		"--client-cert-auth", "--trusted-ca-file", c.CA.CertFile,
		"--peer-cert-file", c.MemberCert.CertFile, "--peer-key-file", c.MemberCert.KeyFile,
		"--peer-client-cert-auth", "--peer-trusted-ca-file", c.CA.CertFile,
		"--log-level", "warn",
	}, c.extraFlags...)...)...)
	if err != nil {
		return err
	}
	m.proc, m.wanted = proc, true
	return nil
}

// Kill sends SIGKILL to member i and waits until it is gone.
func (c *Cluster) Kill(i int) {
	c.Members[i].wanted = false
	c.Members[i].proc.Kill()
}

// Terminate stops member i gracefully (SIGTERM), as a rolling restart of the StatefulSet does.
func (c *Cluster) Terminate(i int) error {
	c.Members[i].wanted = false
	err := c.Members[i].proc.Terminate(30 * time.Second)
	// etcd ends by the signal itself once it has stopped (the Go runtime's default for SIGTERM after its
	// handler): that is a clean stop.
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if status, ok := exit.Sys().(syscall.WaitStatus); ok && status.Signaled() && status.Signal() == syscall.SIGTERM {
			return nil
		}
	}
	return err
}

// AddFlags gives every member these flags from its next start on (a changed configuration that a rolling
// restart applies).
func (c *Cluster) AddFlags(flags ...string) {
	c.extraFlags = append(c.extraFlags, flags...)
}

// Restart starts member i again on its data dir (after Kill or Stop).
func (c *Cluster) Restart(i int) error {
	if m := c.Members[i]; m.proc != nil && m.proc.Running() {
		return fmt.Errorf("member %s is running", m.Name)
	}
	return c.startMember(i, "existing")
}

// Running tells whether member i runs.
func (c *Cluster) Running(i int) bool { return c.Members[i].proc != nil && c.Members[i].proc.Running() }

// Stop stops every member (SIGTERM).
func (c *Cluster) Stop() {
	for _, m := range c.Members {
		m.wanted = false
		if m.proc != nil && m.proc.Running() {
			_ = m.proc.Terminate(30 * time.Second)
		}
	}
}

// Client is an etcd client of the cluster, with its client certificate. Close it.
func (c *Cluster) Client(endpoints ...string) (*clientv3.Client, error) {
	if len(endpoints) == 0 {
		endpoints = c.Endpoints()
	}
	pair, err := tls.LoadX509KeyPair(c.ClientCert.CertFile, c.ClientCert.KeyFile)
	if err != nil {
		return nil, err
	}
	pool, err := cert.NewPool(c.CA.CertFile)
	if err != nil {
		return nil, err
	}
	return clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 2 * time.Second,
		TLS:         &tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, MinVersion: tls.VersionTLS12},
		Logger:      zap.NewNop(),
	})
}

// Leader returns the index of the member that leads, as the running members see it.
func (c *Cluster) Leader(ctx context.Context) (int, error) {
	client, err := c.Client()
	if err != nil {
		return -1, err
	}
	defer client.Close()
	ids := map[uint64]int{}
	var leader uint64
	for i, m := range c.Members {
		if !c.Running(i) {
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		status, err := client.Status(ctx, m.ClientURL)
		cancel()
		if err != nil {
			continue
		}
		ids[status.Header.MemberId] = i
		if status.Leader != 0 {
			leader = status.Leader
		}
	}
	if i, ok := ids[leader]; ok && leader != 0 {
		return i, nil
	}
	return -1, errors.New("no running member knows a leader among the running members")
}

// WaitHealthy waits until every running member answers and the cluster has a leader that can commit (a
// quorum read succeeds).
func (c *Cluster) WaitHealthy(timeout time.Duration) error {
	client, err := c.Client()
	if err != nil {
		return err
	}
	defer client.Close()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		last = c.healthy(client)
		if last == nil {
			return nil
		}
		for _, m := range c.Members {
			if m.wanted && !m.proc.Running() {
				return fmt.Errorf("etcd member %s exited: %v (log %s)", m.Name, m.proc.Err(), m.proc.LogPath)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("etcd cluster not healthy within %s: %v", timeout, last)
}

func (c *Cluster) healthy(client *clientv3.Client) error {
	for i, m := range c.Members {
		if !c.Running(i) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := client.Status(ctx, m.ClientURL)
		cancel()
		if err != nil {
			return fmt.Errorf("member %s: %w", m.Name, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := client.Get(ctx, "health-check") // linearizable: needs a leader and a quorum
	return err
}

// Etcdctl runs etcdctl against the cluster with its client certificate and returns its output.
func (c *Cluster) Etcdctl(args ...string) (string, error) {
	return c.etcdctlAt(c.Endpoints(), args...)
}

func (c *Cluster) etcdctlAt(endpoints []string, args ...string) (string, error) {
	full := append([]string{
		"--endpoints", strings.Join(endpoints, ","),
		"--cacert", c.CA.CertFile, "--cert", c.ClientCert.CertFile, "--key", c.ClientCert.KeyFile,
	}, args...)
	out, err := exec.Command(c.bins.Etcdctl, full...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("etcdctl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
