// Package etcdload writes many objects straight into an API server's etcd, in the encoding the server itself
// writes, for benchmarks that need more objects than the API creates in the time they have (a million Ats
// through the aggregator take an hour on two cores). It never invents an encoding: each loader starts from a
// template, an object the server created through its API and stored itself, decodes it with the server's own
// codec, changes only what differs from one object to the next (name, uid, creation time, the argument that
// numbers the command) and encodes it with the same codec. A loader refuses a template that its codec does
// not write back byte for byte.
package etcdload

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strconv"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apiserver"
	"github.com/programming-kubernetes/cnat/test/internal/storagemigration"
)

// Object is what a loader changes in the template for object i.
type Object struct {
	Name    string
	UID     types.UID
	Created metav1.Time
	// Arg is the command's last argument (the At's number).
	Arg string
}

// ObjectFor is object i, created at created.
func ObjectFor(name string, i int, created metav1.Time) Object {
	return Object{Name: name, UID: uuid.NewUUID(), Created: created, Arg: strconv.Itoa(i)}
}

// Encoder encodes object i of a loader as the server stores it.
type Encoder interface {
	Encode(o Object) ([]byte, error)
}

// Cnat is cnat-apiserver's storage codec (k8s.io/apiserver's storage codec over cnat's scheme, as
// pkg/apiserver/options builds it) in the media type and version of the template, with the template At.
type Cnat struct {
	codec    runtime.Codec
	template *cnat.At
}

// NewCnat reads a stored At (the value of its key in etcd, as cnat-apiserver wrote it) and returns the encoder
// of Ats like it.
func NewCnat(stored []byte) (*Cnat, error) {
	mediaType, apiVersion, _, err := storagemigration.TypeOf(stored)
	if err != nil {
		return nil, err
	}
	version, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, err
	}
	codec, _, err := serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
		StorageMediaType:  mediaType,
		StorageSerializer: apiserver.Codecs,
		StorageVersion:    version,
		MemoryVersion:     cnat.SchemeGroupVersion,
		Config:            storagebackend.Config{},
	})
	if err != nil {
		return nil, err
	}
	obj, err := runtime.Decode(codec, stored)
	if err != nil {
		return nil, fmt.Errorf("decoding the template: %w", err)
	}
	template, ok := obj.(*cnat.At)
	if !ok {
		return nil, fmt.Errorf("the template is a %T, not an At", obj)
	}
	// The codec must write the server's bytes: the template, encoded again, is what the server stored.
	if err := writesBack(codec, template.DeepCopy(), stored, "cnat-apiserver"); err != nil {
		return nil, err
	}
	return &Cnat{codec: codec, template: template}, nil
}

// writesBack fails unless encoder writes obj, decoded from what server stored, back to the same bytes.
func writesBack(encoder runtime.Encoder, obj runtime.Object, stored []byte, server string) error {
	again, err := runtime.Encode(encoder, obj)
	if err != nil {
		return err
	}
	if !bytes.Equal(again, stored) {
		return fmt.Errorf("the encoder does not write the template back as %s stored it (%d bytes, not %d)", server, len(again), len(stored))
	}
	return nil
}

// Encode is the template with o's name, uid, creation time (also its managed fields' time) and argument.
func (c *Cnat) Encode(o Object) ([]byte, error) {
	at := c.template.DeepCopy()
	at.Name, at.UID, at.CreationTimestamp = o.Name, o.UID, o.Created
	for i := range at.ManagedFields {
		at.ManagedFields[i].Time = &o.Created
	}
	if n := len(at.Spec.Command); n > 0 {
		at.Spec.Command[n-1] = o.Arg
	}
	return runtime.Encode(c.codec, at)
}

// CRD is kube-apiserver's storage of a custom resource: the object as JSON (k8s.io/apimachinery's
// unstructured JSON scheme, which kube-apiserver's storage codec for custom resources uses), with the
// template object.
type CRD struct {
	template *unstructured.Unstructured
}

// NewCRD reads a stored custom resource (its value in etcd, as kube-apiserver wrote it) and returns the
// encoder of objects like it.
func NewCRD(stored []byte) (*CRD, error) {
	obj, _, err := unstructured.UnstructuredJSONScheme.Decode(stored, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("decoding the template: %w", err)
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("the template is a %T", obj)
	}
	if err := writesBack(unstructured.UnstructuredJSONScheme, u.DeepCopy(), stored, "kube-apiserver"); err != nil {
		return nil, err
	}
	return &CRD{template: u}, nil
}

// Encode is the template with o's name, uid, creation time (also its managed fields' time) and argument.
func (c *CRD) Encode(o Object) ([]byte, error) {
	u := c.template.DeepCopy()
	u.SetName(o.Name)
	u.SetUID(o.UID)
	u.SetCreationTimestamp(o.Created)
	fields := u.GetManagedFields()
	for i := range fields {
		fields[i].Time = &o.Created
	}
	u.SetManagedFields(fields)
	command, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "command")
	if n := len(command); n > 0 {
		command[n-1] = o.Arg
		if err := unstructured.SetNestedStringSlice(u.Object, command, "spec", "command"); err != nil {
			return nil, err
		}
	}
	return runtime.Encode(unstructured.UnstructuredJSONScheme, u)
}

// Load writes objects [from, to) under dir (the namespace's key prefix, e.g.
// /cnat/cnat.programming-kubernetes.info/ats/ns) with workers concurrent writers, batch keys to a
// transaction that creates them only if none exists (as the server's create does, one key at a time).
// A batch of 1 gives each object a revision of its own, as objects created through the API have; the keys of
// a larger batch share one revision (one resourceVersion), which etcd and the servers' reads allow and
// which makes the load many times faster. It calls progress after each 10,000.
func Load(ctx context.Context, client *clientv3.Client, enc Encoder, dir string, name func(int) string, from, to, workers, batch int,
	progress func(done int, rate float64)) error {
	created := metav1.NewTime(time.Now().Truncate(time.Second))
	next := make(chan int, 1024)
	errs := make(chan error, workers)
	var done sync.WaitGroup
	var mu sync.Mutex
	count, began := 0, time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		errs <- err
		cancel()
	}
	for range workers {
		done.Go(func() {
			var ifs []clientv3.Cmp
			var puts []clientv3.Op
			flush := func() bool {
				if len(puts) == 0 {
					return true
				}
				resp, err := client.Txn(ctx).If(ifs...).Then(puts...).Commit()
				if err == nil && !resp.Succeeded {
					err = fmt.Errorf("a key of the batch under %s exists already", dir)
				}
				if err != nil {
					fail(err)
					return false
				}
				mu.Lock()
				before := count
				count += len(puts)
				if count/10000 != before/10000 && progress != nil {
					progress(from+count, float64(count)/time.Since(began).Seconds())
				}
				mu.Unlock()
				ifs, puts = ifs[:0], puts[:0]
				return true
			}
			for i := range next {
				value, err := enc.Encode(ObjectFor(name(i), i, created))
				if err != nil {
					fail(err)
					return
				}
				key := path.Join(dir, name(i))
				ifs = append(ifs, clientv3.Compare(clientv3.ModRevision(key), "=", 0))
				puts = append(puts, clientv3.OpPut(key, string(value)))
				if len(puts) >= batch && !flush() {
					return
				}
			}
			flush()
		})
	}
feed:
	for i := from; i < to; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	done.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return ctx.Err()
	}
}

// DeletePrefix deletes every key under prefix, 10,000 at a time: one delete of a million keys outlasts etcd's
// request timeout.
func DeletePrefix(ctx context.Context, client *clientv3.Client, prefix string) (int64, error) {
	var deleted int64
	for {
		resp, err := client.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithLimit(10000))
		if err != nil {
			return deleted, err
		}
		if len(resp.Kvs) == 0 {
			return deleted, nil
		}
		first, last := string(resp.Kvs[0].Key), string(resp.Kvs[len(resp.Kvs)-1].Key)
		del, err := client.Delete(ctx, first, clientv3.WithRange(last+"\x00"))
		if err != nil {
			return deleted, err
		}
		deleted += del.Deleted
	}
}
