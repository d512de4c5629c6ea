package apiserver

import (
	"slices"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestPatches(t *testing.T) {
	ns := namespace(t)
	ats := server.Client.CnatV1beta1().Ats(ns)
	if _, err := ats.Create(ctx(), newAt("patched"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	at, err := ats.Patch(ctx(), "patched", types.MergePatchType, []byte(`{"spec":{"image":"busybox:1.36"}}`), metav1.PatchOptions{})
	if err != nil || at.Spec.Image != "busybox:1.36" {
		t.Fatalf("merge patch: %v, image %q", err, at.Spec.Image)
	}
	at, err = ats.Patch(ctx(), "patched", types.JSONPatchType,
		[]byte(`[{"op":"replace","path":"/spec/command/1","value":"c d"},{"op":"add","path":"/spec/command/-","value":"e"}]`), metav1.PatchOptions{})
	if err != nil || !slices.Equal(at.Spec.Command, []string{"echo", "c d", "e"}) {
		t.Fatalf("JSON patch: %v, command %q", err, at.Spec.Command)
	}
	at, err = ats.Patch(ctx(), "patched", types.StrategicMergePatchType, []byte(`{"metadata":{"labels":{"team":"a"}}}`), metav1.PatchOptions{})
	if err != nil || at.Labels["team"] != "a" || at.Generation != 3 {
		t.Fatalf("strategic merge patch: %v, labels %v, generation %d (want 3: two spec changes)", err, at.Labels, at.Generation)
	}

	// Strategic merge on ats/status merges conditions by type (patchMergeKey), keeping the others.
	cond := func(typ string) string {
		return `{"type":"` + typ + `","status":"True","reason":"Test","lastTransitionTime":"2030-01-01T00:00:00Z"}`
	}
	if _, err := ats.Patch(ctx(), "patched", types.StrategicMergePatchType,
		[]byte(`{"status":{"phase":"Running","conditions":[`+cond("Started")+`]}}`), metav1.PatchOptions{}, "status"); err != nil {
		t.Fatal(err)
	}
	at, err = ats.Patch(ctx(), "patched", types.StrategicMergePatchType,
		[]byte(`{"status":{"conditions":[`+cond("Observed")+`]}}`), metav1.PatchOptions{}, "status")
	if err != nil || len(at.Status.Conditions) != 2 {
		t.Fatalf("strategic merge of conditions: %v, conditions %+v (want Started and Observed)", err, at.Status.Conditions)
	}

	// A patch that makes the At invalid is refused with the field, and changes nothing.
	_, err = ats.Patch(ctx(), "patched", types.MergePatchType, []byte(`{"spec":{"image":"Not An Image"}}`), metav1.PatchOptions{})
	if !apierrors.IsInvalid(err) || !causeFor(err, "spec.image") {
		t.Errorf("invalid patch: %v, want 422 on spec.image", err)
	}
}
