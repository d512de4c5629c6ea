package controller

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/klog/v2"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// A schedule is a wall-clock time; the work queue's AddAfter counts down on the monotonic clock. When the
// wall clock is stepped — NTP correcting a clock that was off, a machine or VM resumed from suspend (Linux's
// monotonic clock does not count a suspend) — a waiting At's timer no longer ends at its schedule: a step
// forward by d makes it d late. The controller checks the two clocks against each other every
// clockCheckPeriod, and on a step queues every Pending At again, which computes its wait anew. A periodic
// resync (--resync-period) would bound the lateness too, but by looking at every At every period: with
// 100,000 waiting Ats that is 100,000 syncs queued ahead of any At falling due then, each period, for a
// fault that may never come.
const (
	clockCheckPeriod   = 10 * time.Second
	clockStepTolerance = time.Second
)

// clockReading is the wall clock and the monotonic clock (as time elapsed since a fixed instant), read at
// the same moment.
type clockReading struct {
	wall time.Time
	mono time.Duration
}

// readClock reads both clocks from one time.Now(): its wall part, and its monotonic part against since's.
func readClock(since time.Time) clockReading {
	now := time.Now()
	return clockReading{wall: now.Round(0), mono: now.Sub(since)}
}

// clockStepped tells whether the wall clock moved more than tolerance differently from the monotonic
// clock between two readings: it was stepped (either way) in between.
func clockStepped(before, after clockReading, tolerance time.Duration) bool {
	step := after.wall.Sub(before.wall) - (after.mono - before.mono)
	return step > tolerance || step < -tolerance
}

// watchClock reads the clocks at every tick and requeues the Pending Ats when the wall clock was stepped,
// until ctx ends.
func (c *Controller) watchClock(ctx context.Context, ticks <-chan time.Time, read func() clockReading) {
	last := read()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			now := read()
			if clockStepped(last, now, clockStepTolerance) {
				klog.FromContext(ctx).Info("The wall clock was stepped: computing every Pending At's wait anew",
					"wallElapsed", now.wall.Sub(last.wall), "monotonicElapsed", now.mono-last.mono)
				c.requeuePending()
			}
			last = now
		}
	}
}

// requeuePending queues every Pending At from the cache: each sync computes its wait from the clock as it
// is now (AddAfter keeps the earlier of two deadlines; one that comes too early finds the At not due yet
// and waits the rest).
func (c *Controller) requeuePending() {
	ats, err := c.ats.List(labels.Everything())
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	for _, at := range ats {
		if at.Status.Phase == v1beta1.AtPending || at.Status.Phase == "" {
			c.enqueueAt(at)
		}
	}
}
