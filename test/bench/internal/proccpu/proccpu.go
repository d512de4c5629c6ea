// Package proccpu reads how much CPU the processes of the local control plane have used, from /proc and the
// pid files local-up writes (<dir>/<component>.pid). Two snapshots around a workload say what it cost each
// component: on two shared cores, throughput is CPU, and this shows whose.
package proccpu

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Self is the name under which a snapshot carries the calling process (the benchmark's client).
const Self = "client"

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every Linux this runs on.
const clockTicks = 100

// Snapshot is the CPU time (user+system) each component has used so far.
type Snapshot map[string]time.Duration

// Take reads every component with a pid file in pidDir, and this process. An empty pidDir gives this
// process only.
func Take(pidDir string) Snapshot {
	snap := Snapshot{}
	if used, ok := ofPid("self"); ok {
		snap[Self] = used
	}
	if pidDir == "" {
		return snap
	}
	files, _ := filepath.Glob(filepath.Join(pidDir, "*.pid"))
	for _, f := range files {
		pid, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if used, ok := ofPid(strings.TrimSpace(string(pid))); ok {
			snap[strings.TrimSuffix(filepath.Base(f), ".pid")] = used
		}
	}
	return snap
}

func ofPid(pid string) (time.Duration, bool) {
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 13 {
		return 0, false
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks, true
}

// Since is what each component used from before to s.
func (s Snapshot) Since(before Snapshot) Snapshot {
	used := Snapshot{}
	for name, t := range s {
		used[name] = t - before[name]
	}
	return used
}

// Total is the sum over all components.
func (s Snapshot) Total() time.Duration {
	var total time.Duration
	for _, t := range s {
		total += t
	}
	return total
}

// Names are the components, sorted.
func (s Snapshot) Names() []string {
	names := make([]string, 0, len(s))
	for name := range s {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Print writes what each component used (a Since), in all and per object.
func (s Snapshot) Print(out io.Writer, title string, wall time.Duration, objects int) {
	fmt.Fprintf(out, "\nCPU %s (%.2fs of wall time, 2 cores shared by all):\n", title, wall.Seconds())
	per := func(t time.Duration) float64 { return float64(t.Microseconds()) / 1000 / float64(objects) }
	for _, name := range s.Names() {
		fmt.Fprintf(out, "  %-24s %6.2fs  %6.2fms per object\n", name, s[name].Seconds(), per(s[name]))
	}
	fmt.Fprintf(out, "  %-24s %6.2fs  %6.2fms per object\n", "all", s.Total().Seconds(), per(s.Total()))
}
