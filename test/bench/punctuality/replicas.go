package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/programming-kubernetes/cnat/test/bench/internal/procmem"
	"github.com/programming-kubernetes/cnat/test/bench/internal/promtext"
)

// replica is one cnat-controller process of the local control plane: its pid file's name and its /metrics.
type replica struct {
	name       string
	metricsURL string
}

type replicas struct {
	leader  replica
	standby []replica
}

func (r replicas) standbyNames() string {
	names := make([]string, len(r.standby))
	for i, s := range r.standby {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

// findReplicas finds the cnat-controller processes by their pid files (cnat-controller, cnat-controller-2:
// hack/lib/cnat.sh) and which one holds the Lease: local-up gives each the identity <name>_<hostname>_…. At
// least two, as the Deployment runs them: the benchmark measures the controller as it runs in a cluster,
// the standby's watch of the Lease included.
func findReplicas(ctx context.Context, kube kubernetes.Interface, pidDir string) (replicas, error) {
	files, _ := filepath.Glob(filepath.Join(pidDir, "cnat-controller*.pid"))
	if len(files) < 2 {
		return replicas{}, fmt.Errorf("%d cnat-controller pid files in %q: want two replicas (hack/start-controller-replica.sh starts the second)", len(files), pidDir)
	}
	var all []replica
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".pid")
		addr, err := bindAddress(f)
		if err != nil {
			return replicas{}, fmt.Errorf("%s: %w", name, err)
		}
		all = append(all, replica{name: name, metricsURL: "http://" + addr + "/metrics"})
	}
	var holder string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		lease, err := kube.CoordinationV1().Leases("cnat-system").Get(ctx, "cnat-controller", metav1.GetOptions{})
		if err != nil || lease.Spec.HolderIdentity == nil {
			continue
		}
		holder = *lease.Spec.HolderIdentity
		var r replicas
		for _, rep := range all {
			if strings.HasPrefix(holder, rep.name+"_") {
				r.leader = rep
			} else {
				r.standby = append(r.standby, rep)
			}
		}
		if r.leader.name != "" {
			return r, nil
		}
	}
	return replicas{}, fmt.Errorf("no replica of %v holds the Lease cnat-system/cnat-controller (holder %q)", all, holder)
}

// bindAddress is the --bind-address the process of the pid file was started with.
func bindAddress(pidFile string) (string, error) {
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		return "", err
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strings.TrimSpace(string(pid)), "cmdline"))
	if err != nil {
		return "", err
	}
	args := strings.Split(string(bytes.TrimRight(cmdline, "\x00")), "\x00")
	for i, arg := range args {
		if v, ok := strings.CutPrefix(arg, "--bind-address="); ok {
			return v, nil
		}
		if arg == "--bind-address" && i+1 < len(args) {
			return args[i+1], nil
		}
	}
	return "", fmt.Errorf("no --bind-address in its command line")
}

// metrics reads the replica's /metrics and the named series (promtext.Value's names).
func (r replica) metrics(ctx context.Context, series ...string) ([]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.metricsURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	values := make([]float64, len(series))
	for i, s := range series {
		if values[i], err = promtext.Value(text, s); err != nil {
			return nil, fmt.Errorf("%s: %w", r.name, err)
		}
	}
	return values, nil
}

// memory is what a replica holds: its resident set (/proc) and its live Go heap as of its last garbage
// collection (go_gc_heap_live_bytes: what the collector marked, without the garbage allocated since, which
// go_memstats_heap_alloc_bytes would count).
type memory struct {
	rssMiB, heapMiB float64
}

func (r replica) memory(ctx context.Context, pidDir string) (memory, error) {
	v, err := r.metrics(ctx, "go_gc_heap_live_bytes")
	if err != nil {
		return memory{}, err
	}
	rss, err := procmem.RSSMiB(pidDir, r.name)
	return memory{rssMiB: rss, heapMiB: v[0] / (1 << 20)}, err
}
