package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/programming-kubernetes/cnat/test/bench/internal/proccpu"
)

// cpuCosts is the CPU each process used per operation, by workload and backend. On two shared cores a
// backend's throughput is the inverse of what an operation costs all processes together, so this table
// says where each backend's figure comes from: for the aggregated backends, kube-apiserver's column is the
// hop (authentication, authorization, priority and fairness, the proxy) and cnat-apiserver's the serving.
type cpuCosts map[string]map[string]*cpuCost

type cpuCost struct {
	used proccpu.Snapshot
	ops  int
}

// columns are the processes shown, in order; the rest (kube-controller-manager, cnat-controller) are in "all".
var columns = []string{"kube-apiserver", "cnat-apiserver", nullComponent, sampleComponent, "etcd", proccpu.Self}

func (c cpuCosts) add(workload, backend string, used proccpu.Snapshot, ops int) {
	if c[workload] == nil {
		c[workload] = map[string]*cpuCost{}
	}
	cost := c[workload][backend]
	if cost == nil {
		cost = &cpuCost{used: proccpu.Snapshot{}}
		c[workload][backend] = cost
	}
	for name, t := range used {
		cost.used[name] += t
	}
	cost.ops += ops
}

func (c cpuCosts) print(out io.Writer, workloads, backends []string) {
	fmt.Fprintln(out, "CPU per operation (µs), by process (client: this benchmark; 10 ms clock ticks, so small figures are coarse):")
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(w, "workload\tbackend\t")
	for _, name := range columns {
		fmt.Fprintf(w, "%s\t", name)
	}
	fmt.Fprintln(w, "all\tall÷crd\t")
	for _, workload := range workloads {
		peerCost := c[workload][peer]
		for _, backend := range backends {
			cost, ok := c[workload][backend]
			if !ok || cost.ops == 0 {
				continue
			}
			fmt.Fprintf(w, "%s\t%s\t", workload, backend)
			for _, name := range columns {
				fmt.Fprintf(w, "%s\t", cost.perOp(cost.used[name]))
			}
			all := "-"
			if peerCost != nil && peerCost.ops > 0 && peerCost.used.Total() > 0 {
				all = ratio(float64(cost.used.Total())/float64(cost.ops), float64(peerCost.used.Total())/float64(peerCost.ops))
			}
			fmt.Fprintf(w, "%s\t%s\t\n", cost.perOp(cost.used.Total()), all)
		}
	}
	w.Flush()
}

func (c *cpuCost) perOp(t time.Duration) string {
	return fmt.Sprintf("%.0f", float64(t.Nanoseconds())/1000/float64(c.ops))
}

// perCall is the CPU process used per operation of workload on backend, in µs; false if that did not run.
func (c cpuCosts) perCall(workload, backend, process string) (float64, bool) {
	cost, ok := c[workload][backend]
	if !ok || cost.ops == 0 {
		return 0, false
	}
	return float64(cost.used[process].Nanoseconds()) / 1000 / float64(cost.ops), true
}
