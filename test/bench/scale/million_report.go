package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/programming-kubernetes/cnat/test/bench/internal/proccpu"

	"github.com/programming-kubernetes/cnat/test/bench/internal/workload"
)

// Issue #22's targets for a million Ats in one cnat-apiserver.
const (
	millionRSSPerAtKiB = 5
	millionRestart     = 60 * time.Second
	millionList        = 15 * time.Second
)

// loaderNote says which loader filled etcd, and why.
const loaderNote = `loader: etcdload, straight into etcd (transactions of --load-batch keys, each created only if absent; the keys of
one transaction share a revision), in the storage
encoding of a template the server created through its API and stored itself, decoded and encoded again with
the server's own storage codec (which must write the template back byte for byte); through the API a million
take about half an hour at full rate on 2 shared cores (~530/s). Each server is restarted on what was loaded:
cnat-apiserver's stored-versions check reads every At before it serves.`

// printMillion prints the million-At figures next to their targets, and the CRD peer's steps.
func printMillion(out io.Writer, m millionOptions, f *millionFigures) {
	fmt.Fprintf(out, "scale --million: %d Ats in one namespace of cnat-apiserver (stopped while they were loaded), "+
		"the CRD peer in steps (cnat-controller and kube-controller-manager stopped: their informers would hold every object too)\n", f.ats)
	fmt.Fprintln(out, loaderNote)
	fmt.Fprintln(out)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(label, value, target string) { fmt.Fprintf(w, "%s\t%s\t%s\n", label, value, target) }
	row("cnat-apiserver", "", "target")
	row("loaded", fmt.Sprintf("%d in %s (%.0f/s); etcd's db %.0f MiB", f.ats, seconds(f.load), float64(f.ats)/f.load.Seconds(), f.etcdDBMiB), "")
	row("loaded = created through the API", f.sameAsAPI, "")
	row("restart without them: → /readyz, → served", fmt.Sprintf("%s, %s", seconds(f.restartEmpty.ready), seconds(f.restartEmpty.serving)), "")
	row("restart with them: → /readyz", seconds(f.restart.ready), targetDuration(f.restart.ready, millionRestart))
	row("  of which start → stored versions checked (reads every At)", seconds(f.checkTime), "")
	row("restart with them: → served from the watch cache", seconds(f.restart.serving), targetDuration(f.restart.serving, millionRestart))
	row("RSS before, with them (MiB); peak while starting", fmt.Sprintf("%.0f → %.0f; %.0f", f.before.rssMiB, f.after.rssMiB, f.peakStartMiB), "")
	rssPerAt := perObjectKiB(f.before.rssMiB, f.after.rssMiB, f.ats)
	row("RSS per At (KiB)", fmt.Sprintf("%.2f", rssPerAt), fmt.Sprintf("≤ %d KiB: %s", millionRSSPerAtKiB, verdict(rssPerAt <= millionRSSPerAtKiB)))
	row("Go heap in use before, with them (MiB)", fmt.Sprintf("%.0f → %.0f", f.before.heapMiB, f.after.heapMiB), "")
	row("Go heap per At (KiB)", fmt.Sprintf("%.2f", perObjectKiB(f.before.heapMiB, f.after.heapMiB, f.ats)), "")
	listP50 := percentile(f.lists, 0.5)
	row(fmt.Sprintf("LIST all, protobuf, through the aggregator, p50 of %d", len(f.lists)),
		fmt.Sprintf("%s (%.0f MiB)", seconds(listP50), float64(f.listBytes)/(1<<20)), targetDuration(listP50, millionList))
	row(fmt.Sprintf("LIST all, protobuf, directly from cnat-apiserver, p50 of %d", len(f.directLists)), seconds(percentile(f.directLists, 0.5)), "")
	row(fmt.Sprintf("LIST in pages of %d (the first %d), through the aggregator: pages, p50, p99, max", m.pageSize, m.pages),
		fmt.Sprintf("%d, %s, %s, %s (all in %s)", f.pages.Ops(), millis(f.pages.P50()), millis(f.pages.P99()),
			millis(percentile(f.pages.Latencies, 1)), seconds(f.pages.Elapsed)), "")
	row("  pages served from the watch cache, from etcd", fmt.Sprintf("%.0f, %.0f", f.cacheLists, f.etcdLs),
		fmt.Sprintf("all from the cache: %s", verdict(f.etcdLs == 0)))
	watchRows(row, "watchers, server just restarted (cold)", f.fanOutCold)
	if f.crdFanOutCold.watchers > 0 {
		watchRows(row, "the CRD peer's watchers, kube-apiserver just restarted (cold; JSON)", f.crdFanOutCold)
	}
	watchRows(row, fmt.Sprintf("watchers, after %s of writes (warm)", m.warmUp), f.fanOut)
	watchRows(row, "floor: the same watchers of a bare Go TLS server", f.floor)
	row("peak RSS during the run (MiB)", fmt.Sprintf("%.0f", f.peakCnatMiB), "")
	w.Flush()

	if len(f.crd) == 0 {
		return
	}
	fmt.Fprintf(out, "\nCRD peer (kube-apiserver, JSON in etcd, loaded the same way), restarted on each step; RSS before: %.0f MiB, Go heap %.0f MiB\n",
		f.crdBefore.rssMiB, f.crdBefore.heapMiB)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "objects\t→ /readyz\t→ served (a watch)\t→ listed\tRSS (MiB)\tRSS per object (KiB)\tGo heap per object (KiB)\tLIST all, JSON\tpeak RSS (MiB)\t")
	for _, s := range f.crd {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%.0f\t%.2f\t%.2f\t%s (%.0f MiB)\t%.0f\t\n", s.count, seconds(s.restart.ready), seconds(s.restart.serving), seconds(s.listable),
			s.with.rssMiB, perObjectKiB(f.crdBefore.rssMiB, s.with.rssMiB, s.count), perObjectKiB(f.crdBefore.heapMiB, s.with.heapMiB, s.count),
			seconds(s.listJSON), float64(s.listedBytes)/(1<<20), s.peakMiB)
	}
	w.Flush()
	last := f.crd[len(f.crd)-1]
	if last.count < f.ats {
		scale := float64(f.ats) / float64(last.count)
		held := f.crdBefore.rssMiB + (last.with.rssMiB-f.crdBefore.rssMiB)*scale
		peak := f.crdBefore.rssMiB + (last.peakMiB-f.crdBefore.rssMiB)*scale
		fits := "does not fit in this machine's budget"
		if peak <= m.crdBudgetMiB {
			fits = "would fit in the budget, not loaded"
		}
		fmt.Fprintf(out, "CRD peer: the largest count held was %d (%s); %d would need about %.1f GiB of RSS held and %.1f GiB at the peak of a list "+
			"(scaled from %d): %s (%.0f MiB)\n", last.count, f.crdStopped, f.ats, held/1024, peak/1024, last.count, fits, m.crdBudgetMiB)
	}
}

func targetDuration(got, target time.Duration) string {
	return fmt.Sprintf("≤ %s: %s", seconds(target), verdict(got <= target))
}

// percentile is the q-quantile of durations (not necessarily sorted).
func percentile(d []time.Duration, q float64) time.Duration {
	sorted := slices.Clone(d)
	slices.Sort(sorted)
	return workload.Percentile(sorted, q)
}

// watchRows prints one set of watchers.
func watchRows(row func(label, value, target string), label string, fo watchFigures) {
	row(label, fmt.Sprintf("%d, while %d were written at %.0f/s (%d failed)", fo.watchers, fo.writes, fo.rate, fo.writeErrors), "")
	row("  ADDED events per watcher: fewest, most; delivered/s", fmt.Sprintf("%d, %d of %d; %.0f/s", fo.least, fo.most, fo.writes, fo.deliveriesPerSecond()), "")
	row("  watchers short, ended early, closed by the server", fmt.Sprintf("%d, %d, %.0f", fo.short, fo.ended, fo.terminated),
		fmt.Sprintf("no dropped watch: %s", verdict(fo.short == 0 && fo.ended == 0 && fo.terminated == 0)))
	if fo.firstEnded > 0 {
		row("  the first watcher ended after", seconds(fo.firstEnded), "")
	}
	if len(fo.writeLatencies) > 0 {
		row("  write latency p50, p99, max", fmt.Sprintf("%s, %s, %s", millis(percentile(fo.writeLatencies, 0.5)),
			millis(percentile(fo.writeLatencies, 0.99)), millis(percentile(fo.writeLatencies, 1))), "")
	}
	row("  CPU used meanwhile, in cores", cores(fo.cpu, fo.elapsed), "")
}

// cores says how many cores each process kept busy over elapsed, busiest first.
func cores(used proccpu.Snapshot, elapsed time.Duration) string {
	names := make([]string, 0, len(used))
	for name, t := range used {
		if t > 0 {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(used[b], used[a]) })
	parts := make([]string, 0, len(names)+1)
	for _, name := range names {
		parts = append(parts, fmt.Sprintf("%s %.2f", name, used[name].Seconds()/elapsed.Seconds()))
	}
	return fmt.Sprintf("%s (all %.2f of 2)", strings.Join(parts, ", "), used.Total().Seconds()/elapsed.Seconds())
}
