package reliability

import (
	"testing"
	"time"
)

// TestRollingRestart upgrades two replicas one after the other under load, as a Deployment's rollout does:
// SIGTERM, start it again, wait until it is ready, then the other. Nothing may fail: each replica hands its
// connections over while it shuts down, and refuses (503, Retry-After) rather than mis-answers while it starts.
func TestRollingRestart(t *testing.T) {
	requireHandover(t)
	d, run := underLoad(t, "a", "b")

	var slowest time.Duration
	for range cycles() {
		for _, name := range []string{"a", "b"} {
			d.terminate(d.replicas[name])
			slowest = max(slowest, d.waitReady(d.start(name)))
			time.Sleep(phase(2*time.Second, 10*time.Second))
		}
	}
	row := run.Finish("rolling restart of 2 replicas", "")
	row.StartToReady = slowest
	report(t, row)
	if row.Failed > 0 {
		t.Errorf("%d requests failed during the rolling restart, want 0", row.Failed)
	}
}

// TestCrashOfOneReplica kills one of two replicas (kill -9) under load: only the requests in flight on it
// may fail; the survivor carries on.
func TestCrashOfOneReplica(t *testing.T) {
	d, run := underLoad(t, "a", "b")

	var slowest time.Duration
	var kills []time.Time
	for range cycles() {
		kills = append(kills, time.Now())
		d.replicas["a"].proc.Kill()
		time.Sleep(phase(3*time.Second, 10*time.Second))
		slowest = max(slowest, d.waitReady(d.start("a")))
		time.Sleep(phase(2*time.Second, 10*time.Second))
	}
	row := run.Finish("kill -9 of 1 of 2 replicas", "")
	row.StartToReady = slowest
	report(t, row)
	// Requests in flight on the killed replica fail at once; anything later is the survivor's to answer.
	for _, f := range run.Ledger.Failures() {
		if !soonAfterAny(f.When, kills, 2*time.Second) {
			t.Errorf("%s %s failed at %s, not in flight at a kill: %s", f.Op, f.Name, f.When.Format("15:04:05.000"), f.Message)
		}
	}
}

// TestCrashOfTheOnlyReplica kills the only replica (kill -9) under load and starts it again: requests fail
// while it is away, none is lost, and none is refused as anonymous once it is back.
func TestCrashOfTheOnlyReplica(t *testing.T) {
	d, run := underLoad(t, "a")

	var slowest time.Duration
	for range cycles() {
		d.replicas["a"].proc.Kill()
		time.Sleep(phase(time.Second, 5*time.Second))
		slowest = max(slowest, d.waitReady(d.start("a")))
		time.Sleep(phase(3*time.Second, 10*time.Second))
	}
	row := run.Finish("kill -9 of the only replica", "")
	row.StartToReady = slowest
	report(t, row) // finish has checked that no request was refused 401/403
}

func soonAfterAny(when time.Time, events []time.Time, within time.Duration) bool {
	for _, e := range events {
		if !when.Before(e) && when.Sub(e) <= within {
			return true
		}
	}
	return false
}
