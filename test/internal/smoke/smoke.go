// Package smoke is what a user does with cnat on any supported Kubernetes minor, as one test run through
// kubectl: the version-skew matrix (test/skew) runs it behind every older control plane, the e2e suite behind
// the newest, and with kubectl one minor older and one newer.
package smoke

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/rand"
)

const (
	group = "cnat.programming-kubernetes.info"
	// Versions are the At API's versions the smoke uses, each in its own requests.
	alpha  = "v1alpha1"
	beta   = "v1beta1"
	stable = "v1"
)

// resource is ats in one version, fully qualified as kubectl takes it.
func resource(version string) string { return "ats." + version + "." + group }

// Cluster is a control plane with cnat-apiserver registered and cnat-controller running (hack/local-up.sh).
type Cluster struct {
	Kubectl Kubectl
	// Minor is the Kubernetes minor of the control plane, "1.35"; kubectl version must report it.
	Minor string
	// WebhookIP is the address the smoke's admission webhook listens on: loopback (empty) when cnat-apiserver
	// runs on the machine, an address its Pods reach (the node's) when it runs in the cluster.
	WebhookIP string
}

// Run is the whole smoke against the cluster: the API through kubectl (RunKubectl), then what the cluster
// adds: admission policies and webhooks, quota, the aggregated roles, and the controller running an At.
func Run(t *testing.T, c Cluster) {
	RunKubectl(t, c)
	t.Run("ValidatingAdmissionPolicy", func(t *testing.T) { validatingAdmissionPolicy(t, c.Kubectl) })
	t.Run("ValidatingWebhook", func(t *testing.T) { validatingWebhook(t, c) })
	t.Run("ResourceQuota", func(t *testing.T) { resourceQuota(t, c.Kubectl) })
	t.Run("AggregatedRoles", func(t *testing.T) { aggregatedRoles(t, c.Kubectl) })
	t.Run("Controller", func(t *testing.T) { controllerRunsAnAt(t, c.Kubectl) })
}

// RunKubectl is the part of the smoke that is kubectl talking to the aggregated API: the kubectl skew runs
// it with kubectls of other minors.
func RunKubectl(t *testing.T, c Cluster) {
	t.Run("APIServicesAvailable", func(t *testing.T) { apiServicesAvailable(t, c.Kubectl) })
	t.Run("Discovery", func(t *testing.T) { discovery(t, c.Kubectl) })
	for _, version := range []string{alpha, beta, stable} {
		t.Run("API/"+version, func(t *testing.T) { api(t, c.Kubectl, version) })
	}
	t.Run("VersionAndAuth", func(t *testing.T) { versionAndAuth(t, c) })
}

// namespace creates a namespace for one test and deletes it (without waiting) when the test ends.
func namespace(t *testing.T, k Kubectl) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-", ".", "-").Replace(t.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	name = strings.Trim(name, "-") + "-" + rand.String(5)
	k.Run(t, "", "create", "namespace", name)
	t.Cleanup(func() { _, _ = k.Try("", "delete", "namespace", name, "--wait=false") })
	return name
}

// at is an At in the given version, due at schedule (RFC 3339), with the given labels (YAML flow mapping).
func at(version, name, schedule, labels string) string {
	command := `"echo smoke"`
	if version != alpha {
		command = `["sh", "-c", "echo smoke"]`
	}
	return fmt.Sprintf(`apiVersion: %s/%s
kind: At
metadata:
  name: %s
  labels: %s
spec:
  schedule: %q
  command: %s
`, group, version, name, labels, schedule, command)
}

// farFuture is a schedule the smoke never reaches: the controller leaves such an At Pending.
const farFuture = "2099-01-01T00:00:00Z"
