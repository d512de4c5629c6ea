package app

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// failingLock is a lock whose writes succeed or fail as told.
type failingLock struct {
	resourcelock.Interface
	fail atomic.Bool
}

func (l *failingLock) Update(context.Context, resourcelock.LeaderElectionRecord) error {
	if l.fail.Load() {
		return errors.New("cut off")
	}
	return nil
}

// TestFenceOnExpiry: a leader whose renewals succeed keeps running; once they fail for longer than the
// renew deadline it exits, without waiting for anything else.
func TestFenceOnExpiry(t *testing.T) {
	inner := &failingLock{}
	lock := &renewTracker{Interface: inner}
	if err := lock.Update(context.Background(), resourcelock.LeaderElectionRecord{}); err != nil {
		t.Fatal(err)
	}
	exited := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const deadline = 300 * time.Millisecond
	go fenceOnExpiry(ctx, lock, deadline, 20*time.Millisecond, "a", func(code int) { exited <- code })

	// Renewing keeps it alive past several deadlines.
	for end := time.Now().Add(3 * deadline); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		_ = lock.Update(ctx, resourcelock.LeaderElectionRecord{})
	}
	select {
	case code := <-exited:
		t.Fatalf("exited (%d) while the Lease was renewed", code)
	default:
	}

	inner.fail.Store(true)
	cut := time.Now()
	_ = lock.Update(ctx, resourcelock.LeaderElectionRecord{}) // fails: not a renewal
	select {
	case code := <-exited:
		if code != 1 {
			t.Errorf("exit(%d), want exit(1)", code)
		}
		if waited := time.Since(cut); waited > deadline+200*time.Millisecond {
			t.Errorf("exited %s after the last renewal, want within the renew deadline %s (+ a check period)", waited, deadline)
		}
	case <-time.After(5 * deadline):
		t.Fatal("still running long after the renew deadline passed without a renewal")
	}
}
