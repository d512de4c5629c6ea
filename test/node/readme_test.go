package node

import (
	"strings"
	"testing"

	"github.com/programming-kubernetes/cnat/test/internal/localup"
	"github.com/programming-kubernetes/cnat/test/internal/smoke"
)

// testReadme: what the README has a user do with kubectl, against the group installed on the real node: the
// walk-through of "Try it with kubectl" (every verb, both versions, explain, watch), the real-node block
// (an At whose Pod's log holds the command's output), and the smoke every supported minor passes (admission
// policies and webhooks called by cnat-apiserver from its Pods, quota, the aggregated roles, the controller).
func testReadme(t *testing.T) {
	t.Run("TryItWithKubectl", func(t *testing.T) {
		var commands []string
		for line := range strings.Lines(docBlock(t, "README.md", "## Try it with kubectl")) {
			// The standalone server's kubeconfig: here the cluster's.
			if !strings.HasPrefix(line, "export KUBECONFIG=") {
				commands = append(commands, line)
			}
		}
		out := runDoc(t, t.TempDir(), strings.Join(commands, ""))
		for _, want := range []string{"example-at", "kind: At", "FIELD: spec", "yes"} {
			if !strings.Contains(out, want) {
				t.Errorf("the README's walk-through printed no %q:\n%s", want, out)
			}
		}
	})
	t.Run("RealNode", func(t *testing.T) {
		var commands []string
		for line := range strings.Lines(docBlock(t, "README.md", "With a real node instead")) {
			// The cluster is up already, and goes at the end of the tests.
			if strings.HasPrefix(line, "kubectl ") {
				commands = append(commands, line)
			}
		}
		if out := runDoc(t, localup.Root(), strings.Join(commands, "")); !strings.Contains(out, "YAY") {
			t.Errorf("the README's real-node block: no YAY from the At's Pod:\n%s", out)
		}
		_, _ = kubectl.Try("", "delete", "namespace", "demo", "--wait=false")
	})
	nodeIP := kubectl.Run(t, "", "get", "node", "cnat-node", "-o", `jsonpath={.status.addresses[?(@.type=="InternalIP")].address}`)
	smoke.Run(t, smoke.Cluster{Kubectl: kubectl, Minor: smoke.NewestMinor(), WebhookIP: nodeIP})
}
