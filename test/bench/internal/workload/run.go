// Package workload runs the benchmarks' workloads: one operation on many objects from concurrent workers,
// each call timed, and the watch fan-out.
package workload

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one workload on one backend.
type Result struct {
	Elapsed   time.Duration
	Latencies []time.Duration // sorted
}

func (r Result) Ops() int           { return len(r.Latencies) }
func (r Result) P50() time.Duration { return Percentile(r.Latencies, 0.50) }
func (r Result) P99() time.Duration { return Percentile(r.Latencies, 0.99) }

// Throughput is operations per second.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops()) / r.Elapsed.Seconds()
}

// Run runs op(i) for every i in [from, to) on the given number of workers and measures each call. The
// first error stops the run: a benchmark of failing requests measures nothing.
func Run(ctx context.Context, workers, from, to int, op func(context.Context, int) error) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next      atomic.Int64
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, to-from)
		firstErr  error
		wg        sync.WaitGroup
	)
	next.Store(int64(from))
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, (to-from)/workers+1)
			defer func() {
				mu.Lock()
				latencies = append(latencies, mine...)
				mu.Unlock()
			}()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= to {
					return
				}
				began := time.Now()
				if err := op(ctx, i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("op %d: %w", i, err)
					}
					mu.Unlock()
					cancel()
					return
				}
				mine = append(mine, time.Since(began))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return Result{}, firstErr
	}
	slices.Sort(latencies)
	return Result{Elapsed: elapsed, Latencies: latencies}, nil
}

// Percentile is the q-quantile (0 ≤ q ≤ 1) of sorted durations, 0 for none.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// Merge joins two runs of the same workload (e.g. the creates before and after a list) into one figure.
func Merge(a, b Result) Result {
	latencies := slices.Concat(a.Latencies, b.Latencies)
	slices.Sort(latencies)
	return Result{Elapsed: a.Elapsed + b.Elapsed, Latencies: latencies}
}
