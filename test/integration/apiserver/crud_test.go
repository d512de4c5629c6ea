package apiserver

import (
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	cnatv1 "github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// TestCRUDAcrossVersions writes in each version and reads in the other.
func TestCRUDAcrossVersions(t *testing.T) {
	ns := namespace(t)
	alpha := server.Client.CnatV1alpha1().Ats(ns)
	beta := server.Client.CnatV1beta1().Ats(ns)

	// The book's At, created in v1alpha1, read in v1beta1.
	book := &v1alpha1.At{
		ObjectMeta: metav1.ObjectMeta{Name: "example-at"},
		Spec:       v1alpha1.AtSpec{Schedule: "2099-04-12T10:12:00Z", Command: "echo YAY"},
	}
	if _, err := alpha.Create(ctx(), book, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := beta.Get(ctx(), "example-at", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := v1beta1.AtSpec{
		Schedule: metav1.Date(2099, 4, 12, 10, 12, 0, 0, got.Spec.Schedule.Location()),
		Command:  []string{"/bin/sh", "-c", "echo YAY"},
		Image:    cnat.DefaultImage,
	}
	if !apiequality.Semantic.DeepEqual(got.Spec, want) || got.Status.Phase != v1beta1.AtPending || got.Generation != 1 {
		t.Errorf("v1beta1 read of the book's At: spec %+v status %+v generation %d", got.Spec, got.Status, got.Generation)
	}
	if len(got.Annotations) != 0 {
		t.Errorf("v1beta1 shows annotations %v", got.Annotations)
	}

	// An argv and an image v1alpha1 has no fields for, created in v1beta1, read in v1alpha1.
	created, err := beta.Create(ctx(), newAt("argv"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	shown, err := alpha.Get(ctx(), "argv", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if shown.Spec.Command != "echo 'a b'" || shown.Spec.Schedule != "2099-01-01T00:00:00Z" || shown.Status.Phase != "PENDING" ||
		shown.Annotations[cnat.CommandAnnotation] != `["echo","a b"]` || shown.Annotations[cnat.ImageAnnotation] != "alpine:3.20" {
		t.Errorf("v1alpha1 read: %+v", shown)
	}

	// Updated through v1alpha1 (read, add a label, write back): the v1beta1 spec is unchanged.
	shown.Labels = map[string]string{"edited": "in-v1alpha1"}
	if _, err := alpha.Update(ctx(), shown, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	after, err := beta.Get(ctx(), "argv", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !apiequality.Semantic.DeepEqual(after.Spec, created.Spec) || after.Labels["edited"] != "in-v1alpha1" {
		t.Errorf("after a v1alpha1 round trip: spec %+v labels %v, want spec %+v", after.Spec, after.Labels, created.Spec)
	}
	if after.Generation != 1 {
		t.Errorf("generation %d after a label change, want 1", after.Generation)
	}

	// Lists in both versions hold both.
	alphaList, err := alpha.List(ctx(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	betaList, err := beta.List(ctx(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(alphaList.Items) != 2 || len(betaList.Items) != 2 {
		t.Errorf("lists hold %d (v1alpha1) and %d (v1beta1) Ats, want 2", len(alphaList.Items), len(betaList.Items))
	}

	// Deleted in v1alpha1, gone in v1beta1.
	if err := alpha.Delete(ctx(), "argv", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := beta.Get(ctx(), "argv", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after delete: %v, want NotFound", err)
	}
}

// TestGenerationCountsSpecChanges: generation starts at 1 and grows with each spec change only.
func TestGenerationCountsSpecChanges(t *testing.T) {
	ats := server.Client.CnatV1beta1().Ats(namespace(t))
	at, err := ats.Create(ctx(), newAt("gen"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if at.Generation != 1 {
		t.Fatalf("generation %d on create, want 1", at.Generation)
	}
	at.Labels = map[string]string{"a": "b"}
	if at, err = ats.Update(ctx(), at, metav1.UpdateOptions{}); err != nil || at.Generation != 1 {
		t.Fatalf("label change: generation %d, %v; want 1", at.Generation, err)
	}
	at.Spec.Command = []string{"date"}
	if at, err = ats.Update(ctx(), at, metav1.UpdateOptions{}); err != nil || at.Generation != 2 {
		t.Fatalf("spec change: generation %d, %v; want 2", at.Generation, err)
	}
}

// TestWarnings: a schedule in the past is accepted with a warning; v1 is not deprecated, v1alpha1 and v1beta1
// are (docs/versions.md's table holds every release's warnings).
func TestWarnings(t *testing.T) {
	client, seen := clientWithWarnings(t)
	ns := namespace(t)
	past := &cnatv1.At{ObjectMeta: metav1.ObjectMeta{Name: "past"}, Spec: cnatv1.AtSpec{
		Schedule: metav1.Date(2019, 4, 12, 10, 12, 0, 0, future.Location()), Command: []string{"true"}}}
	if _, err := client.CnatV1().Ats(ns).Create(ctx(), past, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !seen.contains("spec.schedule: 2019-04-12T10:12:00Z is in the past: the At runs immediately") {
		t.Errorf("no past-schedule warning; got %q", seen.seen)
	}
	if seen.contains("deprecated") {
		t.Errorf("v1 warned about deprecation: %q", seen.seen)
	}
	if _, err := client.CnatV1beta1().Ats(ns).Get(ctx(), "past", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if !seen.contains("cnat.programming-kubernetes.info/v1beta1 At is deprecated in v1.1+, unavailable in v1.4+; use cnat.programming-kubernetes.info/v1 At") {
		t.Errorf("no deprecation warning for v1beta1; got %q", seen.seen)
	}
	if _, err := client.CnatV1alpha1().Ats(ns).Get(ctx(), "past", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if !seen.contains("cnat.programming-kubernetes.info/v1alpha1 At is deprecated") || !seen.contains("use cnat.programming-kubernetes.info/v1 At") {
		t.Errorf("no deprecation warning for v1alpha1; got %q", seen.seen)
	}
}
