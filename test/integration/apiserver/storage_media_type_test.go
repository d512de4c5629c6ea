package apiserver

import (
	"bytes"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/test/integration/framework"
)

const storageMediaTypeFlag = "--storage-media-type"

// protobufMagic starts every object Kubernetes' protobuf serializer writes ("k8s" and a NUL).
var protobufMagic = []byte("k8s\x00")

// TestProtobufStorage: with protobuf in etcd, create, get, update, watch and delete work as with JSON, and a
// restart reads the data back.
func TestProtobufStorage(t *testing.T) {
	dir := t.TempDir()
	first := framework.StartT(t, dir, storageMediaTypeFlag, runtime.ContentTypeProtobuf)
	ats := first.Client.CnatV1beta1().Ats("default")
	w, err := ats.Watch(ctx(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for _, name := range []string{"kept", "deleted"} {
		if _, err := ats.Create(ctx(), newAt(name), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	kept, err := ats.Get(ctx(), "kept", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kept.Spec.Image = "alpine:3.21"
	if kept, err = ats.Update(ctx(), kept, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := ats.Delete(ctx(), "deleted", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	var events []string
	for len(events) < 4 {
		ev := nextEvent(t, w)
		events = append(events, string(ev.Type)+" "+ev.Object.(*v1beta1.At).Name)
	}
	if want := []string{"ADDED kept", "ADDED deleted", "MODIFIED kept", "DELETED deleted"}; strings.Join(events, ",") != strings.Join(want, ",") {
		t.Errorf("watch events %q, want %q", events, want)
	}
	w.Stop()
	first.Stop()

	if stored := storedBytes(t, dir, "default", "kept"); !bytes.HasPrefix(stored, protobufMagic) {
		t.Errorf("stored as %.20q, want protobuf", stored)
	}
	second := framework.StartT(t, dir, storageMediaTypeFlag, runtime.ContentTypeProtobuf)
	got, err := second.Client.CnatV1beta1().Ats("default").Get(ctx(), "kept", metav1.GetOptions{})
	if err != nil || got.UID != kept.UID || got.Spec.Image != "alpine:3.21" || got.ResourceVersion != kept.ResourceVersion {
		t.Fatalf("after the restart: %v %+v", err, got)
	}
	if _, err := second.Client.CnatV1beta1().Ats("default").Get(ctx(), "deleted", metav1.GetOptions{}); err == nil {
		t.Error("the deleted At is back after the restart")
	}
}

// TestSwitchStorageMediaType: Ats written as JSON are read (and rewritten) by a server that stores protobuf,
// and the other way round, so the default can change under existing data dirs.
func TestSwitchStorageMediaType(t *testing.T) {
	dir := t.TempDir()
	first := framework.StartT(t, dir, storageMediaTypeFlag, runtime.ContentTypeJSON)
	written, err := first.Client.CnatV1beta1().Ats("default").Create(ctx(), newAt("old"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	first.Stop()
	if stored := storedBytes(t, dir, "default", "old"); !bytes.HasPrefix(stored, []byte("{")) {
		t.Fatalf("stored as %.20q, want JSON", stored)
	}

	second := framework.StartT(t, dir, storageMediaTypeFlag, runtime.ContentTypeProtobuf)
	ats := second.Client.CnatV1beta1().Ats("default")
	old, err := ats.Get(ctx(), "old", metav1.GetOptions{})
	if err != nil || old.UID != written.UID || strings.Join(old.Spec.Command, " ") != "echo a b" {
		t.Fatalf("JSON data read by a protobuf server: %v %+v", err, old)
	}
	if list, err := ats.List(ctx(), metav1.ListOptions{}); err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %v %+v", err, list)
	}
	old.Labels = map[string]string{"rewritten": "true"}
	if _, err := ats.Update(ctx(), old, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	second.Stop()
	if stored := storedBytes(t, dir, "default", "old"); !bytes.HasPrefix(stored, protobufMagic) {
		t.Fatalf("rewritten as %.20q, want protobuf", stored)
	}

	third := framework.StartT(t, dir, storageMediaTypeFlag, runtime.ContentTypeJSON)
	back, err := third.Client.CnatV1beta1().Ats("default").Get(ctx(), "old", metav1.GetOptions{})
	if err != nil || back.Labels["rewritten"] != "true" {
		t.Fatalf("protobuf data read by a JSON server: %v %+v", err, back)
	}
}

// storedBytes reads an At's value straight from the embedded etcd of a stopped server's data dir.
func storedBytes(t *testing.T, dataDir, namespace, name string) []byte {
	t.Helper()
	return framework.StoredValue(t, dataDir, namespace, name)
}

// TestDefaultStorageIsProtobuf: without --storage-media-type the server writes protobuf (the default chosen
// in docs/performance.md).
func TestDefaultStorageIsProtobuf(t *testing.T) {
	dir := t.TempDir()
	s := framework.StartT(t, dir)
	if _, err := s.Client.CnatV1beta1().Ats("default").Create(ctx(), newAt("default-media-type"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if stored := storedBytes(t, dir, "default", "default-media-type"); !bytes.HasPrefix(stored, protobufMagic) {
		t.Errorf("stored as %.20q, want protobuf", stored)
	}
}
