package workload

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/programming-kubernetes/cnat/test/bench/internal/atstore"
)

// FanOut is what the watchers of one backend saw.
type FanOut struct {
	Watchers, Events int
	Delivered        int64         // ADDED events received, summed over the watchers
	Elapsed          time.Duration // from the first create until the last watcher had everything (or gave up)
}

// Drops are the events a watcher should have had and did not, summed over the watchers.
func (f FanOut) Drops() int64 { return int64(f.Watchers*f.Events) - f.Delivered }

// DeliveriesPerSecond is events × watchers delivered per second.
func (f FanOut) DeliveriesPerSecond() float64 {
	if f.Elapsed <= 0 {
		return 0
	}
	return float64(f.Delivered) / f.Elapsed.Seconds()
}

// WatchFanOut opens the watchers on s's namespace (each from its current state), creates objects
// [from, from+events) in it with the given workers, and counts what each watcher receives. A watcher that
// ends early or is still short after the timeout has dropped the rest.
func WatchFanOut(ctx context.Context, s atstore.Store, watchers, from, events, workers int, timeout time.Duration) (FanOut, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	channels := make([]<-chan struct{}, watchers)
	for i := range channels {
		ch, err := s.Watch(ctx)
		if err != nil {
			return FanOut{}, fmt.Errorf("watcher %d: %w", i, err)
		}
		channels[i] = ch
	}

	var delivered atomic.Int64
	var wg sync.WaitGroup
	deadline := time.After(timeout)
	done := make(chan struct{})
	for _, ch := range channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seen := 0; seen < events; seen++ {
				select {
				case _, ok := <-ch:
					if !ok {
						return
					}
					delivered.Add(1)
				case <-done:
					return
				}
			}
		}()
	}
	start := time.Now()
	if _, err := Run(ctx, workers, from, from+events, s.Create); err != nil {
		close(done)
		return FanOut{}, err
	}
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	select {
	case <-all:
	case <-deadline:
		close(done)
		<-all
	}
	return FanOut{Watchers: watchers, Events: events, Delivered: delivered.Load(), Elapsed: time.Since(start)}, nil
}
