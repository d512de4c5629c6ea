package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// rssMiB reads the resident set size of a control-plane component from /proc, by the pid file local-up
// wrote for it.
func rssMiB(runDir, component string) (float64, error) {
	pid, err := os.ReadFile(filepath.Join(runDir, "pids", component+".pid"))
	if err != nil {
		return 0, err
	}
	f, err := os.Open(filepath.Join("/proc", strings.TrimSpace(string(pid)), "status"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if rest, ok := strings.CutPrefix(scanner.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for %s", component)
}
