package storageerrors

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/storage"
)

const (
	// unavailableRetryAfterSeconds: etcd elects a new leader within a few hundred milliseconds on loopback and
	// about two seconds by default elsewhere; a client asked to come back after a second tries a few times.
	unavailableRetryAfterSeconds = 1
	// timeoutRetryAfterSeconds matches what k8s.io/apiserver tells clients on a storage timeout.
	timeoutRetryAfterSeconds = 2
)

// Interpret translates an etcd error into the answer it means to the client (the table "Which etcd error
// becomes which answer" in docs/operations.md):
//   - unreachable, leaderless or overloaded etcd: 503 with Retry-After; timed out: 504 with Retry-After;
//   - a request over etcd's size limit: 413 RequestEntityTooLarge, which no retry can fix;
//   - etcd's database full: 507 InternalError without Retry-After, until an operator frees space;
//   - etcd refusing the server's credentials: 500 InternalError naming them, without Retry-After;
//   - a revision etcd compacted away: 410 Expired.
//
// Errors that are already API errors or storage errors the registry interprets, and a cancelled request,
// pass unchanged; so does any error it does not recognize (the endpoint answers it 500).
//
// A timed-out write (504) may still be applied once etcd recovers: clients that retry a create see 409
// AlreadyExists then, as after any timeout of a Kubernetes API.
func Interpret(err error, resource schema.GroupResource, verb string) error {
	return interpret(err, resource, verb, func() int { return -1 })
}

// interpret is Interpret for a write whose object encodes to encodedSize() bytes (-1 when unknown).
func interpret(err error, resource schema.GroupResource, verb string, encodedSize func() int) error {
	if err == nil {
		return nil
	}
	var apiStatus apierrors.APIStatus
	var storageErr *storage.StorageError
	if errors.As(err, &apiStatus) || errors.As(err, &storageErr) || errors.Is(err, context.Canceled) {
		return err
	}
	meaning, reason := classify(err)
	switch meaning {
	case timedOut:
		// 504, Reason Timeout: what k8s.io/apiserver answers for a request that ran out of time.
		return apierrors.NewTimeoutError(fmt.Sprintf("storage (etcd) did not answer in time: %s; %s %s may or may not have been applied",
			reason, verb, resource.String()), timeoutRetryAfterSeconds)
	case unavailable:
		unavailable := apierrors.NewServiceUnavailable(fmt.Sprintf("storage (etcd) is unavailable: %s", reason))
		unavailable.ErrStatus.Details = details(resource, unavailableRetryAfterSeconds)
		return unavailable
	case tooLargeForEtcd, tooLargeForGRPC:
		return newTooLargeError(err, meaning, resource, encodedSize())
	case outOfSpace:
		// 507 says what happened; its Reason InternalError, no Retry-After, makes clients treat it as the
		// 500 kube-apiserver answers: an error they cannot fix and should not retry.
		return &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusInsufficientStorage, Reason: metav1.StatusReasonInternalError,
			Message: fmt.Sprintf("storage (etcd) is out of space (%s): etcd refuses writes until an operator "+
				"compacts and defragments it and disarms its NOSPACE alarm", reason),
			Details: details(resource, 0),
		}}
	case credentialsRefused:
		return apierrors.NewInternalError(fmt.Errorf("storage (etcd) refused cnat-apiserver's credentials (%s): an operator "+
			"must check the etcd client certificate and CA (--etcd-certfile, --etcd-keyfile, --etcd-cafile) and etcd's "+
			"users and roles", reason))
	case compacted:
		return apierrors.NewResourceExpired(fmt.Sprintf("the revision asked for is no longer in storage (%s); %s again "+
			"without a resourceVersion", reason, verb))
	}
	return err
}

func details(resource schema.GroupResource, retryAfterSeconds int32) *metav1.StatusDetails {
	return &metav1.StatusDetails{Group: resource.Group, Kind: resource.Resource, RetryAfterSeconds: retryAfterSeconds}
}
