// Package embeddedetcd runs etcd inside the cnat-apiserver process, so that one command gives a persistent
// server with nothing else to install.
package embeddedetcd

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Etcd is an embedded etcd: configured by New, running after Start.
type Etcd struct {
	etcd               *embed.Etcd
	dir                string
	clientURL, peerURL url.URL
	// closing is set when we close etcd, so that its logger knows the serving loops are meant to stop.
	closing atomic.Bool
}

// New prepares a single-member etcd with its data under dir, on free loopback ports only, so that its client
// URL is known before it starts.
func New(dir string) (*Etcd, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	return &Etcd{
		dir:       dir,
		clientURL: url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))},
		peerURL:   url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))},
	}, nil
}

// Dir is where etcd keeps its data.
func (e *Etcd) Dir() string { return e.dir }

// ClientURL is where the API server's storage connects.
func (e *Etcd) ClientURL() string { return e.clientURL.String() }

// Start runs etcd and returns once it serves clients.
func (e *Etcd) Start() error {
	dir, clientURL, peerURL := e.dir, e.clientURL, e.peerURL
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	cfg := embed.NewConfig()
	cfg.Name = "cnat"
	cfg.Dir = dir
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// A restart finds the member in its data dir; the ports, chosen anew each time, do not matter to a
	// single-member cluster.
	cfg.LogLevel = "error"
	logger, err := newLogger(&e.closing)
	if err != nil {
		return err
	}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(logger)
	cfg.ListenMetricsUrls = nil

	etcd, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("starting embedded etcd in %s: %w", dir, err)
	}
	select {
	case <-etcd.Server.ReadyNotify():
	case err := <-etcd.Err():
		e.close(etcd)
		return fmt.Errorf("embedded etcd in %s: %w", dir, err)
	case <-time.After(60 * time.Second):
		e.close(etcd)
		return fmt.Errorf("embedded etcd in %s did not become ready in 60s", dir)
	}
	e.etcd = etcd
	return nil
}

// Close stops etcd and releases its data dir.
func (e *Etcd) Close() {
	e.close(e.etcd)
}

func (e *Etcd) close(etcd *embed.Etcd) {
	e.closing.Store(true)
	etcd.Close()
}

// Err reports a fatal etcd error while it runs.
func (e *Etcd) Err() <-chan error {
	return e.etcd.Err()
}

// freePorts asks the kernel for n free loopback ports.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
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
