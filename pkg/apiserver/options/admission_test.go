package options

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/resourcequota"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/programming-kubernetes/cnat/pkg/admission/cnatinitializer"
	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy"
	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/atpolicytesting"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/fake"
	informers "github.com/programming-kubernetes/cnat/pkg/generated/informers/externalversions"
)

// TestAggregatedAdmissionPlugins: in a cluster, AtPolicy runs after the generic plugins and ResourceQuota
// last, as in kube-apiserver; both are on by default and can be turned off.
func TestAggregatedAdmissionPlugins(t *testing.T) {
	a := NewOptions().RecommendedOptions.Admission
	if errs := a.Validate(); len(errs) != 0 {
		t.Fatalf("the admission options of the aggregated mode do not validate: %v", errs)
	}
	want := []string{"NamespaceLifecycle", "MutatingAdmissionPolicy", "MutatingAdmissionWebhook", "ValidatingAdmissionPolicy",
		"ValidatingAdmissionWebhook", atpolicy.PluginName, resourcequota.PluginName}
	if names := enabledPluginNames(a); !slices.Equal(names, want) {
		t.Errorf("enabled plugins %v, want %v", names, want)
	}
	for _, name := range []string{atpolicy.PluginName, resourcequota.PluginName} {
		a.DisablePlugins = []string{name}
		if slices.Contains(enabledPluginNames(a), name) {
			t.Errorf("--disable-admission-plugins=%s left it on", name)
		}
	}
}

func TestStandaloneAdmissionValidate(t *testing.T) {
	for _, tc := range []struct {
		enable, disable []string
		wantErr         string
	}{
		{disable: []string{"AtPolicy", "NamespaceLifecycle"}}, // turning off what does not run is harmless
		{enable: []string{"AtPolicy"}},
		{enable: []string{"ValidatingAdmissionWebhook"}, wantErr: `"ValidatingAdmissionWebhook" needs a Kubernetes cluster`},
		{enable: []string{"ResourceQuota"}, wantErr: `"ResourceQuota" needs a Kubernetes cluster`},
		{disable: []string{"NoSuchPlugin"}, wantErr: `"NoSuchPlugin" is unknown`},
	} {
		a := standaloneAdmission{NewOptions().RecommendedOptions.Admission}
		a.EnablePlugins, a.DisablePlugins = tc.enable, tc.disable
		errs := a.Validate()
		switch {
		case tc.wantErr == "" && len(errs) != 0:
			t.Errorf("%+v: %v", tc, errs)
		case tc.wantErr != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.wantErr)):
			t.Errorf("%+v: %v, want one error containing %q", tc, errs, tc.wantErr)
		}
	}
}

// TestStandaloneAdmissionChain: standalone, the chain is AtPolicy alone, configured by the config file, and
// empty when AtPolicy is disabled.
func TestStandaloneAdmissionChain(t *testing.T) {
	configFile := atpolicytesting.WriteAdmissionConfig(t, "defaultImage: alpine:3.20")
	for _, disabled := range []bool{false, true} {
		a := standaloneAdmission{NewOptions().RecommendedOptions.Admission}
		a.ConfigFile = configFile
		if disabled {
			a.DisablePlugins = []string{atpolicy.PluginName}
		}
		c := &genericapiserver.Config{}
		factory := informers.NewSharedInformerFactory(fake.NewSimpleClientset(), time.Duration(0))
		if err := a.ApplyTo(c, cnatinitializer.New(factory)); err != nil {
			t.Fatal(err)
		}

		at := &cnat.At{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "x"}, Spec: cnat.AtSpec{Image: cnat.DefaultImage}}
		attrs := admission.NewAttributesRecord(at, nil, schema.GroupVersionKind{Group: cnat.GroupName, Version: "v1beta1", Kind: "At"},
			"default", "x", schema.GroupVersionResource{Group: cnat.GroupName, Version: "v1beta1", Resource: "ats"}, "",
			admission.Create, &metav1.CreateOptions{}, false, &user.DefaultInfo{Name: "admin"})
		if err := c.AdmissionControl.(admission.MutationInterface).Admit(context.Background(), attrs, nil); err != nil {
			t.Fatal(err)
		}
		want := "alpine:3.20"
		if disabled {
			want = cnat.DefaultImage
		}
		if at.Spec.Image != want {
			t.Errorf("AtPolicy disabled=%v: image %q, want %q", disabled, at.Spec.Image, want)
		}
	}
}

// TestStandaloneRefusesConfigurationOfClusterPlugins: standalone there are no ResourceQuotas (no core API), so a
// configuration for ResourceQuota would be a policy nothing enforces: the server refuses to start with it.
func TestStandaloneRefusesConfigurationOfClusterPlugins(t *testing.T) {
	configFile := filepath.Join(t.TempDir(), "admission-config.yaml")
	err := os.WriteFile(configFile, []byte(`apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: ResourceQuota
    configuration:
      apiVersion: apiserver.config.k8s.io/v1
      kind: ResourceQuotaConfiguration
      limitedResources:
        - resource: ats
          matchContains: ["count/ats.cnat.programming-kubernetes.info"]
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	a := standaloneAdmission{NewOptions().RecommendedOptions.Admission}
	a.ConfigFile = configFile
	factory := informers.NewSharedInformerFactory(fake.NewSimpleClientset(), time.Duration(0))
	err = a.ApplyTo(&genericapiserver.Config{}, cnatinitializer.New(factory))
	if err == nil || !strings.Contains(err.Error(), `configures plugin "ResourceQuota", which needs a Kubernetes cluster`) {
		t.Errorf("got %v, want a refusal of the ResourceQuota configuration", err)
	}
}
