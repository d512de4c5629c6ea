package options

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/apiserver"
)

// BenchmarkStorageCodec measures what each --storage-media-type costs the server per object written
// (encode) and read from etcd (decode: every watch event and every list from etcd), and the bytes stored.
// docs/performance.md explains the default from its figures:
//
//	go test ./pkg/apiserver/options -run XXX -bench StorageCodec -benchmem
func BenchmarkStorageCodec(b *testing.B) {
	for _, mediaType := range []string{runtime.ContentTypeJSON, runtime.ContentTypeProtobuf} {
		codec, _, err := serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
			StorageMediaType:  mediaType,
			StorageSerializer: apiserver.Codecs,
			StorageVersion:    v1beta1.SchemeGroupVersion,
			MemoryVersion:     cnat.SchemeGroupVersion,
			Config:            *storagebackend.NewDefaultConfig("/registry", nil),
		})
		if err != nil {
			b.Fatal(err)
		}
		at := typicalAt()
		data, err := runtime.Encode(codec, at)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(mediaType+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := runtime.Encode(codec, at); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(data)), "stored-bytes")
		})
		b.Run(mediaType+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := runtime.Decode(codec, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// typicalAt is an At as the controller leaves it once it ran: status, a condition, managed fields.
func typicalAt() *cnat.At {
	now := metav1.NewTime(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	return &cnat.At{
		ObjectMeta: metav1.ObjectMeta{
			Name: "nightly-report", Namespace: "team-a", UID: "6f1e8f0a-8b47-4ad1-9c2c-3f3d9e1c0b5a",
			ResourceVersion: "123456", Generation: 1, CreationTimestamp: now,
			Labels: map[string]string{"app": "reports"},
			ManagedFields: []metav1.ManagedFieldsEntry{{
				Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "cnat.programming-kubernetes.info/v1beta1",
				Time: &now, FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:command":{},"f:schedule":{}}}`)},
			}},
		},
		Spec: cnat.AtSpec{Schedule: now, Command: []string{"/bin/sh", "-c", "make report && upload"}, Image: "busybox:1.36"},
		Status: cnat.AtStatus{
			Phase: cnat.AtSucceeded, PodName: "nightly-report-pod", StartTime: &now, CompletionTime: &now, ObservedGeneration: 1,
			Conditions: []metav1.Condition{{Type: "Complete", Status: metav1.ConditionTrue, LastTransitionTime: now, Reason: "PodSucceeded", Message: "the Pod exited 0"}},
		},
	}
}
