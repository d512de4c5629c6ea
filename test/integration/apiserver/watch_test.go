package apiserver

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

func next(t *testing.T, w watch.Interface) watch.Event {
	t.Helper()
	select {
	case e, ok := <-w.ResultChan():
		if !ok {
			t.Fatal("watch closed")
		}
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("no watch event within 20s")
	}
	return watch.Event{}
}

// TestWatch sees create, update and delete in both versions, and resumes from a resourceVersion.
func TestWatch(t *testing.T) {
	ns := namespace(t)
	beta := server.Client.CnatV1beta1().Ats(ns)
	list, err := beta.List(ctx(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := beta.Watch(ctx(), metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	wa, err := server.Client.CnatV1alpha1().Ats(ns).Watch(ctx(), metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer wa.Stop()

	created, err := beta.Create(ctx(), newAt("watched"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created.Labels = map[string]string{"step": "2"}
	updated, err := beta.Update(ctx(), created, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := beta.Delete(ctx(), "watched", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	for _, want := range []watch.EventType{watch.Added, watch.Modified, watch.Deleted} {
		if e := next(t, w); e.Type != want || e.Object.(*v1beta1.At).Name != "watched" {
			t.Errorf("v1beta1 event %s %v, want %s", e.Type, e.Object, want)
		}
		e := next(t, wa)
		if at, ok := e.Object.(*v1alpha1.At); e.Type != want || !ok || at.Spec.Command != "echo 'a b'" {
			t.Errorf("v1alpha1 event %s %#v, want %s of a v1alpha1 At", e.Type, e.Object, want)
		}
	}

	// Resuming from the update's resourceVersion replays what came after it: the delete.
	resumed, err := beta.Watch(ctx(), metav1.ListOptions{ResourceVersion: updated.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Stop()
	if e := next(t, resumed); e.Type != watch.Deleted || e.Object.(*v1beta1.At).Name != "watched" {
		t.Errorf("resumed watch: %s %v, want the delete", e.Type, e.Object)
	}
}

// TestWatchWithFieldSelector: a watch on status.phase sees an At enter and leave the selection.
func TestWatchWithFieldSelector(t *testing.T) {
	ns := namespace(t)
	beta := server.Client.CnatV1beta1().Ats(ns)
	w, err := beta.Watch(ctx(), metav1.ListOptions{FieldSelector: "status.phase=Running"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	at, err := beta.Create(ctx(), newAt("runner"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at.Status.Phase = v1beta1.AtRunning
	if at, err = beta.UpdateStatus(ctx(), at, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if e := next(t, w); e.Type != watch.Added {
		t.Errorf("entering the selection: %s, want ADDED", e.Type)
	}
	at.Status.Phase = v1beta1.AtSucceeded
	if _, err = beta.UpdateStatus(ctx(), at, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if e := next(t, w); e.Type != watch.Deleted {
		t.Errorf("leaving the selection: %s, want DELETED", e.Type)
	}
}
