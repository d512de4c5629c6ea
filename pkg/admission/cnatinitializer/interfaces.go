package cnatinitializer

import (
	"k8s.io/apiserver/pkg/admission"

	informers "github.com/programming-kubernetes/cnat/pkg/generated/informers/externalversions"
)

// WantsCnatInformerFactory is implemented by admission plugins that read cnat objects (Ats) from informers.
// The factory is shared by all plugins and started by the server after it starts serving; a plugin must
// request its informers in SetCnatInformerFactory (so that they are started) and wait for them to sync
// before it relies on them.
type WantsCnatInformerFactory interface {
	SetCnatInformerFactory(informers.SharedInformerFactory)
	admission.InitializationValidator
}
