// Command coredns is CoreDNS (github.com/coredns/coredns, pinned in go.mod) with only the plugins the
// cluster DNS of the local real node needs (hack/lib/node/Corefile.tmpl). Built by
// hack/build-control-plane.sh node.
//
// CoreDNS's own main imports every plugin it ships (core/plugin): cloud DNS providers, etcd, dnstap, geoip,
// QUIC, gRPC... several hundred packages more to compile than this. Its documented way to build a smaller
// server is this one: a main that imports the DNS server type, coremain and the wanted plugins, and sets
// dnsserver.Directives to their names (a Corefile may then use only those; any other directive is an
// error at startup, "unknown directive").
//
// Left out on purpose:
//   - forward (and loop, which only detects forwarding loops): the test machine has no upstream DNS to
//     forward to; names outside the cluster's zones are answered REFUSED.
//   - cache: the kubernetes plugin answers from its informers' in-memory copy of the API already, and
//     cache alone imports the metrics plugin and with it Prometheus' HTTP exporter (about 25 packages).
//   - prometheus (the metrics plugin): nothing scrapes the test node.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	// The plugins, each registering itself with the server type in its init. bind: the node's DNS
	// listens on one address (the kubelet's clusterDNS), never on every interface of a shared machine.
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// directives are the plugins above in the order of CoreDNS's own list (core/dnsserver/zdirectives.go,
// generated from its plugin.cfg): that order, not the Corefile's, decides which plugin handles a query
// first, so it must stay the upstream one. (The kubernetes plugin also registers metadata and transfer,
// which coredns -plugins lists; without their directives here a Corefile cannot use them.)
var directives = []string{
	"reload",
	"bind",
	"ready",
	"health",
	"errors",
	"log",
	"loadbalance",
	"kubernetes",
}

func main() {
	dnsserver.Directives = directives
	coremain.Run()
}
