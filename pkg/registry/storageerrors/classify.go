package storageerrors

import (
	"context"
	"errors"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// class is what an etcd error means to the client.
type class int

const (
	notRecognized class = iota
	unavailable
	timedOut
	// tooLargeForEtcd: etcd refused the request, over its --max-request-bytes.
	tooLargeForEtcd
	// tooLargeForGRPC: the etcd client refused to send it, over gRPC's send limit.
	tooLargeForGRPC
	outOfSpace
	credentialsRefused
	compacted
)

// grpcSendLimitExceeded is how gRPC says a message is over the client's send limit (status ResourceExhausted,
// which an overloaded etcd answers too).
const grpcSendLimitExceeded = "trying to send message larger than max"

// raftProposalDropped is how etcd answers a write its leader dropped without appending it to its log while
// it hands leadership over (etcdctl move-leader, a leader stepping down): raft's ErrProposalDropped, which
// etcd passes on as gRPC code Unknown. Nothing was written: the write can be retried.
const raftProposalDropped = "raft proposal dropped"

// classify tells what err means and why, in etcd's words without the gRPC wrapping.
func classify(err error) (class, string) {
	if errors.Is(err, context.DeadlineExceeded) {
		return timedOut, "deadline exceeded"
	}
	if errors.Is(err, clientv3.ErrNoAvailableEndpoints) {
		return unavailable, "no endpoint is reachable"
	}
	code, desc, ok := codeAndMessage(err)
	if !ok {
		return notRecognized, ""
	}
	switch {
	case code == codes.DeadlineExceeded:
		return timedOut, desc
	case code == codes.Unavailable && strings.HasPrefix(desc, "etcdserver: request timed out"):
		// The write was proposed and may yet be committed.
		return timedOut, desc
	case code == codes.Unavailable:
		return unavailable, desc
	case code == codes.Unknown && desc == raftProposalDropped:
		return unavailable, desc
	case desc == rpctypes.ErrRequestTooLarge.Error():
		return tooLargeForEtcd, desc
	case code == codes.ResourceExhausted && strings.Contains(desc, grpcSendLimitExceeded):
		return tooLargeForGRPC, desc
	case desc == rpctypes.ErrNoSpace.Error():
		return outOfSpace, desc
	case code == codes.ResourceExhausted:
		// "etcdserver: too many requests": etcd applies entries slower than it commits them, for now.
		return unavailable, desc
	case code == codes.PermissionDenied, code == codes.Unauthenticated, desc == rpctypes.ErrUserEmpty.Error(),
		desc == rpctypes.ErrAuthFailed.Error():
		// etcd's authentication is on and the server's user (its client certificate's CN) has no role that
		// allows the request, or the server sends no user at all.
		return credentialsRefused, desc
	case desc == rpctypes.ErrCompacted.Error():
		return compacted, desc
	}
	return notRecognized, ""
}

// codeAndMessage returns the gRPC code and message of an etcd error (etcd's client turns the ones etcd
// knows into rpctypes.EtcdError, others stay gRPC status errors).
func codeAndMessage(err error) (codes.Code, string, bool) {
	var etcdErr rpctypes.EtcdError
	if errors.As(err, &etcdErr) {
		return etcdErr.Code(), etcdErr.Error(), true
	}
	if st, ok := status.FromError(err); ok {
		return st.Code(), st.Message(), true
	}
	return codes.Unknown, "", false
}
