package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// fanOut is what the watchers of one backend saw.
type fanOut struct {
	watchers, events int
	delivered        int64         // ADDED events received, summed over the watchers
	elapsed          time.Duration // from the first create until the last watcher had everything (or gave up)
}

func (f fanOut) drops() int64 { return int64(f.watchers*f.events) - f.delivered }

// deliveriesPerSecond is events × watchers delivered per second.
func (f fanOut) deliveriesPerSecond() float64 { return float64(f.delivered) / f.elapsed.Seconds() }

// watchFanOut opens the watchers on an empty namespace, creates events objects in it with the given
// workers, and counts what each watcher receives. A watcher that ends early or is still short after the
// timeout has dropped the rest.
func watchFanOut(ctx context.Context, s store, watchers, events, workers int, timeout time.Duration) (fanOut, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	channels := make([]<-chan struct{}, watchers)
	for i := range channels {
		ch, err := s.watch(ctx)
		if err != nil {
			return fanOut{}, fmt.Errorf("watcher %d: %w", i, err)
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
	if _, err := runOps(ctx, workers, 0, events, s.create); err != nil {
		close(done)
		return fanOut{}, err
	}
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	select {
	case <-all:
	case <-deadline:
		close(done)
		<-all
	}
	return fanOut{watchers: watchers, events: events, delivered: delivered.Load(), elapsed: time.Since(start)}, nil
}
