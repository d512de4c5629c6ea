package etcdload

import (
	"testing"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/storage/storagebackend"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	v1 "github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1"
	"github.com/programming-kubernetes/cnat/pkg/apiserver"
)

// stored is an At as cnat-apiserver stores it: its storage codec (as pkg/apiserver/options builds it), v1, in
// mediaType.
func stored(t *testing.T, mediaType string) []byte {
	t.Helper()
	codec, _, err := serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
		StorageMediaType:  mediaType,
		StorageSerializer: apiserver.Codecs,
		StorageVersion:    v1.SchemeGroupVersion,
		MemoryVersion:     cnat.SchemeGroupVersion,
		Config:            storagebackend.Config{},
	})
	if err != nil {
		t.Fatal(err)
	}
	created := metav1.NewTime(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	at := &cnat.At{
		ObjectMeta: metav1.ObjectMeta{Name: "bench-0", Namespace: "ns", UID: "u0", Generation: 1, CreationTimestamp: created,
			Labels: map[string]string{"bench": "true"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "scale", Operation: metav1.ManagedFieldsOperationUpdate,
				APIVersion: "cnat.programming-kubernetes.info/v1beta1", Time: &created, FieldsType: "FieldsV1",
				FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:command":{}}}`)}}}},
		Spec:   cnat.AtSpec{Schedule: created, Command: []string{"echo", "hello", "0"}, Image: "busybox:1.36"},
		Status: cnat.AtStatus{Phase: cnat.AtPending},
	}
	data, err := runtime.Encode(codec, at)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestCnatWritesWhatTheServerWrites(t *testing.T) {
	for _, mediaType := range []string{runtime.ContentTypeProtobuf, runtime.ContentTypeJSON} {
		t.Run(mediaType, func(t *testing.T) {
			template := stored(t, mediaType)
			enc, err := NewCnat(template)
			if err != nil {
				t.Fatal(err)
			}
			// Object 0 as the template has it is the template, byte for byte.
			same, err := enc.Encode(Object{Name: "bench-0", UID: "u0", Created: enc.template.CreationTimestamp, Arg: "0"})
			if err != nil {
				t.Fatal(err)
			}
			if string(same) != string(template) {
				t.Errorf("object 0 encoded again differs from the template")
			}
			created := metav1.NewTime(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
			data, err := enc.Encode(ObjectFor("bench-7", 7, created))
			if err != nil {
				t.Fatal(err)
			}
			obj, err := runtime.Decode(enc.codec, data)
			if err != nil {
				t.Fatal(err)
			}
			got := obj.(*cnat.At)
			if got.Name != "bench-7" || got.UID == "u0" || got.UID == "" || !got.CreationTimestamp.Equal(&created) ||
				!got.ManagedFields[0].Time.Equal(&created) || got.Spec.Command[2] != "7" {
				t.Errorf("object 7 is %+v", got)
			}
			// Nothing else differs.
			got.Name, got.UID, got.CreationTimestamp, got.ManagedFields[0].Time, got.Spec.Command[2] =
				"bench-0", "u0", enc.template.CreationTimestamp, enc.template.ManagedFields[0].Time, "0"
			if !apiequality.Semantic.DeepEqual(got, enc.template) {
				t.Errorf("object 7 differs from the template beyond its name, uid, times and number:\n%+v\n%+v", got, enc.template)
			}
		})
	}
}

func TestCnatRefusesATemplateItWouldNotWriteBack(t *testing.T) {
	// The same At as JSON the codec would not write: indented.
	template := []byte(`{"kind": "At", "apiVersion": "cnat.programming-kubernetes.info/v1", "metadata": {"name": "bench-0"},
  "spec": {"schedule": "2099-01-01T00:00:00Z", "command": ["echo"], "image": "busybox:1.36"}}`)
	if _, err := NewCnat(template); err == nil {
		t.Fatal("a template the codec does not write back byte for byte was accepted")
	}
}

func TestCRDWritesWhatKubeAPIServerWrites(t *testing.T) {
	// As kube-apiserver stores a custom resource: JSON of the unstructured object, keys sorted, a newline.
	template := []byte(`{"apiVersion":"crd.cnat.programming-kubernetes.info/v1beta1","kind":"At","metadata":{"creationTimestamp":"2026-12-07T09:00:00Z","generation":1,"labels":{"bench":"true"},"managedFields":[{"apiVersion":"crd.cnat.programming-kubernetes.info/v1beta1","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:command":{}}},"manager":"scale","operation":"Update","time":"2026-12-07T09:00:00Z"}],"name":"bench-0","namespace":"ns","uid":"u0"},"spec":{"command":["echo","hello","0"],"image":"busybox:1.36","schedule":"2099-01-01T00:00:00Z"}}` + "\n")
	enc, err := NewCRD(template)
	if err != nil {
		t.Fatal(err)
	}
	created := metav1.NewTime(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	same, err := enc.Encode(Object{Name: "bench-0", UID: "u0", Created: created, Arg: "0"})
	if err != nil {
		t.Fatal(err)
	}
	if string(same) != string(template) {
		t.Errorf("object 0 encoded again:\n%s\nwant\n%s", same, template)
	}
}
