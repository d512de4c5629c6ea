package app

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

func TestStoppedLeadingExitsOnlyWhenTheLeaseWasLost(t *testing.T) {
	var exited []int
	exit := func(code int) { exited = append(exited, code) }

	shutdown, cancel := context.WithCancel(context.Background())
	cancel()
	stoppedLeading(shutdown, "a", exit)
	if len(exited) != 0 {
		t.Fatalf("released on shutdown: exit(%v) called, want a normal return", exited)
	}

	stoppedLeading(context.Background(), "a", exit)
	if len(exited) != 1 || exited[0] != 1 {
		t.Fatalf("lease lost: exit calls %v, want exit(1) once", exited)
	}
}

// A connection of the controller closed with bytes in flight must not be finished by the kernel: the peer
// sees a reset, not the rest of the stream and an orderly end.
func TestDialDiscardingUnsentResetsOnClose(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		conn, err := listener.Accept()
		if err == nil {
			accepted <- conn
		}
	}()
	dial := dialDiscardingUnsent(&net.Dialer{Timeout: 5 * time.Second})
	conn, err := dial(context.Background(), "tcp", listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server := <-accepted
	defer server.Close()
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	_ = server.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = server.Read(make([]byte, 1))
	if !errors.Is(err, syscall.ECONNRESET) {
		if errors.Is(err, io.EOF) {
			t.Fatal("the peer saw an orderly close (FIN): unsent bytes would have been sent on")
		}
		t.Fatalf("the peer read %v, want connection reset", err)
	}
}
