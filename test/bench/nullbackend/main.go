// Command nullbackend serves the null backend (test/bench/internal/nullbackend) over HTTPS, as a process of
// its own so that its CPU shows apart from the benchmark's. hack/lib/nullbackend.sh starts it on the local
// control plane and registers it through its own APIService; `make bench` compares cnat with it.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/programming-kubernetes/cnat/test/bench/internal/nullbackend"
)

func main() {
	bind := flag.String("bind-address", "127.0.0.1", "address to serve on")
	port := flag.Int("secure-port", 8443, "HTTPS port")
	certFile := flag.String("tls-cert-file", "", "serving certificate (PEM)")
	keyFile := flag.String("tls-private-key-file", "", "its key (PEM)")
	disableHTTP2 := flag.Bool("disable-http2-serving", false, "serve HTTP/1.1 only, as cnat-apiserver does in aggregated mode")
	responseDelay := flag.Duration("response-delay", 0, "wait this long before answering each request (no CPU): as slow as a real server, as cheap as this one")
	flag.Parse()
	if err := run(net.JoinHostPort(*bind, strconv.Itoa(*port)), *certFile, *keyFile, !*disableHTTP2, *responseDelay); err != nil {
		fmt.Fprintln(os.Stderr, "nullbackend:", err)
		os.Exit(1)
	}
}

func run(address, certFile, keyFile string, http2 bool, responseDelay time.Duration) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(http2)
	server := &http.Server{
		Addr:              address,
		Handler:           delayed(nullbackend.NewHandler(), responseDelay),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		Protocols:         protocols,
		ReadHeaderTimeout: 30 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdown)
	}()
	fmt.Fprintf(os.Stderr, "nullbackend: serving %s on https://%s (HTTP/2: %t)\n", nullbackend.GroupVersion, address, http2)
	if err := server.ListenAndServeTLS("", ""); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// delayed answers after delay: what a slower backend costs its clients (kube-apiserver's proxy) apart from
// the work it does.
func delayed(handler http.Handler, delay time.Duration) http.Handler {
	if delay <= 0 {
		return handler
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		time.Sleep(delay)
		handler.ServeHTTP(w, req)
	})
}
