// Package storageerrors turns the errors etcd answers a request with into the Kubernetes answers that tell a
// client what to do: retry later (503/504 with Retry-After, for an unreachable, leaderless or overloaded
// etcd), make the object smaller (413, for an object over etcd's request limit), or nothing at all, because an
// operator has to act (507 for a full database, 500 naming etcd's credentials when etcd refuses the server).
//
// k8s.io/apiserver's registry passes an etcd client error it does not know through unchanged, and the
// endpoint answers it as a 500 carrying the gRPC text ("rpc error: code = Unavailable desc = error reading
// from server: EOF"). client-go and kubectl do not retry a 500 without Retry-After, so every request in
// flight while an etcd member restarts, or while etcd elects a leader, failed at the client. Answered as
// 503/504 with Retry-After they are retried by the client and, once etcd is back, succeed. The other way
// round, an object too large for etcd was answered 503 with Retry-After, and clients retried a request that
// can never succeed.
package storageerrors

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/storage"
)

// Wrap returns s with every etcd error translated (see Interpret). Other errors — conflicts, not found,
// validation — pass unchanged. codec is the one s stores objects with: it tells the encoded size of an object
// etcd refuses as too large.
func Wrap(s storage.Interface, codec runtime.Encoder, resource schema.GroupResource) storage.Interface {
	return &translating{Interface: s, codec: codec, resource: resource}
}

type translating struct {
	storage.Interface
	codec    runtime.Encoder
	resource schema.GroupResource
}

func (t *translating) Create(ctx context.Context, key string, obj, out runtime.Object, ttl uint64) error {
	err := t.Interface.Create(ctx, key, obj, out, ttl)
	return interpret(err, t.resource, "create", t.sizeOf(func() runtime.Object { return obj }))
}

func (t *translating) Delete(ctx context.Context, key string, out runtime.Object, preconditions *storage.Preconditions,
	validateDeletion storage.ValidateObjectFunc, cachedExistingObject runtime.Object, opts storage.DeleteOptions) error {
	return Interpret(t.Interface.Delete(ctx, key, out, preconditions, validateDeletion, cachedExistingObject, opts), t.resource, "delete")
}

func (t *translating) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	w, err := t.Interface.Watch(ctx, key, opts)
	return w, Interpret(err, t.resource, "watch")
}

func (t *translating) Get(ctx context.Context, key string, opts storage.GetOptions, objPtr runtime.Object) error {
	return Interpret(t.Interface.Get(ctx, key, opts, objPtr), t.resource, "get")
}

func (t *translating) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	return Interpret(t.Interface.GetList(ctx, key, opts, listObj), t.resource, "list")
}

func (t *translating) GuaranteedUpdate(ctx context.Context, key string, destination runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc, cachedExistingObject runtime.Object) error {
	// The object written is made inside the storage, by tryUpdate: remember the last one, in case etcd
	// refuses it as too large.
	var written runtime.Object
	remembering := func(input runtime.Object, res storage.ResponseMeta) (runtime.Object, *uint64, error) {
		out, ttl, err := tryUpdate(input, res)
		written = out
		return out, ttl, err
	}
	err := t.Interface.GuaranteedUpdate(ctx, key, destination, ignoreNotFound, preconditions, remembering, cachedExistingObject)
	return interpret(err, t.resource, "update", t.sizeOf(func() runtime.Object { return written }))
}

// sizeOf returns a function telling the size of obj() encoded for storage, or -1 if there is none or it does
// not encode. It is called only for an object etcd refused as too large, so that writes that succeed do not
// pay for a second encoding.
func (t *translating) sizeOf(obj func() runtime.Object) func() int {
	return func() int {
		o := obj()
		if o == nil || t.codec == nil {
			return -1
		}
		data, err := runtime.Encode(t.codec, o)
		if err != nil {
			return -1
		}
		return len(data)
	}
}
