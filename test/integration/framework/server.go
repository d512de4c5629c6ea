// Package framework starts the real cnat-apiserver in the test process, on an embedded etcd and a free port,
// exactly as the cnat-apiserver command does.
package framework

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	basecompatibility "k8s.io/component-base/compatibility"

	"github.com/programming-kubernetes/cnat/cmd/cnat-apiserver/app"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/options"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/standalone"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
)

// Server is a running standalone cnat-apiserver.
type Server struct {
	DataDir string
	URL     string
	// Config authenticates as the admin (system:masters), from the kubeconfig the server wrote.
	Config *rest.Config
	Client versioned.Interface
	PKI    standalone.PKI

	cancel context.CancelFunc
	// done is closed when the command has returned, with its error in err: both WaitReady and Stop wait
	// for it, so it cannot be a value only one of them receives.
	done chan struct{}
	err  error
}

// StartT is Start for one test: it fails the test if the server does not start, and stops it when the test
// ends.
func StartT(t testing.TB, dataDir string, flags ...string) *Server {
	t.Helper()
	s, err := Start(dataDir, flags...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Start runs cnat-apiserver standalone with its data in dataDir and extra flags, and waits until it is
// ready. The caller stops it. A port taken by another process between FreePort and the server's listen is
// not the server's fault: it starts again on another one.
func Start(dataDir string, flags ...string) (*Server, error) {
	return RetryOnPortTaken(func() (*Server, error) { return start(dataDir, flags...) })
}

// RetryOnPortTaken calls start up to three times while it fails because the port it was given (FreePort)
// was taken by another process before the server listened on it.
func RetryOnPortTaken[T any](start func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		s, err := start()
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			return s, err
		}
	}
}

func start(dataDir string, flags ...string) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{DataDir: dataDir, URL: "https://127.0.0.1:" + strconv.Itoa(port), PKI: standalone.NewPKI(dataDir),
		cancel: cancel, done: make(chan struct{})}

	opts := options.NewOptions()
	// Versions and feature gates of this server alone: a test process runs several servers, one after another.
	opts.ComponentGlobalsRegistry = basecompatibility.NewComponentGlobalsRegistry()
	cmd := app.NewCommand(ctx, opts)
	cmd.SetArgs(append([]string{"--data-dir", dataDir, "--secure-port", strconv.Itoa(port)}, flags...))
	go func() {
		s.err = cmd.ExecuteContext(ctx)
		close(s.done)
	}()

	if err := WaitReady(s.URL, s.done, 60*time.Second); err != nil {
		s.Stop()
		if s.err != nil {
			err = fmt.Errorf("%w: %v", err, s.err)
		}
		return nil, err
	}
	s.Config, err = clientcmd.BuildConfigFromFlags("", dataDir+"/admin.kubeconfig")
	if err != nil {
		s.Stop()
		return nil, err
	}
	s.Config.QPS, s.Config.Burst = -1, 0 // no client-side throttling in tests
	s.Client = versioned.NewForConfigOrDie(s.Config)
	return s, nil
}

// Stop stops the server and waits for it (and its embedded etcd) to shut down.
func (s *Server) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		panic("cnat-apiserver did not stop within 60s")
	}
}

// WaitReady polls url's /readyz until it answers 200, and fails when exited is closed first or timeout
// passes.
func WaitReady(url string, exited <-chan struct{}, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // only to poll /readyz before the kubeconfig exists
	}}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("cnat-apiserver exited before it was ready")
		default:
		}
		resp, err := client.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("cnat-apiserver not ready in time")
}

// FreePort asks the kernel for a free loopback port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
