package storageerrors

import (
	"fmt"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// tooLargeError is etcd's refusal of an object too large to store, answered 413 RequestEntityTooLarge.
//
// It is still etcd's error (its Error, Code and GRPCStatus are etcd's): k8s.io/apiserver's create, update
// and patch handlers recognize a too-large error by those and write the object once more without its
// managedFields, which may be what made it too large. Only if that fails too does the client get the 413.
type tooLargeError struct {
	etcdErr error
	status  metav1.Status
}

func newTooLargeError(etcdErr error, meaning class, resource schema.GroupResource, encodedSize int) *tooLargeError {
	limit := "etcd accepts at most --max-request-bytes in one request (1.5 MiB, 1572864 bytes, unless etcd's operator set another)"
	if meaning == tooLargeForGRPC {
		limit = "cnat-apiserver sends etcd at most 2 MiB (2097152 bytes) in one request"
	}
	message := "the object is too large to store: " + limit + "; it must be smaller"
	if encodedSize >= 0 {
		message = fmt.Sprintf("the object is too large to store: encoded for storage, it is %d bytes, and %s; it must be smaller", encodedSize, limit)
	}
	status := apierrors.NewRequestEntityTooLargeError(message).ErrStatus
	status.Details = details(resource, 0)
	return &tooLargeError{etcdErr: etcdErr, status: status}
}

func (e *tooLargeError) Error() string { return e.etcdErr.Error() }

func (e *tooLargeError) Unwrap() error { return e.etcdErr }

// Status is the 413 the client gets.
func (e *tooLargeError) Status() metav1.Status { return e.status }

// Code is etcd's gRPC code.
func (e *tooLargeError) Code() codes.Code {
	code, _, _ := codeAndMessage(e.etcdErr)
	return code
}

// GRPCStatus is the gRPC status etcd answered.
func (e *tooLargeError) GRPCStatus() *status.Status {
	if etcdErr, ok := e.etcdErr.(rpctypes.EtcdError); ok {
		return status.New(etcdErr.Code(), etcdErr.Error())
	}
	return status.Convert(e.etcdErr)
}
