// Package cnatinitializer hands admission plugins what they need from cnat-apiserver itself: its own plugins
// the shared informer factory of the generated clientset, over the server's loopback connection; and
// ResourceQuota (k8s.io/apiserver's) how the server's resources count against a quota, which kube-apiserver's
// initializer hands it there and the generic one does not.
package cnatinitializer

import (
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	quota "k8s.io/apiserver/pkg/quota/v1"

	informers "github.com/programming-kubernetes/cnat/pkg/generated/informers/externalversions"
)

type pluginInitializer struct {
	informers          informers.SharedInformerFactory
	quotaConfiguration quota.Configuration
}

// New returns an initializer that gives the factory to every plugin that implements WantsCnatInformerFactory
// and the server's quota configuration to every plugin that implements WantsQuotaConfiguration. It must run
// after the generic initializer: ResourceQuota builds its evaluator when it gets the configuration, from the
// drained notification that one hands it.
func New(factory informers.SharedInformerFactory) admission.PluginInitializer {
	return pluginInitializer{informers: factory, quotaConfiguration: quotaConfiguration()}
}

// Initialize hands the plugin what it wants. It is called once per plugin, before the chain is built;
// plugins that want neither are left alone.
func (i pluginInitializer) Initialize(plugin admission.Interface) {
	if wants, ok := plugin.(WantsCnatInformerFactory); ok {
		wants.SetCnatInformerFactory(i.informers)
	}
	if wants, ok := plugin.(initializer.WantsQuotaConfiguration); ok {
		wants.SetQuotaConfiguration(i.quotaConfiguration)
	}
}
