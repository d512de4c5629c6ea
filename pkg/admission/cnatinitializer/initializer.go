// Package cnatinitializer hands cnat-apiserver's own admission plugins what they need from the server: the
// shared informer factory of the generated clientset, over the server's loopback connection.
package cnatinitializer

import (
	"k8s.io/apiserver/pkg/admission"

	informers "github.com/programming-kubernetes/cnat/pkg/generated/informers/externalversions"
)

type pluginInitializer struct {
	informers informers.SharedInformerFactory
}

// New returns an initializer that gives the factory to every plugin that implements
// WantsCnatInformerFactory.
func New(factory informers.SharedInformerFactory) admission.PluginInitializer {
	return pluginInitializer{informers: factory}
}

// Initialize hands the factory to the plugin if it wants it. It is called once per plugin, before the
// chain is built; plugins that do not want the factory are left alone.
func (i pluginInitializer) Initialize(plugin admission.Interface) {
	if wants, ok := plugin.(WantsCnatInformerFactory); ok {
		wants.SetCnatInformerFactory(i.informers)
	}
}
