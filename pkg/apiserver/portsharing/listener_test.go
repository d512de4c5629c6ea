package portsharing

import (
	"errors"
	"net"
	"testing"
	"time"
)

// TestLeaveOnShutdown: once the shutdown begins no new connection reaches the replica (the port is left to
// the others), a connection it accepted before still works, and Accept waits for the server's own Close.
func TestLeaveOnShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	shutdown := make(chan struct{})
	l := LeaveOnShutdown(ln, shutdown)

	accepted := make(chan net.Conn)
	acceptErr := make(chan error, 1)
	go func() { // the server's Serve loop
		first := true
		for {
			conn, err := l.Accept()
			if err != nil {
				acceptErr <- err
				return
			}
			if !first {
				// A probe of the dial loop below that got in before the socket left: served and done. (Handing
				// it to the test, which no longer reads, would block this loop before it sees Accept's end.)
				conn.Close()
				continue
			}
			first = false
			accepted <- conn
		}
	}()
	client, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server := <-accepted
	defer server.Close()

	close(shutdown)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break // refused: the socket has left
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("new connections still reach the replica after the shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatalf("a connection accepted before the shutdown: %v", err)
	}
	buf := make([]byte, 1)
	if _, err := server.Read(buf); err != nil || buf[0] != 'x' {
		t.Fatalf("read %q, %v from a connection accepted before the shutdown", buf, err)
	}
	select {
	case err := <-acceptErr:
		t.Fatalf("Accept returned %v before the server closed the listener", err)
	case <-time.After(100 * time.Millisecond):
	}

	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-acceptErr:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still waits after Close")
	}
}

// TestCloseWithoutShutdown: a listener closed by the server without a shutdown (e.g. a failed start) behaves
// as the plain one.
func TestCloseWithoutShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := LeaveOnShutdown(ln, make(chan struct{}))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
	}
}
