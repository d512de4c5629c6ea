package options

import (
	"fmt"

	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/resourcequota"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"

	"github.com/programming-kubernetes/cnat/pkg/admission/cnatinitializer"
	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	informers "github.com/programming-kubernetes/cnat/pkg/generated/informers/externalversions"
)

// cnatAdmissionPlugins are the server's own admission plugins, in the order they run after the generic
// ones. They need nothing but the server itself, so they run standalone too.
var cnatAdmissionPlugins = []string{atpolicy.PluginName}

// addAdmissionPlugins registers, enabled by default, the server's own admission plugins after the generic
// ones, and ResourceQuota last.
//
// Requests for an aggregated group never pass kube-apiserver's admission, so the server runs ResourceQuota
// itself, or quotas on count/ats.cnat.programming-kubernetes.info would be silently ignored. It runs last, as in
// kube-apiserver (after the webhooks and policies there, after AtPolicy here): a quota is charged only for a
// create every other plugin let through.
func addAdmissionPlugins(a *genericoptions.AdmissionOptions) {
	atpolicy.Register(a.Plugins)
	resourcequota.Register(a.Plugins)
	a.RecommendedPluginOrder = append(a.RecommendedPluginOrder, cnatAdmissionPlugins...)
	a.RecommendedPluginOrder = append(a.RecommendedPluginOrder, resourcequota.PluginName)
}

// cnatAdmissionInitializers gives the server's own plugins a shared informer factory of the generated
// clientset, over the server's loopback connection, and ResourceQuota how ats count. The factory starts once
// the server serves (a post-start hook): the informers list and watch this very server.
func cnatAdmissionInitializers(c *genericapiserver.RecommendedConfig) ([]admission.PluginInitializer, error) {
	// Without a secure port there is no loopback connection; Validate refuses --secure-port 0, and a server
	// built otherwise gets an error here rather than a nil dereference.
	if c.LoopbackClientConfig == nil {
		return nil, fmt.Errorf("admission: the cnat plugins need the server's loopback connection, which only a secure port (--secure-port) gives")
	}
	// The loopback connection speaks protobuf, which the server serves for Ats.
	client, err := versioned.NewForConfig(c.LoopbackClientConfig)
	if err != nil {
		return nil, fmt.Errorf("admission: cnat client over the loopback connection: %w", err)
	}
	// No resync: the plugins only read the caches; a resync would replay them to event handlers nobody has.
	factory := informers.NewSharedInformerFactory(client, 0)
	err = c.AddPostStartHook("start-cnat-admission-informers", func(hook genericapiserver.PostStartHookContext) error {
		factory.Start(hook.Done())
		// The hook (and so /readyz) completes once the caches are synced: until then the plugins that read
		// them refuse the requests they would count.
		factory.WaitForCacheSync(hook.Done())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return []admission.PluginInitializer{cnatinitializer.New(factory)}, nil
}
