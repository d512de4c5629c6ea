package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/test/bench/internal/cpuprofile"
)

// profiler captures CPU profiles of cnat-apiserver from its /debug/pprof (served to the admin) while a
// workload runs. The server profiles for a fixed time, so a profile covers the workload's start and as much
// of it as fits in that time (and idle time after it, should it be shorter).
type profiler struct {
	dir     string
	seconds int
	config  *rest.Config
}

func newProfiler(dir string, seconds int, direct *rest.Config) *profiler {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			panic(err)
		}
	}
	return &profiler{dir: dir, seconds: seconds, config: direct}
}

// forBackend returns a function that starts a profile named after the workload; calling what it returns
// waits for the profile and writes it. It does nothing without a profile dir or for another backend.
func (p *profiler) forBackend(enabled bool) func(workload string) func() {
	if p.dir == "" || !enabled {
		return func(string) func() { return func() {} }
	}
	return func(workload string) func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			path := filepath.Join(p.dir, "cnat-apiserver-"+workload+".pprof")
			if err := cpuprofile.Fetch(context.Background(), p.config, p.seconds, path); err != nil {
				fmt.Fprintf(os.Stderr, "profile %s: %v\n", workload, err)
			}
		}()
		return func() { <-done }
	}
}
