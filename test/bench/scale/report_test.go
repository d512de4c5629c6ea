package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/programming-kubernetes/cnat/test/bench/internal/workload"
)

func TestPerObjectKiB(t *testing.T) {
	for _, tc := range []struct {
		before, after float64
		objects       int
		want          float64
	}{
		{100, 1100, 100000, 10.24}, // 1000 MiB over 100,000 objects
		{300, 4300, 25000, 163.84},
		{500, 450, 1000, -51.2}, // a server can shrink: the figure says so
		{100, 200, 0, 0},
	} {
		if got := perObjectKiB(tc.before, tc.after, tc.objects); got < tc.want-1e-9 || got > tc.want+1e-9 {
			t.Errorf("perObjectKiB(%v, %v, %d) = %v, want %v", tc.before, tc.after, tc.objects, got, tc.want)
		}
	}
}

func TestPrintScale(t *testing.T) {
	subjects := []subject{{name: "cnat", server: server{component: "cnat-apiserver"}}, {name: "CRD", server: server{component: "kube-apiserver"}}}
	cnat := &figures{objects: 100000, watchEvents: 500,
		created: workload.Result{Elapsed: 100 * time.Second, Latencies: make([]time.Duration, 100000)},
		before:  memory{rssMiB: 100, heapMiB: 50}, with: memory{rssMiB: 1076.5625, heapMiB: 800},
		lists:  map[string]workload.Result{"protobuf": {Latencies: []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}}},
		fanOut: workload.FanOut{Watchers: 100, Events: 500, Delivered: 49000, Elapsed: 2 * time.Second}}
	crd := &figures{objects: 25000, before: memory{rssMiB: 300}, with: memory{rssMiB: 4300}, lists: map[string]workload.Result{},
		restarted: true, restartEmpty: restartTimes{ready: 2 * time.Second, serving: 3 * time.Second},
		restart: restartTimes{stop: time.Second, ready: 12 * time.Second, serving: 14 * time.Second}}

	var out bytes.Buffer
	printScale(&out, subjects, []*figures{cnat, crd}, 3)
	for _, want := range []string{
		"RSS growth per object (KiB)  10.0  163.8",                      // (1076.5625-100)×1024/100000 = 10.0; 4000×1024/25000
		"LIST all, protobuf, p50 of 3  2000.0ms  -",                     // the CRD serves no protobuf
		"watch fan-out: delivered, drops  100×500: 49000, 1000",         // short by 1000
		"restart with them: start → /readyz, → served  -  12.0s, 14.0s", // only the CRD's server was restarted
		"restart without them: start → /readyz, → served  -  2.0s, 3.0s",
		"≤ 10 KiB per At: 10.0 KiB with 100000 Ats: met",
	} {
		if !strings.Contains(squeeze(out.String()), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
}

// squeeze folds the table's padding (runs of two or more spaces) to two spaces.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		var cells []string
		for _, cell := range strings.Split(line, "  ") {
			if cell = strings.TrimSpace(cell); cell != "" {
				cells = append(cells, cell)
			}
		}
		lines[i] = strings.Join(cells, "  ")
	}
	return strings.Join(lines, "\n")
}
