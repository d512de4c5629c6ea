package app

import (
	"context"
	"sync/atomic"
	"time"

	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// renewTracker is the leader election's lock, noting when the last write of the Lease that succeeded was
// started: the renewal the other replicas count their lease duration from (they see it at the earliest when
// it is applied, which is after it was started).
type renewTracker struct {
	resourcelock.Interface
	lastRenewStarted atomic.Int64 // unix nanoseconds
}

func (l *renewTracker) Create(ctx context.Context, record resourcelock.LeaderElectionRecord) error {
	return l.track(func() error { return l.Interface.Create(ctx, record) })
}

func (l *renewTracker) Update(ctx context.Context, record resourcelock.LeaderElectionRecord) error {
	return l.track(func() error { return l.Interface.Update(ctx, record) })
}

func (l *renewTracker) track(write func() error) error {
	started := time.Now()
	err := write()
	if err == nil {
		l.lastRenewStarted.Store(started.UnixNano())
	}
	return err
}

// fenceOnExpiry ends the process (exit) once the renew deadline has passed since the last renewal, checking
// every period, until ctx ends. client-go's elector notices the same, but then first tries to release the
// Lease (ReleaseOnCancel) — a request that, cut off from kube-apiserver, waits up to another renew deadline —
// and only then cancels the controller's context and calls OnStoppedLeading: for that long the workers would
// go on creating Pods and writing statuses, their requests queued in the kernel and delivered when the network
// heals, after another replica took over. This does not wait for anything.
func fenceOnExpiry(ctx context.Context, lock *renewTracker, renewDeadline, period time.Duration, identity string, exit func(code int)) {
	ticker := time.NewTicker(max(period, 10*time.Millisecond))
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			last := time.Unix(0, lock.lastRenewStarted.Load())
			if since := time.Since(last); since > renewDeadline {
				klog.ErrorS(nil, "Lease not renewed within the renew deadline: exiting at once so that nothing this replica started writes after another replica may take over",
					"identity", identity, "sinceLastRenewal", since.Round(time.Millisecond), "renewDeadline", renewDeadline)
				exit(1)
				return
			}
		}
	}
}
