package node

import (
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/test/internal/ledger"
)

// The load of the node's scenarios, through kube-apiserver's aggregator and the Service to cnat-apiserver's
// Pods: lighter than test/reliability's, as the two cores also run the node, its containers and etcd's three
// members.
var nodeLoad = ledger.Shape{Informers: 2, Writers: 3, Updaters: 3, PerWorker: rate.Limit(5)}

// phase is the short duration under make test, the long one under make test-node.
func phase(short, long time.Duration) time.Duration {
	if *longForm {
		return long
	}
	return short
}

// underLoad starts the node's load on a namespace, lets it run for a moment before the fault, and returns the
// clientset it uses.
func underLoad(t *testing.T, ns string) (versioned.Interface, *ledger.Run) {
	t.Helper()
	c, err := client()
	if err != nil {
		t.Fatal(err)
	}
	return c, startLoad(t, c, ns, nodeLoad)
}

// startLoad starts a load of a shape with a clientset and lets it run for a moment before the fault.
func startLoad(t *testing.T, c versioned.Interface, ns string, shape ledger.Shape) *ledger.Run {
	t.Helper()
	run := ledger.StartRun(t, c, ns, shape)
	time.Sleep(phase(5*time.Second, 20*time.Second))
	return run
}

// testRollingRestartUnderLoad: kubectl rollout restart deployment/cnat-apiserver while writers, updaters
// and informers use the API through the aggregator. The Deployment replaces its Pods one by one (a new one
// ready before an old one goes); each old one leaves the Service before it stops listening. No request
// fails, nothing acknowledged is lost, every informer ends with every acknowledged write.
func testRollingRestartUnderLoad(t *testing.T) {
	_, run := underLoad(t, namespace(t))
	before := kubectl.Run(t, "", "-n", "cnat-system", "get", "pods", "-l", "app.kubernetes.io/name=cnat-apiserver", "-o", "name")
	start := time.Now()
	kubectl.Run(t, "", "-n", "cnat-system", "rollout", "restart", "deployment/cnat-apiserver")
	kubectl.Run(t, "", "-n", "cnat-system", "rollout", "status", "deployment/cnat-apiserver", "--timeout", "5m")
	t.Logf("rollout restart of 2 replicas done in %s", time.Since(start).Round(time.Second))
	time.Sleep(phase(5*time.Second, 20*time.Second))
	row := run.Finish("rollout restart of cnat-apiserver (2 replicas)", "")
	t.Log(row)
	reportRow(row)
	if row.Failed > 0 {
		t.Errorf("%d requests failed during the rolling restart", row.Failed)
	}
	after := kubectl.Run(t, "", "-n", "cnat-system", "get", "pods", "-l", "app.kubernetes.io/name=cnat-apiserver", "-o", "name")
	if before == after {
		t.Errorf("the rollout replaced no Pod: %s", after)
	}
}
