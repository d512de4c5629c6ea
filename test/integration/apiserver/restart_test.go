package apiserver

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
)

// TestRestartKeepsData stops a server and starts another on the same data dir: the At, the certificates and
// so the admin kubeconfig all survive.
func TestRestartKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first := framework.StartT(t, dir)
	created, err := first.Client.CnatV1beta1().Ats("default").Create(ctx, newAt("survivor"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	adminCert := first.Config.CertData
	first.Stop()

	second := framework.StartT(t, dir)
	if string(second.Config.CertData) != string(adminCert) {
		t.Error("admin certificate changed across the restart: old kubeconfigs would stop working")
	}
	got, err := second.Client.CnatV1beta1().Ats("default").Get(ctx, "survivor", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("At lost across the restart: %v", err)
	}
	if got.UID != created.UID || got.Spec.Schedule != created.Spec.Schedule {
		t.Errorf("At changed across the restart: %+v, want %+v", got, created)
	}
}
