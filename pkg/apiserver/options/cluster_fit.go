package options

import (
	"context"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"github.com/programming-kubernetes/cnat/pkg/apiserver/clusteraccess"
)

// How long the server waits at start for the cluster to answer discovery before it gives up.
const (
	discoveryRetryInterval = 2 * time.Second
	discoveryTimeout       = time.Minute
)

// aggregatedAdmissionInitializers fits the admission plugins to the cluster, then gives the server's own
// plugins their initializers. It runs as RecommendedOptions.ExtraAdmissionInitializers, which RecommendedOptions
// calls after it made the cluster's client and before it builds the admission chain: the one moment the
// plugins can still be turned off.
func (o *Options) aggregatedAdmissionInitializers(ctx context.Context) func(*genericapiserver.RecommendedConfig) ([]admission.PluginInitializer, error) {
	return func(c *genericapiserver.RecommendedConfig) ([]admission.PluginInitializer, error) {
		if c.ClientConfig != nil {
			client, err := kubernetes.NewForConfig(c.ClientConfig)
			if err != nil {
				return nil, fmt.Errorf("client of the cluster: %w", err)
			}
			if err := o.fitToCluster(ctx, c, client); err != nil {
				return nil, err
			}
		}
		return cnatAdmissionInitializers(c)
	}
}

// fitToCluster turns off, with one log line each, the admission plugins enabled by default whose API the
// cluster does not serve (no object of that kind can exist there, so nothing is bypassed), and sets up the
// review of every permission the remaining plugins and the delegated authentication and authorization need:
// /readyz/cluster-permissions, and writes refused with the reason while one is missing.
//
// A plugin enabled with --enable-admission-plugins stays on whatever the cluster serves: the operator asked
// for it, and /readyz then says which API it lacks.
func (o *Options) fitToCluster(ctx context.Context, c *genericapiserver.RecommendedConfig, client kubernetes.Interface) error {
	a := o.RecommendedOptions.Admission
	var needs []clusteraccess.Need
	for _, name := range enabledPluginNames(a) {
		needs = append(needs, clusteraccess.PluginNeeds[name]...)
	}
	unserved, err := clusteraccess.UnservedWithRetry(ctx, client.Discovery(), needs, discoveryRetryInterval, discoveryTimeout)
	if err != nil {
		return err
	}
	explicit := sets.New(a.EnablePlugins...)
	var unservedExplicit []clusteraccess.Need
	off := map[string][]string{}
	for _, n := range unserved {
		if explicit.Has(n.User) {
			unservedExplicit = append(unservedExplicit, n)
			continue
		}
		if res := n.APIResource(); !slices.Contains(off[n.User], res) {
			off[n.User] = append(off[n.User], res)
		}
	}
	for name, resources := range off {
		a.DefaultOffPlugins.Insert(name)
		klog.InfoS("Admission plugin is off: the cluster does not serve the API it reads, so no object of that kind can exist there",
			"plugin", name, "missing", resources)
	}
	for _, n := range unservedExplicit {
		klog.ErrorS(nil, "Admission plugin enabled by --enable-admission-plugins needs an API the cluster does not serve; writes are refused until it is turned off",
			"plugin", n.User, "missing", n.APIResource())
	}

	// The permissions of the plugins that stay on.
	kept := slices.DeleteFunc(needs, func(n clusteraccess.Need) bool {
		_, isOff := off[n.User]
		return isOff
	})
	if ro := o.RecommendedOptions; ro.Authentication != nil && !ro.Authentication.SkipInClusterLookup {
		kept = append(kept, clusteraccess.DelegationNeeds()...)
	}
	if o.RecommendedOptions.Features.EnablePriorityAndFairness {
		kept = append(kept, clusteraccess.PriorityAndFairnessNeeds()...)
	}
	o.clusterAccess = clusteraccess.NewChecker(client, kept, unservedExplicit)
	c.AddReadyzChecks(o.clusterAccess)
	return c.AddPostStartHook("cnat-review-cluster-permissions", func(hook genericapiserver.PostStartHookContext) error {
		go o.clusterAccess.Run(hook)
		return nil
	})
}
