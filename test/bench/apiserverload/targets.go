package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/programming-kubernetes/cnat/test/bench/internal/workload"
)

// The targets of issue #14, as ratios of figures of one run. They are printed, not enforced: a benchmark on
// two shared cores measures, it does not pass or fail.
var (
	// targetVerbs are the workloads the targets speak of.
	targetVerbs = []string{"create", "get", "update", "delete"}
	// maxCPUOfCRD: cnat-apiserver's CPU per call at most half of kube-apiserver's for the CRD.
	maxCPUOfCRD = 0.5
	// minThroughputOfCRD: throughput through the aggregator at least this share of the CRD's.
	minThroughputOfCRD = map[string]float64{"create": 1.0, "get": 0.8, "update": 0.9, "delete": 1.0}
	// targetBackends are cnat through the aggregator: the clientset in JSON (the CRD's only format) and protobuf.
	targetBackends = []string{cnatAggJSON, cnatAggProto}
)

// target is one target on one workload and backend.
type target struct {
	what, workload, backend string
	measured                float64
	known                   bool // both figures of the ratio were measured
	limit                   float64
	atMost                  bool // met when measured ≤ limit; otherwise when measured ≥ limit
}

func (t target) verdict() string {
	switch {
	case !t.known:
		return "-"
	case t.atMost && t.measured <= t.limit, !t.atMost && t.measured >= t.limit:
		return "met"
	default:
		return "MISSED"
	}
}

// cpuRatio is cnat-apiserver's CPU per call on a backend ÷ kube-apiserver's for the CRD, false if either
// was not measured.
type cpuRatio func(verb, backend string) (float64, bool)

// sequentialRatio is cpuRatio from the workloads run one backend after the other.
func sequentialRatio(cpu cpuCosts) cpuRatio {
	return func(verb, backend string) (float64, bool) {
		crd, crdOK := cpu.perCall(verb, peer, "kube-apiserver")
		cnat, cnatOK := cpu.perCall(verb, backend, "cnat-apiserver")
		return quotient(cnat, crd, cnatOK && crdOK)
	}
}

// evaluateTargets computes every target from the run's throughput and CPU figures.
func evaluateTargets(results map[string]map[string]workload.Result, cpu cpuRatio) []target {
	var targets []target
	for _, verb := range targetVerbs {
		for _, backend := range targetBackends {
			t := target{what: "CPU per call: cnat-apiserver ÷ kube-apiserver for the CRD", workload: verb, backend: backend,
				limit: maxCPUOfCRD, atMost: true}
			t.measured, t.known = cpu(verb, backend)
			targets = append(targets, t)
		}
	}
	for _, verb := range targetVerbs {
		for _, backend := range targetBackends {
			t := target{what: "throughput via the aggregator ÷ the CRD's", workload: verb, backend: backend, limit: minThroughputOfCRD[verb]}
			t.measured, t.known = throughputRatio(results, verb, backend, peer)
			targets = append(targets, t)
		}
	}
	return append(targets, evaluateGuards(results, cpu)...)
}

// The guards of issue #22: what earlier rounds reached, kept from sliding back. cnat-apiserver's CPU per call
// at most the reference server's (both ÷ the CRD's in the same rounds, so the CRD's cost cancels out), and
// cnat called directly at least as fast as the CRD on every verb but get (a get is one etcd-free read from
// either watch cache; both are bound by the client there).
var (
	maxCPUOfReference = 1.0
	minDirectOfCRD    = 1.0
	directVerbs       = []string{"create", "update", "delete"}
)

func evaluateGuards(results map[string]map[string]workload.Result, cpu cpuRatio) []target {
	var guards []target
	for _, verb := range targetVerbs {
		reference, referenceOK := cpu(verb, sampleAggJSON)
		for _, backend := range targetBackends {
			t := target{what: "guard: CPU per call ÷ the reference server's", workload: verb, backend: backend,
				limit: maxCPUOfReference, atMost: true}
			cnat, ok := cpu(verb, backend)
			t.measured, t.known = quotient(cnat, reference, ok && referenceOK)
			guards = append(guards, t)
		}
	}
	for _, verb := range directVerbs {
		t := target{what: "guard: throughput called directly ÷ the CRD's", workload: verb, backend: cnatDirect, limit: minDirectOfCRD}
		t.measured, t.known = throughputRatio(results, verb, cnatDirect, peer)
		guards = append(guards, t)
	}
	return guards
}

func printTargets(out io.Writer, targets []target) {
	fmt.Fprintln(out, "TARGETS (issue #14) and GUARDS (issue #22), ratios of figures of this run:")
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  target\tworkload\tbackend\tmeasured\ttarget\tverdict")
	met, known := 0, 0
	for _, t := range targets {
		measured, sign := "-", "≥"
		if t.known {
			measured = fmt.Sprintf("%.2f", t.measured)
			known++
		}
		if t.atMost {
			sign = "≤"
		}
		if t.verdict() == "met" {
			met++
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s %.2f\t%s\n", t.what, t.workload, t.backend, measured, sign, t.limit, t.verdict())
	}
	w.Flush()
	fmt.Fprintf(out, "  met: %d of the %d measured in this run (%d in all)\n", met, known, len(targets))
}

// ceilingPairs are the backends compared with the null backend: each cnat backend and its null counterpart,
// by the client's format and the way it goes; the first two go through the aggregator.
var ceilingPairs = []struct{ client, cnat, null string }{
	{"json", cnatAggJSON, nullAggJSON},
	{"protobuf", cnatAggProto, nullAggProto},
	{"direct", cnatDirect, nullDirect},
}

// printCeiling prints the throughput of cnat ÷ that of the null backend, the same client to the same place.
// The null backend pays no etcd, admission, validation, managed fields or watch: no real server can reach
// it, so this is a figure to follow, not a target.
func printCeiling(out io.Writer, workloads []string, results map[string]map[string]workload.Result) {
	fmt.Fprintln(out, "cnat ÷ null ceiling (throughput; not a target: the ceiling pays no etcd, admission, validation, managed fields, watch):")
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(w, "workload\t")
	for _, pair := range ceilingPairs {
		fmt.Fprintf(w, "%s÷%s\t", pair.cnat, pair.null)
	}
	fmt.Fprintln(w)
	for _, name := range workloads {
		fmt.Fprintf(w, "%s\t", name)
		for _, pair := range ceilingPairs {
			fmt.Fprintf(w, "%s\t", format(throughputRatio(results, name, pair.cnat, pair.null)))
		}
		fmt.Fprintln(w)
	}
	w.Flush()
}

// printProxyCost prints what kube-apiserver spends per call to proxy to cnat-apiserver and to the null
// backend, the same client and workload; what it spends while the benchmark calls cnat-apiserver directly
// (then it is not in the request path: what remains is its share of cnat's watches, which it proxies to
// cnat-controller and kube-controller-manager, and its background work); and each backend's own CPU.
func printProxyCost(out io.Writer, workloads []string, cpu cpuCosts) {
	fmt.Fprintln(out, "kube-apiserver's CPU per call (µs) proxying to cnat-apiserver and to the null backend; while cnat is called directly (its watches); the backend's own:")
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "workload\tclient\tkube-apiserver→cnat\tkube-apiserver→null\tcnat−null\tkube-apiserver, cnat direct\tcnat-apiserver\tnullbackend\t")
	for _, name := range workloads {
		watches, watchesOK := cpu.perCall(name, cnatDirect, "kube-apiserver")
		for _, pair := range ceilingPairs[:2] {
			toCnat, cnatOK := cpu.perCall(name, pair.cnat, "kube-apiserver")
			toNull, nullOK := cpu.perCall(name, pair.null, "kube-apiserver")
			if !cnatOK && !nullOK {
				continue
			}
			serving, _ := cpu.perCall(name, pair.cnat, "cnat-apiserver")
			null, _ := cpu.perCall(name, pair.null, nullComponent)
			difference, known := toCnat-toNull, cnatOK && nullOK
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, pair.client, micros(toCnat, cnatOK), micros(toNull, nullOK),
				micros(difference, known), micros(watches, watchesOK), micros(serving, cnatOK), micros(null, nullOK))
		}
	}
	w.Flush()
}

// throughputRatio is a's throughput ÷ b's on workload; false if either did not run.
func throughputRatio(results map[string]map[string]workload.Result, name, a, b string) (float64, bool) {
	ra, okA := results[name][a]
	rb, okB := results[name][b]
	return quotient(ra.Throughput(), rb.Throughput(), okA && okB)
}

// quotient is a ÷ b, known if both are and b is not 0.
func quotient(a, b float64, known bool) (float64, bool) {
	if !known || b == 0 {
		return 0, false
	}
	return a / b, true
}

func format(v float64, known bool) string {
	if !known {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func micros(v float64, known bool) string {
	if !known {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}
