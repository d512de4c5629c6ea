// Package storageerrors turns the errors of an unreachable or leaderless etcd into the Kubernetes answers
// clients retry: 503 Service Unavailable or 504 Gateway Timeout, with Retry-After.
//
// k8s.io/apiserver's registry passes an etcd client error it does not know through unchanged, and the
// endpoint answers it as a 500 carrying the gRPC text ("rpc error: code = Unavailable desc = error reading
// from server: EOF"). client-go and kubectl do not retry a 500 without Retry-After, so every request in
// flight while an etcd member restarts, or while etcd elects a leader, failed at the client. Answered as
// 503/504 with Retry-After they are retried by the client and, once etcd is back, succeed.
package storageerrors

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/storage"
)

const (
	// unavailableRetryAfterSeconds: etcd elects a new leader within a few hundred milliseconds on loopback and
	// about two seconds by default elsewhere; a client asked to come back after a second tries a few times.
	unavailableRetryAfterSeconds = 1
	// timeoutRetryAfterSeconds matches what k8s.io/apiserver tells clients on a storage timeout.
	timeoutRetryAfterSeconds = 2
)

// Wrap returns s with every error of an unavailable etcd translated (see Interpret). Other errors —
// conflicts, not found, validation — pass unchanged.
func Wrap(s storage.Interface, resource schema.GroupResource) storage.Interface {
	return &translating{Interface: s, resource: resource}
}

type translating struct {
	storage.Interface
	resource schema.GroupResource
}

func (t *translating) Create(ctx context.Context, key string, obj, out runtime.Object, ttl uint64) error {
	return Interpret(t.Interface.Create(ctx, key, obj, out, ttl), t.resource, "create")
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
	return Interpret(t.Interface.GuaranteedUpdate(ctx, key, destination, ignoreNotFound, preconditions, tryUpdate, cachedExistingObject),
		t.resource, "update")
}

// Interpret translates an error of etcd being unreachable, leaderless or too slow into a 503 or 504 Status
// with Retry-After that names the storage. Errors that are already API errors or storage errors the registry
// interprets, and a cancelled request, pass unchanged; so does any error it does not recognize.
//
// A timed-out write (504) may still be applied once etcd recovers: clients that retry a create see 409
// AlreadyExists then, as after any timeout of a Kubernetes API.
func Interpret(err error, resource schema.GroupResource, verb string) error {
	if err == nil {
		return nil
	}
	var apiStatus apierrors.APIStatus
	var storageErr *storage.StorageError
	if errors.As(err, &apiStatus) || errors.As(err, &storageErr) || errors.Is(err, context.Canceled) {
		return err
	}
	switch reason, timedOut, ok := classify(err); {
	case !ok:
		return err
	case timedOut:
		// 504, Reason Timeout: what k8s.io/apiserver answers for a request that ran out of time.
		return apierrors.NewTimeoutError(fmt.Sprintf("storage (etcd) did not answer in time: %s; %s %s may or may not have been applied",
			reason, verb, resource.String()), timeoutRetryAfterSeconds)
	default:
		unavailable := apierrors.NewServiceUnavailable(fmt.Sprintf("storage (etcd) is unavailable: %s", reason))
		unavailable.ErrStatus.Details = &metav1.StatusDetails{Group: resource.Group, Kind: resource.Resource,
			RetryAfterSeconds: unavailableRetryAfterSeconds}
		return unavailable
	}
}

// classify tells whether err says etcd is unavailable (or timed out) and why, in etcd's words without the
// gRPC wrapping.
func classify(err error) (reason string, timedOut, ok bool) {
	if errors.Is(err, context.DeadlineExceeded) {
		return "deadline exceeded", true, true
	}
	if errors.Is(err, clientv3.ErrNoAvailableEndpoints) {
		return "no endpoint is reachable", false, true
	}
	var code codes.Code
	var desc string
	var etcdErr rpctypes.EtcdError
	if errors.As(err, &etcdErr) {
		code, desc = etcdErr.Code(), etcdErr.Error()
	} else if st, isStatus := status.FromError(err); isStatus {
		code, desc = st.Code(), st.Message()
	} else {
		return "", false, false
	}
	switch code {
	case codes.DeadlineExceeded:
		return desc, true, true
	case codes.Unavailable:
		// "etcdserver: request timed out…": the write was proposed and may yet be committed.
		return desc, strings.HasPrefix(desc, "etcdserver: request timed out"), true
	case codes.ResourceExhausted:
		// Too many requests, or the NOSPACE alarm (which an operator has to clear).
		return desc, false, true
	}
	return "", false, false
}
