// Package storagemigration runs Kubernetes' own storage version migration (a StorageVersionMigration of
// storagemigration.k8s.io/v1, carried out by kube-controller-manager's storage-version-migrator-controller)
// and checks its result where it lands: every key of a resource in etcd, its encoding, the version it is
// stored in and the revision it was last written at.
package storagemigration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	svmv1 "k8s.io/api/storagemigration/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/install"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
)

// Ats is the resource the migrations of cnat name.
var Ats = metav1.GroupResource{Group: cnat.GroupName, Resource: "ats"}

// Manifest is the StorageVersionMigration of a resource, as `kubectl create -f -` takes it (docs/versions.md).
func Manifest(name string, resource metav1.GroupResource) string {
	return fmt.Sprintf(`apiVersion: storagemigration.k8s.io/v1
kind: StorageVersionMigration
metadata:
  name: %s
spec:
  resource:
    group: %s
    resource: %s
`, name, resource.Group, resource.Resource)
}

// Migrate creates a StorageVersionMigration of resource and waits for its outcome (Wait).
func Migrate(ctx context.Context, client kubernetes.Interface, name string, resource metav1.GroupResource) (*svmv1.StorageVersionMigration, error) {
	_, err := client.StoragemigrationV1().StorageVersionMigrations().Create(ctx, &svmv1.StorageVersionMigration{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       svmv1.StorageVersionMigrationSpec{Resource: resource},
	}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating StorageVersionMigration %s: %w", name, err)
	}
	return Wait(ctx, client, name)
}

// Wait waits until the StorageVersionMigration succeeds, and returns it; an error if it fails (with the
// controller's message) or ctx ends first (with its last conditions).
func Wait(ctx context.Context, client kubernetes.Interface, name string) (*svmv1.StorageVersionMigration, error) {
	var last *svmv1.StorageVersionMigration
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		svm, err := client.StoragemigrationV1().StorageVersionMigrations().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil // a transient error; ctx bounds the wait
		}
		last = svm
		if c := meta.FindStatusCondition(svm.Status.Conditions, string(svmv1.MigrationFailed)); c != nil && c.Status == metav1.ConditionTrue {
			return false, fmt.Errorf("StorageVersionMigration %s failed: %s", name, c.Message)
		}
		return meta.IsStatusConditionTrue(svm.Status.Conditions, string(svmv1.MigrationSucceeded)), nil
	})
	if err != nil && last != nil && ctx.Err() != nil {
		return last, fmt.Errorf("StorageVersionMigration %s did not succeed: %w; status %s", name, err, Conditions(last))
	}
	return last, err
}

// Conditions is a migration's conditions on one line, for a test's log.
func Conditions(svm *svmv1.StorageVersionMigration) string {
	var parts []string
	for _, c := range svm.Status.Conditions {
		parts = append(parts, fmt.Sprintf("%s=%s (%s: %s)", c.Type, c.Status, c.Reason, c.Message))
	}
	return fmt.Sprintf("resourceVersion %q, %s", svm.Status.ResourceVersion, strings.Join(parts, "; "))
}

// Duration is how long a finished migration took, from its creation to its Succeeded (or Failed) condition,
// at the second's precision of the API's timestamps.
func Duration(svm *svmv1.StorageVersionMigration) time.Duration {
	for _, t := range []svmv1.MigrationConditionType{svmv1.MigrationSucceeded, svmv1.MigrationFailed} {
		if c := meta.FindStatusCondition(svm.Status.Conditions, string(t)); c != nil && c.Status == metav1.ConditionTrue {
			return c.LastTransitionTime.Sub(svm.CreationTimestamp.Time)
		}
	}
	return 0
}

// Media types of stored values.
const (
	Protobuf = runtime.ContentTypeProtobuf
	JSON     = runtime.ContentTypeJSON
)

// protobufPrefix starts every protobuf value Kubernetes' storage codec writes (a runtime.Unknown follows).
var protobufPrefix = []byte("k8s\x00")

// Key is one stored object, as etcd holds it.
type Key struct {
	Key                         string
	CreateRevision, ModRevision int64
	// MediaType is Protobuf or JSON; APIVersion and Kind what the value says it is (its storage version).
	MediaType, APIVersion, Kind string
	Value                       []byte
}

// Read reads every key under prefix (e.g. "/cnat/cnat.programming-kubernetes.info/ats/") at one revision,
// and returns them with that revision.
func Read(ctx context.Context, client *clientv3.Client, prefix string) ([]Key, int64, error) {
	resp, err := client.Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, 0, err
	}
	keys := make([]Key, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		k := Key{Key: string(kv.Key), CreateRevision: kv.CreateRevision, ModRevision: kv.ModRevision, Value: kv.Value}
		if k.MediaType, k.APIVersion, k.Kind, err = TypeOf(kv.Value); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", kv.Key, err)
		}
		keys = append(keys, k)
	}
	return keys, resp.Header.Revision, nil
}

// TypeOf tells the encoding of a stored value and the apiVersion and kind it holds: the TypeMeta of the
// runtime.Unknown that follows the "k8s\x00" of protobuf, or the JSON object's own.
func TypeOf(value []byte) (mediaType, apiVersion, kind string, err error) {
	switch {
	case bytes.HasPrefix(value, protobufPrefix):
		var unknown runtime.Unknown
		if err := unknown.Unmarshal(value[len(protobufPrefix):]); err != nil {
			return "", "", "", fmt.Errorf("decoding the protobuf envelope: %w", err)
		}
		return Protobuf, unknown.APIVersion, unknown.Kind, nil
	case bytes.HasPrefix(bytes.TrimSpace(value), []byte("{")):
		var typeMeta metav1.TypeMeta
		if err := json.Unmarshal(value, &typeMeta); err != nil {
			return "", "", "", fmt.Errorf("decoding JSON: %w", err)
		}
		return JSON, typeMeta.APIVersion, typeMeta.Kind, nil
	default:
		// E.g. "k8s:enc:" of an encryption provider: not readable here.
		return "", "", "", fmt.Errorf("neither protobuf nor JSON (encrypted?), starts with %q", value[:min(len(value), 12)])
	}
}

// Stale rewrites a stored At in another encoding, encode's, as a server configured otherwise (an older
// storage version, another --storage-media-type) would have written it: what a storage version migration
// rewrites. It writes only if the key is still at revision, so no write of the server is undone; it returns
// the revision of its write, and false if the key changed (or went) in between.
func Stale(ctx context.Context, client *clientv3.Client, key Key, encode runtime.Encoder) (int64, bool, error) {
	obj, _, err := codecs.UniversalDecoder().Decode(key.Value, nil, nil)
	if err != nil {
		return 0, false, fmt.Errorf("%s: decoding: %w", key.Key, err)
	}
	var buf bytes.Buffer
	if err := encode.Encode(obj, &buf); err != nil {
		return 0, false, fmt.Errorf("%s: encoding: %w", key.Key, err)
	}
	resp, err := client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key.Key), "=", key.ModRevision)).
		Then(clientv3.OpPut(key.Key, buf.String())).
		Commit()
	if err != nil {
		return 0, false, err
	}
	return resp.Header.Revision, resp.Succeeded, nil
}

var (
	scheme = runtime.NewScheme()
	codecs = serializer.NewCodecFactory(scheme)
)

func init() { install.Install(scheme) }

// BookStorage encodes Ats as the book's cnat stored them: v1alpha1, in JSON (a CustomResourceDefinition's
// storage). cnat reads them (every version of its scheme, either encoding) and writes them back in its
// storage version, in protobuf.
func BookStorage() runtime.Encoder {
	return codecs.LegacyCodec(v1alpha1.SchemeGroupVersion)
}
