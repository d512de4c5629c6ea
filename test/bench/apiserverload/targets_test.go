package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/programming-kubernetes/cnat/test/bench/internal/proccpu"
	"github.com/programming-kubernetes/cnat/test/bench/internal/workload"
)

// ops is a result of n calls in elapsed.
func ops(n int, elapsed time.Duration) workload.Result {
	return workload.Result{Elapsed: elapsed, Latencies: make([]time.Duration, n)}
}

func TestEvaluateTargets(t *testing.T) {
	results := map[string]map[string]workload.Result{
		// crd 1000/s; cnat JSON 1000/s (1.00: met at ≥1.0), protobuf 990/s (0.99: missed).
		// cnat called directly: 1.10 of the CRD (the guard ≥ 1.0 is met).
		"create": {peer: ops(1000, time.Second), cnatAggJSON: ops(1000, time.Second), cnatAggProto: ops(990, time.Second), cnatDirect: ops(1100, time.Second)},
		// get ≥ 0.8: 0.80 is met, 0.79 missed.
		"get": {peer: ops(1000, time.Second), cnatAggJSON: ops(800, time.Second), cnatAggProto: ops(790, time.Second)},
		// update and delete did not run for protobuf; update directly 0.90 of the CRD (guard missed).
		"update": {peer: ops(100, time.Second), cnatAggJSON: ops(95, time.Second), cnatDirect: ops(90, time.Second)},
		"delete": {peer: ops(100, time.Second), cnatAggJSON: ops(50, time.Second)},
	}
	cpu := cpuCosts{}
	// kube-apiserver 1000 µs per CRD create; cnat-apiserver 500 µs (0.50: met at ≤ 0.5) and 600 µs (missed).
	cpu.add("create", peer, proccpu.Snapshot{"kube-apiserver": time.Second}, 1000)
	cpu.add("create", cnatAggJSON, proccpu.Snapshot{"cnat-apiserver": 500 * time.Millisecond, "kube-apiserver": time.Second}, 1000)
	cpu.add("create", cnatAggProto, proccpu.Snapshot{"cnat-apiserver": 600 * time.Millisecond}, 1000)

	got := map[string]string{}
	for _, target := range evaluateTargets(results, sequentialRatio(cpu)) {
		key := target.what[:3] + " " + target.workload + " " + target.backend
		got[key] = format(target.measured, target.known) + " " + target.verdict()
	}
	for key, want := range map[string]string{
		"CPU create cnat-agg-json":  "0.50 met",
		"CPU create cnat-agg-proto": "0.60 MISSED",
		"CPU get cnat-agg-json":     "- -", // no CPU figures for get
		"thr create cnat-agg-json":  "1.00 met",
		"thr create cnat-agg-proto": "0.99 MISSED",
		"thr get cnat-agg-json":     "0.80 met",
		"thr get cnat-agg-proto":    "0.79 MISSED",
		"thr update cnat-agg-json":  "0.95 met",
		"thr update cnat-agg-proto": "- -",
		"thr delete cnat-agg-json":  "0.50 MISSED",
		// The CPU guard needs the reference server's CPU, which only the alternating rounds measure.
		"gua create cnat-agg-json": "- -",
		"gua create cnat-direct":   "1.10 met",
		"gua update cnat-direct":   "0.90 MISSED",
		"gua delete cnat-direct":   "- -",
	} {
		if got[key] != want {
			t.Errorf("%s: %q, want %q", key, got[key], want)
		}
	}
	if want := 2*len(targetVerbs)*len(targetBackends) + len(targetVerbs)*len(targetBackends) + len(directVerbs); len(got) != want {
		t.Errorf("%d targets and guards, want %d: %v", len(got), want, got)
	}

	var out bytes.Buffer
	printTargets(&out, evaluateTargets(results, sequentialRatio(cpu)))
	if !strings.Contains(out.String(), "met: 5 of the 10 measured in this run (27 in all)") {
		t.Errorf("summary line missing or wrong:\n%s", out.String())
	}
}

func TestProxyCostAndCeiling(t *testing.T) {
	cpu := cpuCosts{}
	cpu.add("get", cnatAggProto, proccpu.Snapshot{"kube-apiserver": 400 * time.Millisecond, "cnat-apiserver": 500 * time.Millisecond}, 1000)
	cpu.add("get", nullAggProto, proccpu.Snapshot{"kube-apiserver": 300 * time.Millisecond, nullComponent: 100 * time.Millisecond}, 1000)
	cpu.add("get", cnatDirect, proccpu.Snapshot{"kube-apiserver": 20 * time.Millisecond, "cnat-apiserver": 400 * time.Millisecond}, 1000)
	var out bytes.Buffer
	printProxyCost(&out, []string{"get", "create"}, cpu)
	// →cnat 400, →null 300, difference 100, 20 while cnat is called directly, serving 500 and 100; JSON did
	// not run and create neither.
	if fields := strings.Fields(lastLine(out.String())); strings.Join(fields, " ") != "get protobuf 400 300 100 20 500 100" {
		t.Errorf("proxy cost row %q:\n%s", fields, out.String())
	}
	if strings.Contains(out.String(), "create") || strings.Contains(out.String(), "get  json") {
		t.Errorf("rows for what did not run:\n%s", out.String())
	}

	results := map[string]map[string]workload.Result{"get": {
		cnatAggJSON: ops(500, time.Second), nullAggJSON: ops(2000, time.Second), cnatDirect: ops(900, time.Second), nullDirect: ops(3000, time.Second),
	}}
	out.Reset()
	printCeiling(&out, []string{"get"}, results)
	if fields := strings.Fields(lastLine(out.String())); strings.Join(fields, " ") != "get 0.25 - 0.30" {
		t.Errorf("ceiling row %q:\n%s", fields, out.String())
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// The alternating measurement's ratio is over all rounds; the spread is the lowest and highest round.
func TestAlternatingRatioAndSpread(t *testing.T) {
	m := alternatingCPU{rounds: 2, chunk: 100, total: cpuCosts{}, ratios: map[string]map[string][]float64{},
		process: map[string]string{peer: "kube-apiserver", cnatAggProto: "cnat-apiserver"}}
	// Round 1: CRD 1000 µs, cnat 400 (0.40); round 2: CRD 1000, cnat 600 (0.60). Over both: 0.50.
	m.total.add("create", peer, proccpu.Snapshot{"kube-apiserver": 200 * time.Millisecond}, 200)
	m.total.add("create", cnatAggProto, proccpu.Snapshot{"cnat-apiserver": 100 * time.Millisecond, "kube-apiserver": time.Second}, 200)
	m.ratios["create"] = map[string][]float64{cnatAggProto: {0.6, 0.4}}
	if r, ok := m.ratio("create", cnatAggProto); !ok || format(r, ok) != "0.50" {
		t.Errorf("ratio %v %t, want 0.50 (cnat-apiserver's CPU, not kube-apiserver's proxying)", r, ok)
	}
	if _, ok := m.ratio("get", cnatAggProto); ok {
		t.Error("a ratio for a verb that was not measured")
	}
	var out bytes.Buffer
	m.print(&out)
	hopRow := false // kube-apiserver's table: 1000 serving the CRD, 5000 proxying cnat
	for _, line := range strings.Split(out.String(), "\n") {
		hopRow = hopRow || strings.Join(strings.Fields(line), " ") == "create 1000 5000"
	}
	if !strings.Contains(out.String(), "500  0.50 (0.40–0.60)") || !strings.Contains(out.String(), "create  1000") || !hopRow {
		t.Errorf("table:\n%s", out.String())
	}
	targets := evaluateTargets(nil, m.ratio)
	if targets[1].backend != cnatAggProto || targets[1].verdict() != "met" {
		t.Errorf("CPU target from the alternating rounds: %+v", targets[1])
	}

	// The guard: cnat-apiserver's 500 µs per create against the reference server's 250 (both ÷ the CRD's
	// 1000): 2.00, missed; at 600 µs for the reference server it is met.
	for _, c := range []struct {
		reference time.Duration
		want      string
	}{{50 * time.Millisecond, "2.00 MISSED"}, {120 * time.Millisecond, "0.83 met"}} {
		m.process[sampleAggJSON] = "sample-apiserver"
		delete(m.total["create"], sampleAggJSON)
		m.total.add("create", sampleAggJSON, proccpu.Snapshot{"sample-apiserver": c.reference}, 200)
		var guard *target
		for _, g := range evaluateTargets(nil, m.ratio) {
			if g.what == "guard: CPU per call ÷ the reference server's" && g.workload == "create" && g.backend == cnatAggProto {
				guard = &g
			}
		}
		if guard == nil || format(guard.measured, guard.known)+" "+guard.verdict() != c.want {
			t.Errorf("CPU guard with the reference server at %v for 200 creates: %+v, want %s", c.reference, guard, c.want)
		}
	}
}
