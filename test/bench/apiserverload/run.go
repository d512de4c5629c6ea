package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one workload on one backend.
type result struct {
	elapsed   time.Duration
	latencies []time.Duration // sorted
}

func (r result) ops() int           { return len(r.latencies) }
func (r result) p50() time.Duration { return percentile(r.latencies, 0.50) }
func (r result) p99() time.Duration { return percentile(r.latencies, 0.99) }

func (r result) throughput() float64 { return float64(r.ops()) / r.elapsed.Seconds() }

// runOps runs op(i) for every i in [from, to) on the given number of workers and measures each call. The
// first error stops the run: a benchmark of failing requests measures nothing.
func runOps(ctx context.Context, workers, from, to int, op func(context.Context, int) error) (result, error) {
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
		return result{}, firstErr
	}
	slices.Sort(latencies)
	return result{elapsed: elapsed, latencies: latencies}, nil
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// merge joins two runs of the same workload (the creates before and after the small list) into one figure.
func merge(a, b result) result {
	latencies := slices.Concat(a.latencies, b.latencies)
	slices.Sort(latencies)
	return result{elapsed: a.elapsed + b.elapsed, latencies: latencies}
}
