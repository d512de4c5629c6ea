package storageerrors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/storage"
)

var ats = schema.GroupResource{Group: "cnat.programming-kubernetes.info", Resource: "ats"}

// answer is what a client gets for an etcd error.
type answer struct {
	code       int32
	reason     metav1.StatusReason
	retryAfter int32    // seconds; 0 is none
	message    []string // parts of the message
}

var (
	unavailableAnswer = func(why string) answer {
		return answer{http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, 1, []string{"storage (etcd) is unavailable", why}}
	}
	timeoutAnswer = func(why string) answer {
		return answer{http.StatusGatewayTimeout, metav1.StatusReasonTimeout, 2, []string{"storage (etcd) did not answer in time", why}}
	}
	tooLargeForEtcdAnswer = answer{http.StatusRequestEntityTooLarge, metav1.StatusReasonRequestEntityTooLarge, 0,
		[]string{"too large to store", "--max-request-bytes", "1.5 MiB", "must be smaller"}}
	tooLargeForGRPCAnswer = answer{http.StatusRequestEntityTooLarge, metav1.StatusReasonRequestEntityTooLarge, 0,
		[]string{"too large to store", "2 MiB", "must be smaller"}}
	outOfSpaceAnswer = answer{http.StatusInsufficientStorage, metav1.StatusReasonInternalError, 0,
		[]string{"storage (etcd) is out of space", "database space exceeded", "compacts and defragments", "NOSPACE alarm"}}
	credentialsAnswer = func(why string) answer {
		return answer{http.StatusInternalServerError, metav1.StatusReasonInternalError, 0,
			[]string{"storage (etcd) refused cnat-apiserver's credentials", why, "--etcd-certfile", "users and roles"}}
	}
	expiredAnswer = answer{http.StatusGone, metav1.StatusReasonExpired, 0, []string{"no longer in storage", "compacted"}}
)

// TestInterpret: each etcd error, as etcd's client returns it, becomes the answer in the table "Which etcd
// error becomes which answer" of docs/operations.md.
func TestInterpret(t *testing.T) {
	for name, tc := range map[string]struct {
		err  error
		want answer
	}{
		"member gone mid-request": {status.Error(codes.Unavailable, "error reading from server: EOF"), unavailableAnswer("error reading from server: EOF")},
		"no leader":               {rpctypes.ErrNoLeader, unavailableAnswer("etcdserver: no leader")},
		"leader changed":          {rpctypes.ErrLeaderChanged, unavailableAnswer("etcdserver: leader changed")},
		"no endpoint":             {clientv3.ErrNoAvailableEndpoints, unavailableAnswer("no endpoint is reachable")},
		"too many requests":       {rpctypes.ErrTooManyRequests, unavailableAnswer("etcdserver: too many requests")},
		"proposal dropped":        {status.Error(codes.Unknown, "raft proposal dropped"), unavailableAnswer("raft proposal dropped")},
		"proposal timed out":      {rpctypes.ErrTimeout, timeoutAnswer("etcdserver: request timed out")},
		"timed out, leader failed": {rpctypes.ErrTimeoutDueToLeaderFail,
			timeoutAnswer("possibly due to previous leader failure")},
		"deadline":                        {context.DeadlineExceeded, timeoutAnswer("deadline exceeded")},
		"wrapped deadline":                {fmt.Errorf("list: %w", context.DeadlineExceeded), timeoutAnswer("deadline exceeded")},
		"grpc deadline":                   {status.Error(codes.DeadlineExceeded, "context deadline exceeded"), timeoutAnswer("deadline")},
		"over etcd's --max-request-bytes": {rpctypes.ErrRequestTooLarge, tooLargeForEtcdAnswer},
		"over gRPC's send limit": {status.Error(codes.ResourceExhausted, "grpc: trying to send message larger than max (2097300 vs. 2097152)"),
			tooLargeForGRPCAnswer},
		"database full":         {rpctypes.ErrNoSpace, outOfSpaceAnswer},
		"permission denied":     {rpctypes.ErrPermissionDenied, credentialsAnswer("etcdserver: permission denied")},
		"no user":               {rpctypes.ErrUserEmpty, credentialsAnswer("etcdserver: user name is empty")},
		"invalid auth token":    {rpctypes.ErrInvalidAuthToken, credentialsAnswer("etcdserver: invalid auth token")},
		"authentication failed": {rpctypes.ErrAuthFailed, credentialsAnswer("etcdserver: authentication failed")},
		"compacted":             {rpctypes.ErrCompacted, expiredAnswer},
	} {
		t.Run(name, func(t *testing.T) {
			assertAnswer(t, Interpret(tc.err, ats, "create"), tc.want)
		})
	}
}

func assertAnswer(t *testing.T, err error, want answer) {
	t.Helper()
	var apiStatus apierrors.APIStatus
	if !errors.As(err, &apiStatus) {
		t.Fatalf("%v (%T), want an API status", err, err)
	}
	s := apiStatus.Status()
	if s.Code != want.code || s.Reason != want.reason {
		t.Errorf("%d %s, want %d %s", s.Code, s.Reason, want.code, want.reason)
	}
	var retryAfter int32
	if s.Details != nil {
		retryAfter = s.Details.RetryAfterSeconds
	}
	if retryAfter != want.retryAfter {
		t.Errorf("Retry-After %d, want %d", retryAfter, want.retryAfter)
	}
	for _, part := range want.message {
		if !strings.Contains(s.Message, part) {
			t.Errorf("message %q, want it to say %q", s.Message, part)
		}
	}
	if strings.Contains(s.Message, "rpc error") {
		t.Errorf("message %q carries gRPC text", s.Message)
	}
}

func TestInterpretLeavesOtherErrors(t *testing.T) {
	conflict := apierrors.NewConflict(ats, "x", errors.New("changed"))
	notFound := storage.NewKeyNotFoundError("/cnat/ats/x", 0)
	other := errors.New("something else")
	for _, err := range []error{nil, conflict, notFound, other, context.Canceled,
		status.Error(codes.InvalidArgument, "etcdserver: key is not provided")} {
		if got := Interpret(err, ats, "get"); got != err {
			t.Errorf("Interpret(%v) = %v, want it unchanged", err, got)
		}
	}
}

// TestTooLargeIsStillEtcdsError: k8s.io/apiserver's create, update and patch handlers write an object etcd
// refused as too large once more without its managedFields; they recognize the refusal by etcd's code and
// text (handlers.isTooLargeError, whose checks these are), so the 413 must keep them.
func TestTooLargeIsStillEtcdsError(t *testing.T) {
	type etcdError interface {
		Code() codes.Code
		Error() string
	}
	type grpcError interface{ GRPCStatus() *status.Status }
	recognized := func(err error) bool {
		if e, ok := err.(etcdError); ok && e.Code() == codes.InvalidArgument && e.Error() == "etcdserver: request is too large" {
			return true
		}
		e, ok := err.(grpcError)
		return ok && e.GRPCStatus().Code() == codes.ResourceExhausted &&
			strings.Contains(e.GRPCStatus().Message(), "trying to send message larger than max")
	}
	for _, etcdErr := range []error{rpctypes.ErrRequestTooLarge,
		status.Error(codes.ResourceExhausted, "grpc: trying to send message larger than max (2097300 vs. 2097152)")} {
		if !recognized(etcdErr) {
			t.Fatalf("the handlers' check does not recognize %v itself", etcdErr)
		}
		if err := Interpret(etcdErr, ats, "update"); !recognized(err) {
			t.Errorf("Interpret(%v) = %T %v, which the handlers do not recognize as too large", etcdErr, err, err)
		}
	}
}
