package main

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/test/bench/internal/procmem"
	"github.com/programming-kubernetes/cnat/test/bench/internal/promtext"
)

// memory is what a server holds: its resident set (from /proc) and its Go heap in use (from its /metrics),
// both right after a garbage collection.
type memory struct {
	rssMiB, heapMiB float64
}

// server is an API server of the control plane, as the benchmark reaches it as the admin.
type server struct {
	component string // its pid file
	config    *rest.Config
}

// settledMemory waits for the server to settle (controllers done with what was just written, the watch
// cache's event history aged), makes it collect its garbage (a heap profile with gc=1, served to the admin)
// and reads its memory.
func (s server) settledMemory(ctx context.Context, pidDir string, settle time.Duration) (memory, error) {
	time.Sleep(settle)
	client, err := rawClient(s.config)
	if err != nil {
		return memory{}, err
	}
	if err := client.Get().AbsPath("/debug/pprof/heap").Param("gc", "1").Do(ctx).Error(); err != nil {
		return memory{}, fmt.Errorf("%s: garbage collection: %w", s.component, err)
	}
	metrics, err := client.Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return memory{}, fmt.Errorf("%s: /metrics: %w", s.component, err)
	}
	heap, err := promtext.Value(metrics, "go_memstats_heap_inuse_bytes")
	if err != nil {
		return memory{}, fmt.Errorf("%s: %w", s.component, err)
	}
	rss, err := procmem.RSSMiB(pidDir, s.component)
	return memory{rssMiB: rss, heapMiB: heap / (1 << 20)}, err
}

func rawClient(config *rest.Config) (*rest.RESTClient, error) {
	config = rest.CopyConfig(config)
	config.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	return rest.UnversionedRESTClientFor(config)
}
