// Package procmem reads the resident set size of the processes of the local control plane from /proc, by
// the pid files local-up writes (<dir>/<component>.pid).
package procmem

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// RSSMiB is VmRSS of component, in MiB.
func RSSMiB(pidDir, component string) (float64, error) {
	pid, err := os.ReadFile(filepath.Join(pidDir, component+".pid"))
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
