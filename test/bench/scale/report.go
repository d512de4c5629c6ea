package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// maxRSSPerAtKiB is issue #14's target for cnat-apiserver: at most 10 KiB of resident memory per At.
const maxRSSPerAtKiB = 10

// printScale prints one column per subject, one row per figure, per-object figures where they compare
// servers holding different counts.
func printScale(out io.Writer, subjects []subject, measured []*figures, lists int) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(label string, cell func(subject, *figures) string) {
		fmt.Fprintf(w, "%s\t", label)
		for i, s := range subjects {
			fmt.Fprintf(w, "%s\t", cell(s, measured[i]))
		}
		fmt.Fprintln(w)
	}
	row("", func(s subject, _ *figures) string { return s.name })
	row("served by", func(s subject, _ *figures) string { return s.server.component })
	row("objects in the namespace", func(_ subject, f *figures) string { return fmt.Sprint(f.objects) })
	row("create: time, objects/s", func(_ subject, f *figures) string {
		return fmt.Sprintf("%s, %.0f/s", seconds(f.created.Elapsed), f.created.Throughput())
	})
	row("create: p50, p99", func(_ subject, f *figures) string {
		return fmt.Sprintf("%s, %s", millis(f.created.P50()), millis(f.created.P99()))
	})
	row("RSS before, with them (MiB)", func(_ subject, f *figures) string {
		return fmt.Sprintf("%.0f → %.0f", f.before.rssMiB, f.with.rssMiB)
	})
	row("RSS growth per object (KiB)", func(_ subject, f *figures) string {
		return fmt.Sprintf("%.1f", perObjectKiB(f.before.rssMiB, f.with.rssMiB, f.objects))
	})
	row("Go heap in use before, with them (MiB)", func(_ subject, f *figures) string {
		return fmt.Sprintf("%.0f → %.0f", f.before.heapMiB, f.with.heapMiB)
	})
	row("Go heap growth per object (KiB)", func(_ subject, f *figures) string {
		return fmt.Sprintf("%.1f", perObjectKiB(f.before.heapMiB, f.with.heapMiB, f.objects))
	})
	for _, format := range []string{"protobuf", "JSON"} {
		row(fmt.Sprintf("LIST all, %s, p50 of %d", format, lists), func(_ subject, f *figures) string {
			r, ok := f.lists[format]
			if !ok {
				return "-"
			}
			return millis(r.P50())
		})
	}
	row("watch fan-out: delivered, drops", func(_ subject, f *figures) string {
		return fmt.Sprintf("%d×%d: %d, %d", f.fanOut.Watchers, f.fanOut.Events, f.fanOut.Delivered, f.fanOut.Drops())
	})
	row("watch fan-out: seconds, deliveries/s", func(_ subject, f *figures) string {
		return fmt.Sprintf("%s, %.0f/s", seconds(f.fanOut.Elapsed), f.fanOut.DeliveriesPerSecond())
	})
	restarted := func(cell func(*figures) string) func(subject, *figures) string {
		return func(_ subject, f *figures) string {
			if !f.restarted {
				return "-"
			}
			return cell(f)
		}
	}
	row("restart without them: start → /readyz, → served", restarted(func(f *figures) string {
		return fmt.Sprintf("%s, %s", seconds(f.restartEmpty.ready), seconds(f.restartEmpty.serving))
	}))
	row("restart with them: start → /readyz, → served", restarted(func(f *figures) string {
		return fmt.Sprintf("%s, %s", seconds(f.restart.ready), seconds(f.restart.serving))
	}))
	row("restart with them: stop", restarted(func(f *figures) string { return seconds(f.restart.stop) }))
	row("after restart: RSS (MiB), growth per object (KiB)", restarted(func(f *figures) string {
		return fmt.Sprintf("%.0f, %.1f", f.afterRestart.rssMiB, perObjectKiB(f.before.rssMiB, f.afterRestart.rssMiB, f.objects+f.watchEvents))
	}))
	row("after restart: Go heap (MiB), growth per object (KiB)", restarted(func(f *figures) string {
		return fmt.Sprintf("%.0f, %.1f", f.afterRestart.heapMiB, perObjectKiB(f.before.heapMiB, f.afterRestart.heapMiB, f.objects+f.watchEvents))
	}))
	w.Flush()

	for i, s := range subjects {
		if s.server.component != "cnat-apiserver" {
			continue
		}
		perAt := perObjectKiB(measured[i].before.rssMiB, measured[i].with.rssMiB, measured[i].objects)
		fmt.Fprintf(out, "\nTARGET (issue #14): cnat-apiserver's RSS growth ≤ %d KiB per At: %.1f KiB with %d Ats: %s\n",
			maxRSSPerAtKiB, perAt, measured[i].objects, verdict(perAt <= maxRSSPerAtKiB))
	}
}

// perObjectKiB is the growth from before to after (MiB) per object, in KiB.
func perObjectKiB(beforeMiB, afterMiB float64, objects int) float64 {
	if objects == 0 {
		return 0
	}
	return (afterMiB - beforeMiB) * 1024 / float64(objects)
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "MISSED"
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

func millis(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
