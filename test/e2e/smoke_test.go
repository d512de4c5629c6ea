package e2e

import (
	"os"
	"testing"

	"github.com/programming-kubernetes/cnat/test/internal/localup"
	"github.com/programming-kubernetes/cnat/test/internal/smoke"
)

// TestSmoke is the smoke the version-skew matrix runs behind every older minor (test/skew), here behind the
// newest, so that every supported minor passes the very same steps.
func TestSmoke(t *testing.T) {
	smoke.Run(t, smoke.Cluster{Kubectl: adminKubectl(env["CP_KUBECTL"]), Minor: smoke.NewestMinor()})
}

// TestKubectlSkew: kubectl one minor older and one newer than the newest control plane, through the
// aggregator to cnat: discovery, every verb and patch kind in both versions, status, watch, explain, auth.
func TestKubectlSkew(t *testing.T) {
	for _, minor := range smoke.KubectlSkewMinors {
		t.Run("kubectl-"+minor, func(t *testing.T) {
			path := localup.KubectlOf(minor)
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("kubectl %s was not built (hack/build-control-plane.sh): %v", minor, err)
			}
			smoke.RunKubectl(t, smoke.Cluster{Kubectl: adminKubectl(path), Minor: smoke.NewestMinor()})
		})
	}
}

func adminKubectl(path string) smoke.Kubectl {
	return smoke.Kubectl{Path: path, Kubeconfig: env["KUBECONFIG"]}
}
