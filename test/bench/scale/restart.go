package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// restartTimes is how long a server took to stop, and from its start to serving again.
type restartTimes struct {
	stop    time.Duration // from SIGTERM until it was gone (to the restart command's one-second polls)
	ready   time.Duration // from its start until its /readyz answered 200
	serving time.Duration // from its start until its objects were served through kube-apiserver again
}

// restart stops component and starts it again with the same command line (hack/restart-component.sh), then
// polls ready and serving (each until it returns nil) every 100 ms. The command returns as soon as the new
// process is started, so its end is taken for the start.
func restart(ctx context.Context, command, component string, ready, serving func(context.Context) error) (restartTimes, error) {
	began := time.Now()
	if err := restartCommand(ctx, command, component); err != nil {
		return restartTimes{}, err
	}
	started := time.Now()
	times := restartTimes{stop: started.Sub(began)}
	var err error
	if times.ready, err = pollUntil(ctx, started, ready); err != nil {
		return times, fmt.Errorf("%s not ready: %w", component, err)
	}
	if times.serving, err = pollUntil(ctx, started, serving); err != nil {
		return times, fmt.Errorf("%s not serving: %w", component, err)
	}
	return times, nil
}

// pollUntil calls check every 100 ms until it succeeds (for five minutes at most) and returns the time from
// since until then.
func pollUntil(ctx context.Context, since time.Time, check func(context.Context) error) (time.Duration, error) {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		attempt, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := check(attempt)
		cancel()
		if err == nil {
			return time.Since(since), nil
		}
		if time.Now().After(deadline) {
			return 0, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// restartCommand runs the restart command for component, its output on stderr.
func restartCommand(ctx context.Context, command, component string) error {
	cmd := exec.CommandContext(ctx, command, component)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", command, component, err)
	}
	return nil
}
