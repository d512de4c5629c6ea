package reliability

import (
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/programming-kubernetes/cnat/test/internal/ledger"
)

// The load of every scenario: writers and updaters through the aggregator at a pace the two cores of the
// machine carry besides three etcd members, kube-apiserver and the replicas, and two informers.
const (
	writers   = 4
	updaters  = 4
	perWorker = rate.Limit(10) // requests per second
	informers = 2
)

// phase is the short duration under make test, the long one under make reliability.
func phase(short, long time.Duration) time.Duration {
	if *longForm {
		return long
	}
	return short
}

// cycles is how many times a scenario repeats its fault.
func cycles() int {
	if *longForm {
		return 3
	}
	return 1
}

// underLoad starts a deployment on three etcd members with the named replicas, ready and registered, puts
// the load on it and lets it run for a moment before the faults.
func underLoad(t *testing.T, replicas ...string) (*deployment, *ledger.Run) {
	t.Helper()
	return deploymentUnderLoad(newDeployment(t, 3), replicas...)
}

// deploymentUnderLoad starts the named replicas of d, registers them and puts the load on them.
func deploymentUnderLoad(d *deployment, replicas ...string) (*deployment, *ledger.Run) {
	t := d.t
	t.Helper()
	for _, name := range replicas {
		d.waitReady(d.start(name))
	}
	d.register()
	run := startLoad(t)
	time.Sleep(phase(3*time.Second, 15*time.Second))
	return d, run
}

// startLoad starts the informers (before any fault), then the writers and updaters.
func startLoad(t *testing.T) *ledger.Run {
	t.Helper()
	return ledger.StartRun(t, client(t), namespace(t), ledger.Shape{Informers: informers, Writers: writers, Updaters: updaters, PerWorker: perWorker})
}
