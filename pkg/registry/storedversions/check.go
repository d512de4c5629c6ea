// Package storedversions refuses to serve a resource whose objects in etcd are stored in a version the server
// does not serve.
//
// A server decodes what etcd holds with its own scheme. After an upgrade moved the storage version forward, an
// older release rolled back to meets objects in a version it does not know: every list, watch and read of
// them would fail at request time (a 500, a watch cache that never fills). The same holds after a version's
// removal for objects nobody migrated. Kubernetes keeps CRDs safe from this with status.storedVersions; cnat
// keeps no such record that a migration or a restore could leave stale, it reads what etcd actually holds:
// before the server serves anything (its port is already bound, nothing is answered), every stored object's
// apiVersion (the type header only, after decryption) is checked against the versions it serves at its
// emulated release, and the server refuses to start, naming the version it cannot read, instead of failing
// its clients later.
package storedversions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage/value"
	"k8s.io/klog/v2"
)

// pageSize is how many values one etcd range read returns when etcd cannot stream (before 3.7): as many as
// the watch cache's own initial list reads per page (k8s.io/apiserver's storageWatchListPageSize). Every
// range read with a limit makes etcd count the keys from the page's start to the end of the resource, so
// pages cost a count of up to every At each: a million Ats took 136 s in pages of 1,000, 11 s in pages of
// 10,000 and 4.6 s streamed (BenchmarkTakePages, small values, one run). A page of 10,000 values is a few MiB,
// far below the gRPC message limits of etcd's client (2 GiB). A variable for the tests.
var pageSize int64 = 10000

// Resource is what to check: where a resource's objects are in etcd, how to read them, and which versions
// the server serves.
type Resource struct {
	GroupResource schema.GroupResource
	// Options are the resource's storage options, as the server's store uses them (prefix, transport,
	// encryption transformer).
	Options generic.RESTOptions
	// Served are the versions the server serves at its emulated release, in priority order.
	Served []string
	// Decoder reads a stored value's type header; it must recognize every encoding the storage may hold
	// (protobuf, JSON, YAML).
	Decoder runtime.Decoder
	// Release names the server in the message, e.g. "cnat 1.0".
	Release string
}

// Census is what etcd holds, by stored apiVersion.
type Census struct {
	// Count is the number of objects in each stored version (group/version).
	Count map[string]int
	// Example is one key per stored version.
	Example map[string]string
}

// Check reads every stored object of the resource and returns an error naming each stored version the
// server does not serve. It waits for etcd while etcd cannot be reached (logging why), until ctx is done.
func Check(ctx context.Context, r Resource) error {
	var census Census
	err := wait.PollUntilContextCancel(ctx, 2*time.Second, true, func(ctx context.Context) (bool, error) {
		var err error
		census, err = Take(ctx, r)
		if err == nil {
			return true, nil
		}
		var unreadable *unreadableError
		if errors.As(err, &unreadable) {
			return false, err
		}
		klog.InfoS("Waiting for etcd to check the stored versions", "resource", r.GroupResource, "err", err)
		return false, nil
	})
	if err != nil {
		return err
	}
	return census.Verify(r)
}

// Verify returns an error naming each stored version of census that the server does not serve.
func (c Census) Verify(r Resource) error {
	var unserved []string
	for gv := range c.Count {
		version, _ := strings.CutPrefix(gv, r.GroupResource.Group+"/")
		if !slices.Contains(r.Served, version) {
			unserved = append(unserved, gv)
		}
	}
	if len(unserved) == 0 {
		klog.InfoS("Stored versions checked", "resource", r.GroupResource, "stored", c.Count, "served", r.Served)
		return nil
	}
	sort.Strings(unserved)
	var b strings.Builder
	fmt.Fprintf(&b, "%s cannot serve %s: etcd holds", r.Release, r.GroupResource)
	for i, gv := range unserved {
		if i > 0 {
			b.WriteString(" and")
		}
		fmt.Fprintf(&b, " %d stored as %s (e.g. %s)", c.Count[gv], gv, c.Example[gv])
	}
	fmt.Fprintf(&b, ", a version it does not serve (it serves %s). Reading them would fail every request that "+
		"meets them. Run a release that serves %s, migrate the objects to a version this one serves "+
		"(docs/versions.md), or restore etcd from a snapshot taken before the upgrade",
		strings.Join(r.Served, ", "), strings.Join(unserved, ", "))
	return errors.New(b.String())
}

// Take reads every stored object of the resource at one etcd revision and counts them by stored version.
func Take(ctx context.Context, r Resource) (Census, error) {
	sc := r.Options.StorageConfig
	client, err := newClient(ctx, sc.Transport.ServerList, sc.Transport.CertFile, sc.Transport.KeyFile, sc.Transport.TrustedCAFile)
	if err != nil {
		return Census{}, err
	}
	defer func() { _ = client.Close() }()

	// The keys the store writes: /<prefix>/<resource prefix>/<namespace>/<name>.
	prefix := path.Join("/", sc.Prefix, r.Options.ResourcePrefix) + "/"
	census := Census{Count: map[string]int{}, Example: map[string]string{}}
	count := func(kvs []*mvccpb.KeyValue) error {
		for _, kv := range kvs {
			gv, err := storedVersion(ctx, r, kv.Key, kv.Value)
			if err != nil {
				return &unreadableError{key: string(kv.Key), err: err}
			}
			if census.Count[gv]++; census.Count[gv] == 1 {
				census.Example[gv] = string(kv.Key)
			}
		}
		return nil
	}
	if streamed {
		err = stream(ctx, client, prefix, count)
		if status.Code(err) != codes.Unimplemented {
			return census, err
		}
		// An etcd before 3.7 has no RangeStream: pages, as before it.
		klog.InfoS("etcd does not stream ranges, reading the stored versions in pages", "resource", r.GroupResource)
		census = Census{Count: map[string]int{}, Example: map[string]string{}}
	}
	return census, pages(ctx, client, prefix, count)
}

// streamed: read with etcd's RangeStream (3.7) rather than in pages. A variable for the tests, which check
// both ways.
var streamed = true

// stream reads every value under prefix with one RangeStream: etcd sends it in chunks at one revision and,
// unlike a range read with a limit, does not count the keys left after each chunk, so a million objects
// cost one pass instead of a count per page (O(n²/pageSize)).
func stream(ctx context.Context, client *clientv3.Client, prefix string, each func([]*mvccpb.KeyValue) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream early when each fails
	chunks, err := client.GetStream(ctx, prefix, clientv3.WithRange(clientv3.GetPrefixRangeEnd(prefix)))
	if err != nil {
		return err
	}
	for chunk := range chunks {
		if err := chunk.Err(); err != nil {
			return err
		}
		if err := each(chunk.Kvs); err != nil {
			return err
		}
	}
	return nil
}

// pages reads every value under prefix in range reads of pageSize at the first page's revision.
func pages(ctx context.Context, client *clientv3.Client, prefix string, each func([]*mvccpb.KeyValue) error) error {
	end := clientv3.GetPrefixRangeEnd(prefix)
	key, revision := prefix, int64(0)
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(pageSize)}
		if revision != 0 {
			opts = append(opts, clientv3.WithRev(revision))
		}
		resp, err := client.Get(ctx, key, opts...)
		if err != nil {
			return err
		}
		revision = resp.Header.Revision
		if err := each(resp.Kvs); err != nil {
			return err
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return nil
		}
		key = string(append(bytes.Clone(resp.Kvs[len(resp.Kvs)-1].Key), 0))
	}
}

// storedVersion decrypts a value as the store does (the key is the authenticated data) and returns the
// group/version of its type header, without decoding the object: the version may be one this server's
// scheme does not know.
func storedVersion(ctx context.Context, r Resource, key, stored []byte) (string, error) {
	data := stored
	if t := r.Options.StorageConfig.Transformer; t != nil {
		var err error
		if data, _, err = t.TransformFromStorage(ctx, stored, value.DefaultContext(key)); err != nil {
			return "", fmt.Errorf("decrypting: %w", err)
		}
	}
	var header runtime.Unknown
	_, gvk, err := r.Decoder.Decode(data, nil, &header)
	if err != nil {
		return "", err
	}
	if gvk == nil || gvk.Version == "" {
		return "", fmt.Errorf("no apiVersion in the stored value")
	}
	return gvk.GroupVersion().String(), nil
}

// unreadableError is a value the check cannot read at all: not a matter of waiting for etcd.
type unreadableError struct {
	key string
	err error
}

func (e *unreadableError) Error() string {
	return fmt.Sprintf("reading the stored version of %s: %v", e.key, e.err)
}

func (e *unreadableError) Unwrap() error { return e.err }
