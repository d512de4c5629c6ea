package apiserver

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/controller"
)

// TestStatusSubresource: the main resource cannot write status, ats/status cannot write spec or metadata,
// and only spec writes count in generation.
func TestStatusSubresource(t *testing.T) {
	ats := server.Client.CnatV1beta1().Ats(namespace(t))

	// Create ignores the status sent.
	sent := newAt("status")
	sent.Status = v1beta1.AtStatus{Phase: v1beta1.AtSucceeded, PodName: "forged"}
	at, err := ats.Create(ctx(), sent, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !apiequality.Semantic.DeepEqual(at.Status, v1beta1.AtStatus{Phase: v1beta1.AtPending}) {
		t.Errorf("status after create %+v, want only phase Pending", at.Status)
	}

	// A status write changes the status only.
	start := metav1.Now().Rfc3339Copy()
	at.Status = v1beta1.AtStatus{Phase: v1beta1.AtRunning, PodName: "status-x7k2p", StartTime: &start, ObservedGeneration: 1,
		Conditions: []metav1.Condition{{Type: "Started", Status: metav1.ConditionTrue, Reason: "PodCreated", LastTransitionTime: start}}}
	at.Spec.Image = "ignored:by-status-writes"
	at.Labels = map[string]string{"ignored": "by-status-writes"}
	updated, err := ats.UpdateStatus(ctx(), at, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if updated.Status.Phase != v1beta1.AtRunning || updated.Status.PodName != "status-x7k2p" || len(updated.Status.Conditions) != 1 {
		t.Errorf("status not written: %+v", updated.Status)
	}
	if updated.Spec.Image != "alpine:3.20" || updated.Labels["ignored"] != "" || updated.Generation != 1 {
		t.Errorf("status write changed spec %+v / labels %v / generation %d", updated.Spec, updated.Labels, updated.Generation)
	}

	// A main-resource write cannot change the status, and the spec is frozen once Running.
	updated.Status.Phase = v1beta1.AtSucceeded
	updated.Labels = map[string]string{"team": "a"}
	again, err := ats.Update(ctx(), updated, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Status.Phase != v1beta1.AtRunning || again.Labels["team"] != "a" {
		t.Errorf("main-resource write: status %+v labels %v, want Running and the label", again.Status, again.Labels)
	}
	again.Spec.Command = []string{"date"}
	_, err = ats.Update(ctx(), again, metav1.UpdateOptions{})
	if !apierrors.IsInvalid(err) || !causeFor(err, "spec") {
		t.Errorf("spec change while Running: %v, want 422 on spec", err)
	}

	// Phases move forward only.
	again.Status.Phase = v1beta1.AtPending
	_, err = ats.UpdateStatus(ctx(), again, metav1.UpdateOptions{})
	if !apierrors.IsInvalid(err) || !causeFor(err, "status.phase") {
		t.Errorf("Running → Pending: %v, want 422 on status.phase", err)
	}
}

// TestStatusWriteOfATrimmedAt: cnat-controller caches Ats without their managedFields and annotations
// (controller.TrimForCache) and writes the status over such a copy; the stored annotations and the other
// writers' managedFields stay.
func TestStatusWriteOfATrimmedAt(t *testing.T) {
	ats := server.Client.CnatV1beta1().Ats(namespace(t))
	sent := newAt("trimmed")
	sent.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"spec":{}}`}
	at, err := ats.Create(ctx(), sent, metav1.CreateOptions{FieldManager: "creator"})
	if err != nil {
		t.Fatal(err)
	}
	cached, err := controller.TrimForCache(at.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	trimmed := cached.(*v1beta1.At)
	if trimmed.Annotations != nil || trimmed.ManagedFields != nil {
		t.Fatalf("the transform kept annotations %v, managedFields %v", trimmed.Annotations, trimmed.ManagedFields)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "trimmed-x7k2p", CreationTimestamp: metav1.Now().Rfc3339Copy()}}
	trimmed.Status = *controller.RunningStatus(trimmed, pod, controller.ReasonPodCreated)
	updated, err := ats.UpdateStatus(ctx(), trimmed, metav1.UpdateOptions{FieldManager: controller.ControllerName})
	if err != nil {
		t.Fatal(err)
	}
	if updated.Status.Phase != v1beta1.AtRunning || updated.Annotations["kubectl.kubernetes.io/last-applied-configuration"] == "" {
		t.Errorf("after the status write: phase %q, annotations %v; want Running and the stored annotation", updated.Status.Phase, updated.Annotations)
	}
	managers := map[string]bool{}
	for _, entry := range updated.ManagedFields {
		managers[entry.Manager] = true
	}
	if !managers["creator"] || !managers[controller.ControllerName] {
		t.Errorf("managedFields of %v, want the creator's and %s's", managers, controller.ControllerName)
	}
}

// TestStatusInV1alpha1: a v1alpha1 status writer (the book's controller) sets DONE; v1beta1 reads Succeeded,
// and the v1beta1-only status fields written before are kept.
func TestStatusInV1alpha1(t *testing.T) {
	ns := namespace(t)
	beta := server.Client.CnatV1beta1().Ats(ns)
	alpha := server.Client.CnatV1alpha1().Ats(ns)
	at, err := beta.Create(ctx(), newAt("book-controller"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at.Status = v1beta1.AtStatus{Phase: v1beta1.AtRunning, PodName: "book-controller-pod"}
	if _, err := beta.UpdateStatus(ctx(), at, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	old, err := alpha.Get(ctx(), "book-controller", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	old.Status.Phase = v1alpha1.PhaseDone
	if _, err := alpha.UpdateStatus(ctx(), old, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := beta.Get(ctx(), "book-controller", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.Phase != v1beta1.AtSucceeded || got.Status.PodName != "book-controller-pod" {
		t.Errorf("status %+v, want Succeeded with the pod name kept", got.Status)
	}
}

// causeFor tells whether an API error names field among its causes.
func causeFor(err error, field string) bool {
	status, ok := err.(apierrors.APIStatus)
	if !ok || status.Status().Details == nil {
		return false
	}
	for _, c := range status.Status().Details.Causes {
		if c.Field == field {
			return true
		}
	}
	return false
}
