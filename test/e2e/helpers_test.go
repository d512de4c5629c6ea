package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/programming-kubernetes/cnat/test/internal/smoke"
)

const (
	group  = "cnat.programming-kubernetes.info"
	alphaR = "ats.v1alpha1." + group
	betaR  = "ats.v1beta1." + group
)

// namespace creates a namespace for one test and deletes it (without waiting) when the test ends.
func namespace(t *testing.T) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	name = strings.Trim(name, "-") + "-" + rand.String(5)
	kubectl(t, "", "create", "namespace", name)
	t.Cleanup(func() { _, _ = kubectlErr("", "delete", "namespace", name, "--wait=false") })
	return name
}

// namespaceWithoutKubelet is a namespace whose Pods are never scheduled (a node selector no node matches,
// hack/lib/control-plane.sh): kwok, the simulated kubelet, never sees them, so a test can play the kubelet and
// write their status itself.
func namespaceWithoutKubelet(t *testing.T) string {
	t.Helper()
	ns := namespace(t)
	kubectl(t, "", "annotate", "namespace", ns, env["CP_NO_KUBELET_ANNOTATION"])
	return ns
}

// getJSON reads an object with kubectl get -o json into a map.
func getJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	var obj map[string]any
	out := kubectl(t, "", append([]string{"get", "-o", "json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatalf("kubectl get %v: %v\n%s", args, err, out)
	}
	return obj
}

// field walks a decoded JSON object along a path of keys.
func field(obj any, path ...string) any {
	for _, p := range path {
		m, ok := obj.(map[string]any)
		if !ok {
			return nil
		}
		obj = m[p]
	}
	return obj
}

// eventually polls cond every 500ms for up to timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	smoke.Eventually(t, timeout, what, cond)
}
