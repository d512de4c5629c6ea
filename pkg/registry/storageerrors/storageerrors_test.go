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
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/storage"
)

var ats = schema.GroupResource{Group: "cnat.programming-kubernetes.info", Resource: "ats"}

func TestInterpret(t *testing.T) {
	for name, tc := range map[string]struct {
		err        error
		wantCode   int32
		retryAfter int32
		reason     string // in the message
	}{
		"member gone mid-request": {status.Error(codes.Unavailable, "error reading from server: EOF"),
			http.StatusServiceUnavailable, 1, "error reading from server: EOF"},
		"no leader":          {rpctypes.ErrNoLeader, http.StatusServiceUnavailable, 1, "etcdserver: no leader"},
		"no endpoint":        {clientv3.ErrNoAvailableEndpoints, http.StatusServiceUnavailable, 1, "no endpoint is reachable"},
		"too many":           {rpctypes.ErrTooManyRequests, http.StatusServiceUnavailable, 1, "too many requests"},
		"proposal timed out": {rpctypes.ErrTimeout, http.StatusGatewayTimeout, 2, "etcdserver: request timed out"},
		"timed out, leader failed": {rpctypes.ErrTimeoutDueToLeaderFail, http.StatusGatewayTimeout, 2,
			"possibly due to previous leader failure"},
		"deadline":         {context.DeadlineExceeded, http.StatusGatewayTimeout, 2, "deadline exceeded"},
		"wrapped deadline": {fmt.Errorf("list: %w", context.DeadlineExceeded), http.StatusGatewayTimeout, 2, "deadline exceeded"},
		"grpc deadline":    {status.Error(codes.DeadlineExceeded, "context deadline exceeded"), http.StatusGatewayTimeout, 2, "deadline"},
	} {
		t.Run(name, func(t *testing.T) {
			err := Interpret(tc.err, ats, "create")
			var apiStatus apierrors.APIStatus
			if !errors.As(err, &apiStatus) {
				t.Fatalf("Interpret(%v) = %v, want an API status", tc.err, err)
			}
			s := apiStatus.Status()
			if s.Code != tc.wantCode {
				t.Errorf("code %d, want %d", s.Code, tc.wantCode)
			}
			if s.Details == nil || s.Details.RetryAfterSeconds != tc.retryAfter {
				t.Errorf("details %+v, want RetryAfterSeconds %d", s.Details, tc.retryAfter)
			}
			if !strings.Contains(s.Message, "storage (etcd)") || !strings.Contains(s.Message, tc.reason) {
				t.Errorf("message %q, want it to name the storage and say %q", s.Message, tc.reason)
			}
			if strings.Contains(s.Message, "rpc error") {
				t.Errorf("message %q carries gRPC text", s.Message)
			}
		})
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
