// Package partition cuts a process off the network without stopping it: the process runs in a network
// namespace of its own, linked to the host by a veth pair, and reaches a loopback-only server through a TCP
// forwarder on the host end of the link. Cut sets the host end down (packets are dropped, connections stay
// open and retransmit, as behind a failed switch); Heal sets it up again.
//
// It needs root (ip netns, ip link). Everything it creates is named by the caller (use a prefix of the
// test's own) and removed in t.Cleanup, also when the test fails.
package partition

import (
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Link is a network namespace and the veth pair that links it to the host.
type Link struct {
	// Netns is the namespace's name; HostIf and NsIf the ends of the veth pair.
	Netns, HostIf, NsIf string
	// HostIP is the host end's address, as the namespace reaches it; NsIP the namespace's own.
	HostIP, NsIP string
}

// New creates the namespace name with its loopback up and a veth pair to the host: the host end
// <name>-h with 10.77.<index>.1/30, the namespace end <name>-n with 10.77.<index>.2/30. Leftovers of an
// earlier run with the same names are removed first.
func New(t testing.TB, name string, index int) *Link {
	t.Helper()
	return NewIn(t, name, "10.77", index)
}

// NewIn is New in another /16 than 10.77: subnet is its first two octets ("10.78"), so that tests that run
// side by side (or share the machine with others) keep to addresses of their own.
func NewIn(t testing.TB, name, subnet string, index int) *Link {
	t.Helper()
	if len(name) > 13 {
		t.Fatalf("partition: %q is too long for an interface name (%s-h)", name, name)
	}
	l := &Link{Netns: name, HostIf: name + "-h", NsIf: name + "-n",
		HostIP: fmt.Sprintf("%s.%d.1", subnet, index), NsIP: fmt.Sprintf("%s.%d.2", subnet, index)}
	l.remove()
	t.Cleanup(l.remove)
	for _, args := range [][]string{
		{"netns", "add", l.Netns},
		{"link", "add", l.HostIf, "type", "veth", "peer", "name", l.NsIf},
		{"link", "set", l.NsIf, "netns", l.Netns},
		{"addr", "add", l.HostIP + "/30", "dev", l.HostIf},
		{"link", "set", l.HostIf, "up"},
		{"netns", "exec", l.Netns, "ip", "addr", "add", l.NsIP + "/30", "dev", l.NsIf},
		{"netns", "exec", l.Netns, "ip", "link", "set", l.NsIf, "up"},
		{"netns", "exec", l.Netns, "ip", "link", "set", "lo", "up"},
	} {
		if err := ip(args...); err != nil {
			t.Fatalf("partition: %v", err)
		}
	}
	return l
}

// remove deletes the namespace (which takes its end of the pair, and so the pair, with it) and the host end
// in case the namespace was already gone. Errors are ignored: either may not exist.
func (l *Link) remove() {
	_ = ip("netns", "delete", l.Netns)
	_ = ip("link", "delete", l.HostIf)
}

// Command is the command line that runs bin with args inside the namespace.
func (l *Link) Command(bin string, args ...string) (string, []string) {
	return "ip", append([]string{"netns", "exec", l.Netns, bin}, args...)
}

// Cut sets the host end of the link down: nothing passes either way until Heal.
func (l *Link) Cut() error { return ip("link", "set", l.HostIf, "down") }

// Heal sets the host end of the link up again.
func (l *Link) Heal() error { return ip("link", "set", l.HostIf, "up") }

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Forward listens on listenHost (a port of its own) and copies every connection to and from target (e.g.
// kube-apiserver's 127.0.0.1:port): the namespace reaches a loopback-only server through it. It returns the
// address it listens on; t.Cleanup closes the listener and every connection.
func Forward(t testing.TB, listenHost, target string) string {
	t.Helper()
	listener, err := net.Listen("tcp", net.JoinHostPort(listenHost, "0"))
	if err != nil {
		t.Fatalf("partition: forwarder: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	track := func(c net.Conn) bool {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil {
			_ = c.Close()
			return false
		}
		conns = append(conns, c)
		return true
	}
	t.Cleanup(func() {
		cancel()
		_ = listener.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	var dialer net.Dialer
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := listener.Accept()
			if err != nil {
				return
			}
			if !track(in) {
				return
			}
			out, err := dialer.DialContext(ctx, "tcp", target)
			if err != nil {
				_ = in.Close()
				continue
			}
			if !track(out) {
				_ = in.Close()
				return
			}
			wg.Add(2)
			go pipe(&wg, out, in)
			go pipe(&wg, in, out)
		}
	}()
	return listener.Addr().String()
}

// pipe copies until either side ends, then closes both (the other direction's copy ends with them).
func pipe(wg *sync.WaitGroup, dst, src net.Conn) {
	defer wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}
