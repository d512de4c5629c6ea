// Package portsharing makes a replica that shares its port with others (--permit-port-sharing, SO_REUSEPORT)
// leave the port's group as soon as it starts shutting down.
//
// Behind a Service, a terminating replica leaves the Service's endpoints during its shutdown delay, and new
// connections go to the others while it finishes what it has. Replicas that share one port on one host have
// no such step: the kernel spreads new connections over every listening socket of the group, so a replica
// keeps receiving new connections all through its delay, and the client (kube-apiserver's aggregator) keeps
// some of them idle in its pool. When the delay ends the server closes those, racing with a request the
// client may be sending on one (HTTP/1.1's keep-alive race, see docs/operations.md). Closing the listening
// socket when the shutdown begins is the port group's way of leaving the endpoints: the kernel gives every
// new connection to the other replicas at once (with net.ipv4.tcp_migrate_req=1 also those still queued),
// and the replica serves the connections it has, each retired after its next response, for the whole delay.
package portsharing

import (
	"net"
	"sync"
	"sync/atomic"
)

// LeaveOnShutdown returns ln, closed as soon as shutdownInitiated is, while the server goes on serving the
// connections it accepted until it closes the listener itself. Accept then waits for that close instead of
// returning the early close's error: k8s.io/apiserver treats a Serve that ends before it was told to stop as
// a crash.
func LeaveOnShutdown(ln net.Listener, shutdownInitiated <-chan struct{}) net.Listener {
	l := &leavingListener{Listener: ln, closed: make(chan struct{})}
	go func() {
		select {
		case <-shutdownInitiated:
			l.left.Store(true)
			l.closeSocket()
		case <-l.closed:
		}
	}()
	return l
}

type leavingListener struct {
	net.Listener
	left        atomic.Bool   // the socket was closed at the shutdown's start
	closed      chan struct{} // closed by Close: the server stops listening
	closeOnce   sync.Once
	socketOnce  sync.Once
	socketError error
}

func (l *leavingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil && l.left.Load() {
		<-l.closed
		return nil, net.ErrClosed
	}
	return conn, err
}

// Close is the server's: it ends a waiting Accept.
func (l *leavingListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	l.closeSocket()
	if l.left.Load() {
		return nil // closed at the shutdown's start, as intended
	}
	return l.socketError
}

func (l *leavingListener) closeSocket() {
	l.socketOnce.Do(func() { l.socketError = l.Listener.Close() })
}
