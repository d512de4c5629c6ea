package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/test/bench/internal/cpuprofile"
)

// profileServers fetches CPU profiles of the API servers covering the burst, and writes them to dir as
// <name>.pprof. It returns a function that waits for them.
func profileServers(dir string, seconds int, servers map[string]*rest.Config) func() {
	if dir == "" {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "profiles:", err)
		return func() {}
	}
	done := make(chan struct{}, len(servers))
	for name, config := range servers {
		go func() {
			defer func() { done <- struct{}{} }()
			if err := cpuprofile.Fetch(context.Background(), config, seconds, filepath.Join(dir, name+".pprof")); err != nil {
				fmt.Fprintln(os.Stderr, "profile", name, err)
			}
		}()
	}
	return func() {
		for range servers {
			<-done
		}
	}
}
