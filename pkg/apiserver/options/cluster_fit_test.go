package options

import (
	"context"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/healthz"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/programming-kubernetes/cnat/pkg/apiserver"
)

// cluster135 is a fake cluster serving what Kubernetes 1.35 serves of the APIs admission reads: no
// admissionregistration.k8s.io/v1 MutatingAdmissionPolicies.
func cluster135() *fake.Clientset {
	client := fake.NewClientset()
	client.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{{Name: "namespaces"}, {Name: "resourcequotas"}, {Name: "resourcequotas/status"}, {Name: "configmaps"}}},
		{GroupVersion: "admissionregistration.k8s.io/v1", APIResources: []metav1.APIResource{{Name: "mutatingwebhookconfigurations"},
			{Name: "validatingwebhookconfigurations"}, {Name: "validatingadmissionpolicies"}, {Name: "validatingadmissionpolicybindings"}}},
		{GroupVersion: "admissionregistration.k8s.io/v1beta1", APIResources: []metav1.APIResource{{Name: "mutatingadmissionpolicies"}}},
	}
	return client
}

// TestFitToClusterTurnsOffOnlyUnservedPlugins: behind Kubernetes 1.35, MutatingAdmissionPolicy (which reads
// v1) is off, every other plugin on, and its checks cover the permissions of the plugins that run.
func TestFitToClusterTurnsOffOnlyUnservedPlugins(t *testing.T) {
	o := NewOptions()
	c := genericapiserver.NewRecommendedConfig(apiserver.Codecs)
	if err := o.fitToCluster(context.Background(), c, cluster135()); err != nil {
		t.Fatal(err)
	}
	enabled := enabledPluginNames(o.RecommendedOptions.Admission)
	want := []string{"NamespaceLifecycle", "MutatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook", "AtPolicy", "ResourceQuota"}
	if !slices.Equal(enabled, want) {
		t.Errorf("enabled plugins behind 1.35: %v, want %v", enabled, want)
	}
	if o.clusterAccess == nil {
		t.Fatal("no review of the cluster permissions")
	}
	if !slices.ContainsFunc(c.ReadyzChecks, func(check healthz.HealthChecker) bool { return check.Name() == "cluster-permissions" }) {
		t.Error("no /readyz/cluster-permissions")
	}
	if err := o.clusterAccess.Refusal(); err != nil {
		t.Errorf("writes refused before any review, with every plugin's API served: %v", err)
	}
}

// TestFitToClusterKeepsAnExplicitPlugin: --enable-admission-plugins wins over the cluster: the plugin stays on,
// and the server says why it cannot be ready instead of running without it.
func TestFitToClusterKeepsAnExplicitPlugin(t *testing.T) {
	o := NewOptions()
	o.RecommendedOptions.Admission.EnablePlugins = []string{"MutatingAdmissionPolicy"}
	c := genericapiserver.NewRecommendedConfig(apiserver.Codecs)
	if err := o.fitToCluster(context.Background(), c, cluster135()); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(enabledPluginNames(o.RecommendedOptions.Admission), "MutatingAdmissionPolicy") {
		t.Error("an explicitly enabled plugin was turned off")
	}
	err := o.clusterAccess.Refusal()
	if err == nil || !strings.Contains(err.Error(), "does not serve mutatingadmissionpolicies.admissionregistration.k8s.io/v1") {
		t.Errorf("refusal: %v, want the unserved API named", err)
	}
}

// TestFitToClusterHonoursDisable: --disable-admission-plugins still turns a served plugin off.
func TestFitToClusterHonoursDisable(t *testing.T) {
	o := NewOptions()
	o.RecommendedOptions.Admission.DisablePlugins = []string{"ValidatingAdmissionWebhook"}
	c := genericapiserver.NewRecommendedConfig(apiserver.Codecs)
	if err := o.fitToCluster(context.Background(), c, cluster135()); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(enabledPluginNames(o.RecommendedOptions.Admission), "ValidatingAdmissionWebhook") {
		t.Error("--disable-admission-plugins=ValidatingAdmissionWebhook left it on")
	}
}
