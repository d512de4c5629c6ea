package options

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	admissionmetrics "k8s.io/apiserver/pkg/admission/metrics"
	apiserverapi "k8s.io/apiserver/pkg/apis/apiserver"
	apiserverapiv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	apiserverapiv1alpha1 "k8s.io/apiserver/pkg/apis/apiserver/v1alpha1"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/klog/v2"
)

// admissionConfigScheme reads the AdmissionConfiguration file (apiserver.config.k8s.io), as the generic
// admission options do with a scheme of their own they do not export.
var admissionConfigScheme = runtime.NewScheme()

func init() {
	utilruntime.Must(apiserverapi.AddToScheme(admissionConfigScheme))
	utilruntime.Must(apiserverapiv1alpha1.AddToScheme(admissionConfigScheme))
	utilruntime.Must(apiserverapiv1.AddToScheme(admissionConfigScheme))
}

// standaloneAdmission builds the admission chain of a server with no Kubernetes cluster behind it.
//
// AdmissionOptions.ApplyTo cannot: it insists on a core client and informers, because the generic plugins
// it wires (NamespaceLifecycle, the admission webhooks, ValidatingAdmissionPolicy,
// MutatingAdmissionPolicy) read Namespaces and their configurations from the core cluster. Standalone there
// is none, so only the server's own plugins run, chosen by the same flags
// (--enable-admission-plugins, --disable-admission-plugins) and configured by the same
// --admission-control-config-file, decorated with the same metrics.
type standaloneAdmission struct {
	*genericoptions.AdmissionOptions
}

// Validate checks the admission flags as AdmissionOptions.Validate does, and refuses to enable explicitly
// a plugin that cannot run without a cluster rather than silently not running it.
func (a standaloneAdmission) Validate() []error {
	errs := a.AdmissionOptions.Validate()
	registered := sets.New(a.Plugins.Registered()...)
	for _, name := range a.EnablePlugins {
		if registered.Has(name) && !slices.Contains(cnatAdmissionPlugins, name) {
			errs = append(errs, fmt.Errorf("enable-admission-plugins plugin %q needs a Kubernetes cluster "+
				"(--kubeconfig): standalone, only %s can run", name, strings.Join(cnatAdmissionPlugins, ", ")))
		}
	}
	return errs
}

// ApplyTo sets the server's admission chain: the enabled plugins of the server's own, in order.
func (a standaloneAdmission) ApplyTo(c *genericapiserver.Config, initializers ...admission.PluginInitializer) error {
	var names, needCluster []string
	for _, name := range enabledPluginNames(a.AdmissionOptions) {
		if slices.Contains(cnatAdmissionPlugins, name) {
			names = append(names, name)
		} else {
			needCluster = append(needCluster, name)
		}
	}
	if len(needCluster) > 0 {
		klog.Infof("Standalone: admission plugins that need a Kubernetes cluster are off: %s", strings.Join(needCluster, ", "))
	}

	configs, err := admission.ReadAdmissionConfiguration(names, a.ConfigFile, admissionConfigScheme)
	if err != nil {
		return fmt.Errorf("failed to read plugin config: %w", err)
	}
	// A configuration for a plugin that cannot run here (ResourceQuota's limitedResources, say) would be a
	// policy the admin believes in and nothing enforces: refuse it, as Validate refuses enabling the plugin.
	for _, name := range a.Plugins.Registered() {
		if slices.Contains(cnatAdmissionPlugins, name) {
			continue
		}
		if config, err := configs.ConfigFor(name); config != nil || err != nil {
			return fmt.Errorf("admission-control-config-file %s configures plugin %q, which needs a Kubernetes cluster "+
				"(--kubeconfig): standalone, only %s can run", a.ConfigFile, name, strings.Join(cnatAdmissionPlugins, ", "))
		}
	}
	chain, err := a.Plugins.NewFromPlugins(names, configs, admission.PluginInitializers(initializers), a.Decorators)
	if err != nil {
		return err
	}
	c.AdmissionControl = admissionmetrics.WithStepMetrics(chain)
	return nil
}

// enabledPluginNames is the recommended order less the plugins that are off, by default or by
// --disable-admission-plugins, unless --enable-admission-plugins turns them on: what AdmissionOptions
// computes for itself, unexported.
func enabledPluginNames(a *genericoptions.AdmissionOptions) []string {
	off := sets.New(a.DisablePlugins...).Union(a.DefaultOffPlugins).Difference(sets.New(a.EnablePlugins...))
	var names []string
	for _, name := range a.RecommendedPluginOrder {
		if !off.Has(name) {
			names = append(names, name)
		}
	}
	return names
}
