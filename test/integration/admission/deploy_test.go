package admission

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
)

// TestDeployedConfiguration: the admission configuration artifacts/deploy mounts into cnat-apiserver starts
// the server, and an At created without an image runs in its defaultImage: the one place that sets the
// default image of a deployment (a registry mirror's copy) works.
func TestDeployedConfiguration(t *testing.T) {
	policy := policyIn(t, deployConfig)
	if policy.DefaultImage == "" {
		t.Fatalf("%s sets no defaultImage", deployConfig)
	}
	server := framework.StartT(t, t.TempDir(), "--admission-control-config-file", deployConfig)
	at, err := server.Client.CnatV1beta1().Ats(namespace(t)).Create(ctx(), newAt("no-image", ""), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if at.Spec.Image != policy.DefaultImage {
		t.Errorf("got image %q, want the deployment's defaultImage %q", at.Spec.Image, policy.DefaultImage)
	}
}
