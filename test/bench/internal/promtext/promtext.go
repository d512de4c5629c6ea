// Package promtext reads single values out of the Prometheus text format a component's /metrics serves.
package promtext

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Value is the value of one series, named as /metrics writes it: the metric's name alone for an unlabelled
// one (go_memstats_heap_inuse_bytes), with its labels for a labelled one (workqueue_depth{name="ats"}).
func Value(text []byte, series string) (float64, error) {
	scanner := bufio.NewScanner(bytes.NewReader(text))
	scanner.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for scanner.Scan() {
		if rest, ok := strings.CutPrefix(scanner.Text(), series+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(rest), 64)
		}
	}
	return 0, fmt.Errorf("no metric %s", series)
}
