package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/programming-kubernetes/cnat/test/bench/internal/workload"
)

// printTable prints one row per workload and backend: throughput and latency, and each as a ratio to the
// peer's and to the floor's. A throughput ratio above 1 is faster; a latency ratio below 1 is faster.
func printTable(out io.Writer, workloads []string, backends []string, results map[string]map[string]workload.Result) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "workload\tbackend\tops\tops/s\tp50\tp99\tops/s÷crd\tops/s÷etcd\tp50÷crd\tp99÷crd\tp50÷etcd\tp99÷etcd\t")
	for _, workload := range workloads {
		byBackend := results[workload]
		for _, backend := range backends {
			r, ok := byBackend[backend]
			if !ok {
				continue
			}
			p, f := byBackend[peer], byBackend[floor]
			fmt.Fprintf(w, "%s\t%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", workload, backend, r.Ops(), r.Throughput(),
				ms(r.P50()), ms(r.P99()),
				ratio(r.Throughput(), p.Throughput()), ratio(r.Throughput(), f.Throughput()),
				ratio(r.P50().Seconds(), p.P50().Seconds()), ratio(r.P99().Seconds(), p.P99().Seconds()),
				ratio(r.P50().Seconds(), f.P50().Seconds()), ratio(r.P99().Seconds(), f.P99().Seconds()))
		}
	}
	w.Flush()
}

func printFanOut(out io.Writer, backends []string, fanOuts map[string]workload.FanOut) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "watch fan-out\twatchers\tevents\tdelivered\tdrops\tseconds\tdeliveries/s\t÷crd\t÷etcd\t")
	for _, backend := range backends {
		f, ok := fanOuts[backend]
		if !ok {
			continue
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%.2f\t%.0f\t%s\t%s\t\n", backend, f.Watchers, f.Events, f.Delivered, f.Drops(),
			f.Elapsed.Seconds(), f.DeliveriesPerSecond(),
			ratio(f.DeliveriesPerSecond(), fanOuts[peer].DeliveriesPerSecond()),
			ratio(f.DeliveriesPerSecond(), fanOuts[floor].DeliveriesPerSecond()))
	}
	w.Flush()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func ratio(a, b float64) string { return format(quotient(a, b, true)) }
