package at

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/registry/storageerrors"
)

// REST serves the ats resource.
type REST struct {
	*genericregistry.Store
}

// StatusREST serves ats/status from the same store, with the status strategy.
type StatusREST struct {
	store *genericregistry.Store
}

// NewStorage returns the storage of ats and ats/status: one etcd store (one watch cache, one etcd watch) that
// every served version shares.
func NewStorage(scheme *runtime.Scheme, optsGetter generic.RESTOptionsGetter) (*REST, *StatusREST, error) {
	strategy := NewStrategy(scheme)
	statusStrategy := NewStatusStrategy(strategy)

	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &cnat.At{} },
		NewListFunc:               func() runtime.Object { return &cnat.AtList{} },
		PredicateFunc:             Match,
		DefaultQualifiedResource:  cnat.Resource("ats"),
		SingularQualifiedResource: cnat.Resource("at"),

		CreateStrategy:      strategy,
		UpdateStrategy:      strategy,
		DeleteStrategy:      strategy,
		ResetFieldsStrategy: strategy,

		TableConvertor: tableConvertor{},
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: GetAttrs}); err != nil {
		return nil, nil, err
	}
	// etcd's errors are answered as what they ask of the client — retry (503/504 with Retry-After), make the
	// object smaller (413) — or as an operator's matter, instead of a 500 carrying gRPC text.
	store.Storage.Storage = storageerrors.Wrap(store.Storage.Storage, store.Storage.Codec, store.DefaultQualifiedResource)

	statusStore := *store
	statusStore.UpdateStrategy = statusStrategy
	statusStore.ResetFieldsStrategy = statusStrategy
	return &REST{store}, &StatusREST{store: &statusStore}, nil
}

// New returns an empty At.
func (r *StatusREST) New() runtime.Object { return &cnat.At{} }

// Destroy does nothing: the store it shares with REST is destroyed there.
func (r *StatusREST) Destroy() {}

// Get returns an At, so that kubectl can read ats/status.
func (r *StatusREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update writes the status of an At.
func (r *StatusREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	// Subresources never create their parent.
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

// GetResetFields returns the fields a status write resets.
func (r *StatusREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}

// ConvertToTable renders the At as kubectl get shows it.
func (r *StatusREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return r.store.ConvertToTable(ctx, object, tableOptions)
}

var (
	_ rest.Patcher              = &StatusREST{}
	_ rest.ResetFieldsStrategy  = &StatusREST{}
	_ rest.SingularNameProvider = &REST{}
)

// VersionView is the ats storage as one served version sees it. Every version serves the same store, and
// k8s.io/apiserver destroys the storage of a version it stops serving (not yet introduced, or removed, at the
// emulated release): that must not stop the store the other versions serve. The server destroys the store
// itself, once, when it shuts down.
type VersionView struct {
	*REST
}

// Destroy does nothing: the store is the server's to destroy.
func (VersionView) Destroy() {}
