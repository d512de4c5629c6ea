package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// profiler captures CPU profiles of cnat-apiserver from its /debug/pprof (served to the admin) while a
// workload runs. The server profiles for a fixed time, so a profile covers the workload's start and as much
// of it as fits in that time (and idle time after it, should it be shorter).
type profiler struct {
	dir     string
	seconds int
	client  *rest.RESTClient
}

func newProfiler(dir string, seconds int, direct *rest.Config) *profiler {
	if dir == "" {
		return &profiler{}
	}
	config := rest.CopyConfig(direct)
	config.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	client, err := rest.UnversionedRESTClientFor(config)
	if err != nil {
		panic(err)
	}
	return &profiler{dir: dir, seconds: seconds, client: client}
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
			data, err := p.client.Get().AbsPath("/debug/pprof/profile").Param("seconds", strconv.Itoa(p.seconds)).DoRaw(context.Background())
			if err != nil {
				fmt.Fprintf(os.Stderr, "profile %s: %v\n", workload, err)
				return
			}
			path := filepath.Join(p.dir, "cnat-apiserver-"+workload+".pprof")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				fmt.Fprintf(os.Stderr, "profile %s: %v\n", workload, err)
			}
		}()
		return func() { <-done }
	}
}
