package versions

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
	"github.com/programming-kubernetes/cnat/test/internal/process"
)

// server is a standalone cnat-apiserver process.
type server struct {
	dataDir string
	proc    *process.Process
	client  *http.Client
	url     string
	// warnings are the Warning headers of every response, by request path.
	mu       sync.Mutex
	warnings map[string][]string
}

// start runs bin standalone on a fresh data dir and waits until it is ready; it is stopped when the test
// ends (stop stops it earlier).
func start(t *testing.T, name, bin string, flags ...string) *server {
	t.Helper()
	return startOn(t, filepath.Join(t.TempDir(), name), name, bin, flags...)
}

// startOn is start on a given data dir (a restart, an upgrade, a rollback).
func startOn(t *testing.T, dataDir, name, bin string, flags ...string) *server {
	t.Helper()
	s, err := tryStartOn(t, dataDir, name, bin, flags...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tryStartOn is startOn returning the error of a server that does not become ready, with its log. A port
// taken by another process between FreePort and the server's listen is not the server's fault: it starts
// again on another one.
func tryStartOn(t *testing.T, dataDir, name, bin string, flags ...string) (*server, error) {
	t.Helper()
	return framework.RetryOnPortTaken(func() (*server, error) { return tryStartOnce(t, dataDir, name, bin, flags...) })
}

func tryStartOnce(t *testing.T, dataDir, name, bin string, flags ...string) (*server, error) {
	t.Helper()
	port, err := framework.FreePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--data-dir", dataDir, "--secure-port", strconv.Itoa(port)}, flags...)
	proc, err := process.Start(name, t.TempDir(), bin, args...)
	if err != nil {
		return nil, err
	}
	s := &server{dataDir: dataDir, proc: proc, url: "https://127.0.0.1:" + strconv.Itoa(port), warnings: map[string][]string{}}
	t.Cleanup(s.stop)
	if err := framework.WaitReady(s.url, proc.Done(), 60*time.Second); err != nil {
		s.stop()
		log, _ := os.ReadFile(proc.LogPath)
		return nil, fmt.Errorf("%s: %w\n%s", name, err, log)
	}
	config, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dataDir, "admin.kubeconfig"))
	if err != nil {
		return nil, err
	}
	transport, err := rest.TransportFor(config)
	if err != nil {
		return nil, err
	}
	s.client = &http.Client{Transport: transport, Timeout: 30 * time.Second}
	return s, nil
}

// stop stops the server (SIGTERM) and waits for it.
func (s *server) stop() {
	if s.proc.Running() {
		_ = s.proc.Terminate(30 * time.Second)
	}
}

// do sends a request and returns the status code and body; the response's warnings are kept.
func (s *server) do(t *testing.T, method, path, contentType, body, accept string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.warnings[method+" "+path] = append(s.warnings[method+" "+path], resp.Header.Values("Warning")...)
	s.mu.Unlock()
	return resp.StatusCode, data
}

// get is do for a GET with Accept: application/json.
func (s *server) get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	return s.do(t, http.MethodGet, path, "", "", "application/json")
}

// warningsOf are the warnings the responses to method path carried.
func (s *server) warningsOf(method, path string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.warnings[method+" "+path]
}

// hostPort is the server's address, 127.0.0.1:<port>.
func (s *server) hostPort() string { return strings.TrimPrefix(s.url, "https://") }

// port is the server's port.
func (s *server) port() string { return s.url[strings.LastIndex(s.url, ":")+1:] }

// groupVersions reads the group's discovery: the versions served, in order, and the preferred one.
func groupVersions(t *testing.T, s *server) (served []string, preferred string) {
	t.Helper()
	var apiGroup struct {
		Versions         []struct{ Version string }
		PreferredVersion struct{ Version string }
	}
	decode(t, s, "/apis/"+group, &apiGroup)
	for _, v := range apiGroup.Versions {
		served = append(served, v.Version)
	}
	return served, apiGroup.PreferredVersion.Version
}
