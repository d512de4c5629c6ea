package controller

import (
	"context"
	"testing"
	"time"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

func TestClockStepped(t *testing.T) {
	base := clockReading{wall: now, mono: time.Hour}
	for _, tc := range []struct {
		name       string
		wall, mono time.Duration // elapsed on each clock
		want       bool
	}{
		{"both moved alike", 10 * time.Second, 10 * time.Second, false},
		{"within the tolerance", 10*time.Second + 900*time.Millisecond, 10 * time.Second, false},
		{"wall stepped forward (NTP, resume from suspend)", time.Hour, 10 * time.Second, true},
		{"wall stepped back", 10*time.Second - 5*time.Second, 10 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			after := clockReading{wall: base.wall.Add(tc.wall), mono: base.mono + tc.mono}
			if got := clockStepped(base, after, clockStepTolerance); got != tc.want {
				t.Errorf("clockStepped = %v, want %v", got, tc.want)
			}
		})
	}
	// The real clocks, read twice, have not been stepped.
	since := time.Now()
	first := readClock(since)
	time.Sleep(10 * time.Millisecond)
	if clockStepped(first, readClock(since), clockStepTolerance) {
		t.Error("two readings of the real clocks 10ms apart look stepped")
	}
}

// TestClockStepRequeuesPendingAts: no step, nothing queued; a step queues every Pending At, and only those
// (Running and final Ats wait for their Pod's events, not for a time).
func TestClockStepRequeuesPendingAts(t *testing.T) {
	f := newFixture(t, []*v1beta1.At{
		newAt("waiting", now.Add(time.Hour), v1beta1.AtPending),
		newAt("new", now.Add(time.Hour), ""),
		newAt("running", now, v1beta1.AtRunning),
		newAt("done", now, v1beta1.AtSucceeded),
	}, nil)
	readings := make(chan clockReading, 4)
	readings <- clockReading{wall: now, mono: 0}
	readings <- clockReading{wall: now.Add(clockCheckPeriod), mono: clockCheckPeriod}                   // no step
	readings <- clockReading{wall: now.Add(2 * clockCheckPeriod), mono: 2 * clockCheckPeriod}           // no step
	readings <- clockReading{wall: now.Add(time.Hour + 3*clockCheckPeriod), mono: 3 * clockCheckPeriod} // stepped forward by an hour
	ticks := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.c.watchClock(ctx, ticks, func() clockReading { return <-readings })
	}()

	ticks <- now
	ticks <- now // received only once the first tick was handled
	if n := f.c.queue.Len(); n != 0 {
		t.Fatalf("%d Ats queued without a clock step", n)
	}
	ticks <- now // the step: handled before the goroutine sees ctx end
	cancel()
	<-done
	queued := map[string]bool{}
	for f.c.queue.Len() > 0 {
		key, _ := f.c.queue.Get()
		queued[key] = true
		f.c.queue.Done(key)
	}
	if len(queued) != 2 || !queued["ns/waiting"] || !queued["ns/new"] {
		t.Errorf("after a step, queued %v, want the two Pending Ats ns/waiting and ns/new", queued)
	}
}
