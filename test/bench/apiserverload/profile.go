package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/test/bench/internal/cpuprofile"
)

// profiler captures CPU profiles of API servers from their /debug/pprof (served to the admin) while a
// workload runs. A server profiles for a fixed time, so a profile covers the workload's start and as much of
// it as fits in that time (and idle time after it, should it be shorter).
type profiler struct {
	dir      string
	seconds  int
	backends []string
	servers  map[string]*rest.Config // by process name
}

func newProfiler(dir string, seconds int, backends []string, servers map[string]*rest.Config) *profiler {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			panic(err)
		}
	}
	return &profiler{dir: dir, seconds: seconds, backends: backends, servers: servers}
}

// forBackend returns a function that starts one profile per server, named <server>-<backend>-<workload>;
// calling what it returns waits for the profiles and writes them. It does nothing without a profile dir or
// for a backend not profiled.
func (p *profiler) forBackend(backend string) func(workload string) func() {
	if p.dir == "" || !slices.Contains(p.backends, backend) {
		return func(string) func() { return func() {} }
	}
	return func(workload string) func() {
		var wg sync.WaitGroup
		for name, config := range p.servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				path := filepath.Join(p.dir, fmt.Sprintf("%s-%s-%s.pprof", name, backend, strings.ReplaceAll(workload, " ", "")))
				if err := cpuprofile.Fetch(context.Background(), config, p.seconds, path); err != nil {
					fmt.Fprintf(os.Stderr, "profile %s: %v\n", path, err)
				}
			}()
		}
		return wg.Wait
	}
}
