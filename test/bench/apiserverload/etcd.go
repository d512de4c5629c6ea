package main

import (
	"context"
	"fmt"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/apiserver"
	"github.com/programming-kubernetes/cnat/test/bench/internal/atstore"
)

// etcdStore is the floor: what the API servers ask of etcd for each verb, without the API servers. Create is
// a put-if-absent transaction, update a compare-revision-and-put, both as the apiserver's etcd3 store does
// them; the value is an At as cnat-apiserver stores it.
type etcdStore struct {
	client *clientv3.Client
	prefix string
	value  string

	mu        sync.Mutex
	revisions []int64
}

func newEtcdStore(client *clientv3.Client, namespace string, objects int, value string) *etcdStore {
	return &etcdStore{client: client, prefix: "/bench-floor/" + namespace + "/", value: value, revisions: make([]int64, objects)}
}

// storedAt is an At encoded as cnat-apiserver's storage encodes it (mediaType).
func storedAt(mediaType string) (string, error) {
	info, ok := runtime.SerializerInfoForMediaType(apiserver.Codecs.SupportedMediaTypes(), mediaType)
	if !ok {
		return "", fmt.Errorf("no serializer for %s", mediaType)
	}
	at := &v1beta1.At{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1beta1.SchemeGroupVersion.String(), Kind: "At"},
		ObjectMeta: metav1.ObjectMeta{Name: atstore.ObjectName(1234), Namespace: "bench-floor", UID: "6f1e8f0a-8b47-4ad1-9c2c-3f3d9e1c0b5a", Labels: map[string]string{"bench": "true"}},
		Spec:       v1beta1.AtSpec{Schedule: atstore.Schedule, Command: []string{"echo", "hello", "1234"}, Image: "busybox:1.36"},
		Status:     v1beta1.AtStatus{Phase: v1beta1.AtPending},
	}
	data, err := runtime.Encode(apiserver.Codecs.EncoderForVersion(info.Serializer, v1beta1.SchemeGroupVersion), at)
	return string(data), err
}

func (s *etcdStore) key(i int) string { return s.prefix + atstore.ObjectName(i) }

func (s *etcdStore) setRevision(i int, rev int64) {
	s.mu.Lock()
	s.revisions[i] = rev
	s.mu.Unlock()
}

func (s *etcdStore) Create(ctx context.Context, i int) error {
	key := s.key(i)
	resp, err := s.client.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, s.value)).Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return fmt.Errorf("%s exists", key)
	}
	s.setRevision(i, resp.Header.Revision)
	return nil
}

func (s *etcdStore) Get(ctx context.Context, i int) error {
	resp, err := s.client.Get(ctx, s.key(i))
	if err == nil && len(resp.Kvs) != 1 {
		err = fmt.Errorf("%s not found", s.key(i))
	}
	return err
}

func (s *etcdStore) List(ctx context.Context) (int, error) {
	resp, err := s.client.Get(ctx, s.prefix, clientv3.WithPrefix())
	if err != nil {
		return 0, err
	}
	return len(resp.Kvs), nil
}

func (s *etcdStore) Update(ctx context.Context, i int) error {
	key := s.key(i)
	s.mu.Lock()
	rev := s.revisions[i]
	s.mu.Unlock()
	resp, err := s.client.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
		Then(clientv3.OpPut(key, s.value)).Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return fmt.Errorf("%s: revision conflict", key)
	}
	s.setRevision(i, resp.Header.Revision)
	return nil
}

func (s *etcdStore) Delete(ctx context.Context, i int) error {
	_, err := s.client.Delete(ctx, s.key(i))
	return err
}

// Watch starts at etcd's current revision: a watch without one does.
func (s *etcdStore) Watch(ctx context.Context) (<-chan struct{}, error) {
	events := s.client.Watch(ctx, s.prefix, clientv3.WithPrefix())
	added := make(chan struct{}, 1024)
	go func() {
		defer close(added)
		for resp := range events {
			if resp.Err() != nil {
				return
			}
			for _, ev := range resp.Events {
				if ev.IsCreate() {
					added <- struct{}{}
				}
			}
		}
	}()
	return added, nil
}
