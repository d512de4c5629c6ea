package main

import (
	"fmt"
	"io"
	"time"

	"github.com/programming-kubernetes/cnat/test/bench/internal/proccpu"
	"github.com/programming-kubernetes/cnat/test/bench/internal/workload"
)

// Targets of issue #22.
const (
	podP50Margin     = 20 * time.Millisecond  // Pod created p50 ≤ the floor's p50 + this
	podP99Margin     = 100 * time.Millisecond // Pod created p99 ≤ the floor's p99 + this
	runningP99Margin = 100 * time.Millisecond // At Running p99 ≤ the Running floor's p99 + this
	idleCPUTarget    = 1.0                    // % of one core, the leader with every At waiting
	perAtTarget      = 2.0                    // KiB of memory per waiting At
)

func report(out io.Writer, o options, r replicas, throughput float64, rate int, idle *idleFigures, s *streamFigures) {
	fmt.Fprintf(out, "\nPunctuality of cnat-controller: %d replicas, leader %s (%s)\n", 1+len(r.standby), r.leader.name, time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(out, "bare-Pod throughput (a plain client, %d workers, %s, first in the run): %.0f Pods/s\n", o.throughputWorkers, o.throughputFor, throughput)
	fmt.Fprintf(out, "stream: %d Ats due at each whole second (%.2f of the bare-Pod throughput; at most 0.5), %d rounds of a %s window for the controller then one for the floor: %d Ats each\n",
		rate, float64(rate)/throughput, o.rounds, o.window, s.ats)
	fmt.Fprintf(out, "waiting: %d Ats due from %s on, spread over %s, none due during the run; created at %.0f/s by %d workers\n",
		idle.waiting, o.waitingIn, o.waitingSpread, idle.created.Throughput(), o.createWorkers)
	fmt.Fprint(out, `
Schedules have whole-second precision (the API keeps no more), so the stream is N Ats due at each whole
second. Lag = the moment this benchmark's watch delivers the Pod (ADDED) or the At's status Running, minus the
second the At was due: a Pod's creationTimestamp has second precision too. The floor is a plain client that
does, at whole seconds of its own windows (alternating with the controller's, so that both meet the same
machine), the same number of Ats per second, the least work that starts one (creates the controller's Pod,
writes its Running status), open loop: a goroutine per At at its instant. Its lag is what the control plane,
the watch and this machine add; the controller's lag beyond it is the controller's own.
`)
	fmt.Fprintf(out, "\n%-34s %6s %9s %9s %9s\n", "lag from the due second to", "seen", "p50", "p99", "max")
	for _, row := range []struct {
		name string
		lags []time.Duration
	}{
		{"Pod created (watch): controller", s.pod},
		{"Pod created (watch): floor", s.floorPod},
		{"At Running (watch): controller", s.running},
		{"At Running (watch): floor", s.floorRunning},
	} {
		fmt.Fprintf(out, "%-34s %6d %9s %9s %9s\n", row.name, len(row.lags), millis(p(row.lags, 0.5)), millis(p(row.lags, 0.99)), millis(p(row.lags, 1)))
	}
	printWindowCPU(out, s)

	leaderCPU := idle.cpu[r.leader.name]
	idlePercent := 100 * leaderCPU.Seconds() / idle.window.Seconds()
	fmt.Fprintf(out, "\nIdle: %d Ats waiting, none due; CPU over a quiet window of %s (2 cores shared by all):\n", idle.waiting, idle.window)
	for _, name := range idle.cpu.Names() {
		fmt.Fprintf(out, "  %-24s %6.2fs  %5.2f %% of one core\n", name, idle.cpu[name].Seconds(), 100*idle.cpu[name].Seconds()/idle.window.Seconds())
	}
	fmt.Fprintf(out, "  Ats added to the leader's work queue during it: %.0f\n", idle.adds)
	rssPerAt, heapPerAt := perAtKiB(idle.before.rssMiB, idle.with.rssMiB, idle.waiting), perAtKiB(idle.before.heapMiB, idle.with.heapMiB, idle.waiting)
	fmt.Fprintf(out, "Memory of the leader %s: before the waiting Ats %.1f MiB resident, %.1f MiB live heap; with them %.1f MiB, %.1f MiB\n",
		r.leader.name, idle.before.rssMiB, idle.before.heapMiB, idle.with.rssMiB, idle.with.heapMiB)

	fmt.Fprintf(out, "\nTARGETS (issue #22), figures of this run:\n")
	fmt.Fprintf(out, "  %-36s %12s %12s  %-22s %s\n", "", "measured", "floor", "target", "verdict")
	row := func(name, measured, floor, target string, met bool) {
		fmt.Fprintf(out, "  %-36s %12s %12s  %-22s %s\n", name, measured, floor, target, verdict(met))
	}
	pod50, floor50 := p(s.pod, 0.5), p(s.floorPod, 0.5)
	pod99, floor99 := p(s.pod, 0.99), p(s.floorPod, 0.99)
	run99, floorRun99 := p(s.running, 0.99), p(s.floorRunning, 0.99)
	row("Pod created p50", millis(pod50), millis(floor50), "≤ floor + 20ms", pod50 <= floor50+podP50Margin)
	row("Pod created p99", millis(pod99), millis(floor99), "≤ floor + 100ms", pod99 <= floor99+podP99Margin)
	row("At Running p99", millis(run99), millis(floorRun99), "≤ floor + 100ms", run99 <= floorRun99+runningP99Margin)
	row("stream Ats missed (no Pod)", fmt.Sprint(s.missed), "-", "0", s.missed == 0)
	row("stream Ats never seen Running", fmt.Sprint(s.notRunning), fmt.Sprint(s.floorErrors), "0", s.notRunning == 0)
	row("duplicate Pods (beyond one per At)", fmt.Sprint(s.duplicates), "-", "0", s.duplicates == 0)
	row("Pods seen before their schedule", fmt.Sprint(s.early), "-", "0", s.early == 0)
	row("Pods of waiting Ats", fmt.Sprint(s.waitingPods), "-", "0", s.waitingPods == 0)
	row("idle CPU of the leader", fmt.Sprintf("%.2f %%", idlePercent), "-", "≤ 1 % of one core", idlePercent <= idleCPUTarget)
	row("resident memory per waiting At", fmt.Sprintf("%.2f KiB", rssPerAt), "-", "≤ 2 KiB", rssPerAt <= perAtTarget)
	row("Go heap per waiting At", fmt.Sprintf("%.2f KiB", heapPerAt), "-", "≤ 2 KiB", heapPerAt <= perAtTarget)
}

// printWindowCPU prints each process's CPU in the controller's windows and in the floor's: the same Ats per
// second, the controller's work against the least work.
func printWindowCPU(out io.Writer, s *streamFigures) {
	fmt.Fprintf(out, "\nCPU per At in the windows (%s each side; 2 cores shared by all; work spills into the next window):\n", s.controllerWall)
	fmt.Fprintf(out, "  %-24s %10s %10s\n", "", "controller", "floor")
	names := s.cpuController.Names()
	per := func(snap proccpu.Snapshot, name string) string {
		return fmt.Sprintf("%.2fms", float64(snap[name].Microseconds())/1000/float64(max(s.ats, 1)))
	}
	for _, name := range names {
		fmt.Fprintf(out, "  %-24s %10s %10s\n", name, per(s.cpuController, name), per(s.cpuFloor, name))
	}
	all := func(snap proccpu.Snapshot) string {
		return fmt.Sprintf("%.2fms", float64(snap.Total().Microseconds())/1000/float64(max(s.ats, 1)))
	}
	fmt.Fprintf(out, "  %-24s %10s %10s\n", "all", all(s.cpuController), all(s.cpuFloor))
}

func p(sorted []time.Duration, q float64) time.Duration { return workload.Percentile(sorted, q) }

func perAtKiB(beforeMiB, withMiB float64, ats int) float64 {
	return (withMiB - beforeMiB) * 1024 / float64(max(ats, 1))
}

func millis(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d.Microseconds())/1000) }

func verdict(met bool) string {
	if met {
		return "PASS"
	}
	return "MISS"
}
