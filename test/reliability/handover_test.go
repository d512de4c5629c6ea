package reliability

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// migrateReqSysctl is net.ipv4.tcp_migrate_req: when a listener of an SO_REUSEPORT group closes, the
// connections in its accept queue (handshake done, not yet accepted) move to another listener of the group
// instead of being reset.
//
// The replicas here share one port on loopback, where nothing plays kube-proxy: in a cluster a terminating
// replica leaves the Service's endpoints during its shutdown delay, and by the time it closes its listener
// no new connection is steered to it any more. On loopback the kernel spreads new connections over every
// listener up to the moment one closes, so some are always queued there, and without this setting they are
// reset (the aggregator answers "error trying to reach service: EOF" or "broken pipe"). With it, closing the
// listener hands them to the other replica, which is what leaving the endpoints does in a cluster.
const migrateReqSysctl = "/proc/sys/net/ipv4/tcp_migrate_req"

// migrateReq is whether the setting is on for this run; restoreMigrateReq puts back what was there.
var (
	migrateReq        bool
	restoreMigrateReq = func() {}
)

// enableMigrateReq turns net.ipv4.tcp_migrate_req on for the run (it is per network namespace; root can
// write it) and says what it did.
func enableMigrateReq() string {
	old, err := os.ReadFile(migrateReqSysctl)
	if err != nil {
		return fmt.Sprintf("reliability: %v: the kernel cannot hand queued connections over (Linux ≥ 5.14 can)", err)
	}
	if strings.TrimSpace(string(old)) == "1" {
		migrateReq = true
		return ""
	}
	if err := os.WriteFile(migrateReqSysctl, []byte("1"), 0); err != nil {
		return fmt.Sprintf("reliability: cannot turn on net.ipv4.tcp_migrate_req (%v): run as root or `sysctl -w net.ipv4.tcp_migrate_req=1`", err)
	}
	migrateReq = true
	restoreMigrateReq = func() { _ = os.WriteFile(migrateReqSysctl, old, 0) }
	return ""
}

// requireHandover fails a test that counts every failed request of a graceful restart when the kernel
// resets the connections queued on a closing listener: its zero would not be the server's to keep.
func requireHandover(t *testing.T) {
	t.Helper()
	if !migrateReq {
		t.Fatalf("this test needs net.ipv4.tcp_migrate_req=1 (see %s): as root, `sysctl -w net.ipv4.tcp_migrate_req=1`", migrateReqSysctl)
	}
}
