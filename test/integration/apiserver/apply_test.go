package apiserver

import (
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1apply "k8s.io/client-go/applyconfigurations/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	atapply "github.com/programming-kubernetes/cnat/pkg/generated/applyconfiguration/cnat/v1beta1"
)

// TestServerSideApply: two managers of the spec conflict; the status manager (ats/status) and the spec
// manager never do, because each strategy resets the other's fields.
func TestServerSideApply(t *testing.T) {
	ns := namespace(t)
	ats := server.Client.CnatV1beta1().Ats(ns)

	spec := atapply.At("ssa", ns).WithSpec(atapply.AtSpec().
		WithSchedule(future).WithCommand("echo", "a b").WithImage("alpine:3.20"))
	at, err := ats.Apply(ctx(), spec, metav1.ApplyOptions{FieldManager: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if at.Spec.Image != "alpine:3.20" || at.Status.Phase != v1beta1.AtPending {
		t.Fatalf("applied: %+v", at)
	}

	// Another manager changing the image conflicts with alice, and wins only with force.
	bob := atapply.At("ssa", ns).WithSpec(atapply.AtSpec().WithImage("busybox:1.36"))
	_, err = ats.Apply(ctx(), bob, metav1.ApplyOptions{FieldManager: "bob"})
	if !apierrors.IsConflict(err) {
		t.Fatalf("bob's apply: %v, want 409 Conflict", err)
	}
	if at, err = ats.Apply(ctx(), bob, metav1.ApplyOptions{FieldManager: "bob", Force: true}); err != nil || at.Spec.Image != "busybox:1.36" {
		t.Fatalf("forced apply: %v, image %q", err, at.Spec.Image)
	}

	// The controller applies status; alice re-applying her spec (without the image) does not touch it.
	now := metav1.NewTime(time.Now().UTC().Truncate(time.Second))
	status := atapply.At("ssa", ns).WithStatus(atapply.AtStatus().WithPhase(v1beta1.AtRunning).WithPodName("ssa-pod").
		WithStartTime(now).WithConditions(metav1apply.Condition().WithType("Started").WithStatus(metav1.ConditionTrue).
		WithReason("PodCreated").WithLastTransitionTime(now)))
	if at, err = ats.ApplyStatus(ctx(), status, metav1.ApplyOptions{FieldManager: "cnat-controller"}); err != nil {
		t.Fatal(err)
	}
	if at.Status.Phase != v1beta1.AtRunning || at.Spec.Image != "busybox:1.36" {
		t.Fatalf("after status apply: %+v", at)
	}
	for _, entry := range at.ManagedFields {
		if entry.Manager == "cnat-controller" && entry.Subresource != "status" {
			t.Errorf("status manager recorded on subresource %q", entry.Subresource)
		}
	}

	// A status apply through the main resource is reset: it cannot own status. (Alice applies her whole
	// intent again, as apply requires: leaving out her spec fields would remove them.)
	sneaky := atapply.At("ssa", ns).WithSpec(atapply.AtSpec().WithSchedule(future).WithCommand("echo", "a b")).
		WithStatus(atapply.AtStatus().WithPhase(v1beta1.AtFailed))
	if at, err = ats.Apply(ctx(), sneaky, metav1.ApplyOptions{FieldManager: "alice"}); err != nil {
		t.Fatal(err)
	}
	if at.Status.Phase != v1beta1.AtRunning {
		t.Errorf("status applied through the main resource: phase %q", at.Status.Phase)
	}
}
