package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/programming-kubernetes/cnat/test/bench/internal/atstore"
	"github.com/programming-kubernetes/cnat/test/bench/internal/proccpu"
	"github.com/programming-kubernetes/cnat/test/bench/internal/workload"
)

// The CPU targets compare two processes' CPU per call, and on a shared machine the CPU an instruction takes
// drifts by half within minutes (other tenants, caches, clock): measured one backend after the other, the
// CRD's figure and cnat's come from different machines. Alternating measures every backend in short rounds,
// one after the other within each round, so that a drift falls on all of them alike; the spread of the
// per-round ratios says how far one figure can be trusted.

// alternatingBackends are the backends measured alternately, when they were chosen: the CRD (the
// denominator), cnat through the aggregator both ways, and the reference server.
var alternatingBackends = []string{peer, cnatAggJSON, cnatAggProto, sampleAggJSON}

// alternatingCPU is the outcome: the CPU of every process summed over the rounds, by verb and backend, and
// each round's ratio of the serving process's CPU per call to kube-apiserver's for the CRD in that round.
type alternatingCPU struct {
	rounds, chunk int
	total         cpuCosts
	ratios        map[string]map[string][]float64
	process       map[string]string // backend: the process that serves it
}

// servingProcess is the process that serves backend b's calls.
func servingProcess(b backend) string {
	if b.name == peer {
		return "kube-apiserver"
	}
	return b.component
}

// measureAlternating runs, for each verb, rounds of chunk calls on each backend in turn (the order rotating
// from round to round), on objects [0, rounds×chunk) of a namespace of each backend's own, and adds up the
// CPU each process used in each chunk.
func measureAlternating(ctx context.Context, backends []backend, namespace func(backend) string,
	workers, rounds, chunk int, pidDir string) (alternatingCPU, error) {
	var chosen []backend
	for _, b := range backends {
		if slices.Contains(alternatingBackends, b.name) {
			chosen = append(chosen, b)
		}
	}
	m := alternatingCPU{rounds: rounds, chunk: chunk, total: cpuCosts{}, ratios: map[string]map[string][]float64{},
		process: map[string]string{}}
	if len(chosen) == 0 || rounds == 0 || chunk == 0 {
		return m, nil
	}
	stores := map[string]atstore.Store{}
	for _, b := range chosen {
		stores[b.name] = b.newStore(namespace(b), rounds*chunk)
		m.process[b.name] = servingProcess(b)
	}
	ops := map[string]func(atstore.Store) func(context.Context, int) error{
		"create": func(s atstore.Store) func(context.Context, int) error { return s.Create },
		"get":    func(s atstore.Store) func(context.Context, int) error { return s.Get },
		"update": func(s atstore.Store) func(context.Context, int) error { return s.Update },
		"delete": func(s atstore.Store) func(context.Context, int) error { return s.Delete },
	}
	for _, verb := range targetVerbs {
		m.ratios[verb] = map[string][]float64{}
		for r := 0; r < rounds; r++ {
			perCall := map[string]float64{}
			for k := range chosen {
				b := chosen[(r+k)%len(chosen)]
				before := proccpu.Take(pidDir)
				result, err := workload.Run(ctx, workers, r*chunk, (r+1)*chunk, ops[verb](stores[b.name]))
				if err != nil {
					return m, fmt.Errorf("%s %s, round %d: %w", b.name, verb, r+1, err)
				}
				used := proccpu.Take(pidDir).Since(before)
				m.total.add(verb, b.name, used, result.Ops())
				perCall[b.name] = float64(used[m.process[b.name]].Microseconds()) / float64(result.Ops())
			}
			for _, b := range chosen {
				if b.name != peer && perCall[peer] > 0 {
					m.ratios[verb][b.name] = append(m.ratios[verb][b.name], perCall[b.name]/perCall[peer])
				}
			}
		}
	}
	return m, nil
}

// measured is true if the backends were measured alternately at all.
func (m alternatingCPU) measured() bool { return len(m.total) > 0 }

// ratio is the serving process's CPU per call on backend ÷ kube-apiserver's for the CRD, over all rounds.
func (m alternatingCPU) ratio(verb, backend string) (float64, bool) {
	crd, crdOK := m.total.perCall(verb, peer, "kube-apiserver")
	serving, ok := m.total.perCall(verb, backend, m.process[backend])
	return quotient(serving, crd, ok && crdOK)
}

// print prints the CPU per call of the serving processes with the ratios and their spread over the rounds,
// and kube-apiserver's in the same rounds: the aggregated backends' other half (authenticating, authorizing
// and proxying them; for the CRD it is the serving process).
func (m alternatingCPU) print(out io.Writer) {
	m.table(out, fmt.Sprintf("CPU per call (µs) of the serving process, the backends alternating in %d rounds of %d calls; "+
		"÷ kube-apiserver's for the CRD over all rounds, and the lowest–highest of the rounds' ratios:", m.rounds, m.chunk),
		func(verb, b string) string {
			serving, ok := m.total.perCall(verb, b, m.process[b])
			if b == peer || !ok {
				return micros(serving, ok)
			}
			r, known := m.ratio(verb, b)
			spread := "-"
			if rounds := m.ratios[verb][b]; len(rounds) > 0 {
				spread = fmt.Sprintf("%.2f–%.2f", slices.Min(rounds), slices.Max(rounds))
			}
			return fmt.Sprintf("%s  %s (%s)", micros(serving, ok), format(r, known), spread)
		})
	m.table(out, "kube-apiserver's CPU per call (µs) in the same rounds: serving the CRD, proxying the others:",
		func(verb, b string) string { return micros(m.total.perCall(verb, b, "kube-apiserver")) })
}

// table prints a row per verb and a column per measured backend, each cell from cell.
func (m alternatingCPU) table(out io.Writer, title string, cell func(verb, backend string) string) {
	fmt.Fprintln(out, title)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(w, "workload\t")
	backends := m.backends()
	for _, b := range backends {
		fmt.Fprintf(w, "%s\t", b)
	}
	fmt.Fprintln(w)
	for _, verb := range targetVerbs {
		fmt.Fprintf(w, "%s\t", verb)
		for _, b := range backends {
			fmt.Fprintf(w, "%s\t", cell(verb, b))
		}
		fmt.Fprintln(w)
	}
	w.Flush()
}

// backends are the measured backends, in alternatingBackends' order.
func (m alternatingCPU) backends() []string {
	var names []string
	for _, b := range alternatingBackends {
		if _, ok := m.process[b]; ok {
			names = append(names, b)
		}
	}
	return names
}
