package admission

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/atpolicytesting"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	typedv1beta1 "github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/typed/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/test/integration/framework"
)

// TestExamplePolicy runs the server with the example configuration and shows every rule, allow and deny.
func TestExamplePolicy(t *testing.T) {
	policy := examplePolicy(t)
	server := framework.StartT(t, t.TempDir(), "--admission-control-config-file", exampleConfig)
	allowedImage := policy.AllowedImagePrefixes[0] + "alpine:3.20"

	t.Run("ready only once the informers admission counts from have synced", func(t *testing.T) {
		body, err := server.Client.Discovery().RESTClient().Get().AbsPath("/readyz").Param("verbose", "").DoRaw(ctx())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), "[+]poststarthook/start-cnat-admission-informers ok") {
			t.Errorf("/readyz does not wait for the admission informers:\n%s", body)
		}
	})

	t.Run("default image replaces the API default", func(t *testing.T) {
		ats := server.Client.CnatV1beta1().Ats(namespace(t))
		for _, image := range []string{"", cnat.DefaultImage} { // the default written out cannot be told from none
			at, err := ats.Create(ctx(), newAt("image-"+strconv.Itoa(len(image)), image), metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if at.Spec.Image != policy.DefaultImage {
				t.Errorf("image %q sent: got %q, want defaultImage %q", image, at.Spec.Image, policy.DefaultImage)
			}
		}
		at, err := ats.Create(ctx(), newAt("own-image", allowedImage), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if at.Spec.Image != allowedImage {
			t.Errorf("got image %q, want the one sent, %q", at.Spec.Image, allowedImage)
		}
	})

	t.Run("the book's v1alpha1 At gets the default image", func(t *testing.T) {
		ns := namespace(t)
		book := &v1alpha1.At{
			ObjectMeta: metav1.ObjectMeta{Name: "example-at"},
			Spec: v1alpha1.AtSpec{
				Schedule: time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
				Command:  "echo YAY",
			},
		}
		if _, err := server.Client.CnatV1alpha1().Ats(ns).Create(ctx(), book, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		at, err := server.Client.CnatV1beta1().Ats(ns).Get(ctx(), "example-at", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if at.Spec.Image != policy.DefaultImage {
			t.Errorf("got image %q, want defaultImage %q", at.Spec.Image, policy.DefaultImage)
		}
	})

	t.Run("image outside the allowed prefixes is forbidden", func(t *testing.T) {
		ats := server.Client.CnatV1beta1().Ats(namespace(t))
		_, err := ats.Create(ctx(), newAt("elsewhere", "quay.io/someone/tool:1"), metav1.CreateOptions{})
		atpolicytesting.WantForbidden(t, err, "AtPolicy allowedImagePrefixes", `"quay.io/someone/tool:1"`, strconv.Quote(policy.AllowedImagePrefixes[0]))

		at, err := ats.Create(ctx(), newAt("changed", allowedImage), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		at.Spec.Image = "quay.io/someone/tool:1"
		_, err = ats.Update(ctx(), at, metav1.UpdateOptions{})
		atpolicytesting.WantForbidden(t, err, "AtPolicy allowedImagePrefixes")
	})

	t.Run("schedule too far ahead is forbidden", func(t *testing.T) {
		ats := server.Client.CnatV1beta1().Ats(namespace(t))
		far := newAt("far", allowedImage)
		far.Spec.Schedule = metav1.NewTime(time.Now().Add(policy.MaxScheduleAhead.Duration + 24*time.Hour))
		_, err := ats.Create(ctx(), far, metav1.CreateOptions{})
		atpolicytesting.WantForbidden(t, err, "AtPolicy maxScheduleAhead", policy.MaxScheduleAhead.Duration.String())
	})

	t.Run("a namespace at its limit takes a new At once one finishes", func(t *testing.T) {
		ats := server.Client.CnatV1beta1().Ats(namespace(t))
		limit := int(policy.MaxUnfinishedPerNamespace)
		for i := range limit {
			if _, err := ats.Create(ctx(), newAt(fmt.Sprintf("at-%d", i), allowedImage), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		// The plugin counts from its informer, which sees the creates shortly after they are made.
		waitForDryRunCreate(t, ats, allowedImage, false)
		_, err := ats.Create(ctx(), newAt("one-too-many", allowedImage), metav1.CreateOptions{})
		atpolicytesting.WantForbidden(t, err, "AtPolicy maxUnfinishedPerNamespace", fmt.Sprintf("the limit is %d", limit))

		finish(t, ats, "at-0", v1beta1.AtSucceeded)
		waitForDryRunCreate(t, ats, allowedImage, true)
		if _, err := ats.Create(ctx(), newAt("in-its-place", allowedImage), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create after an At finished: %v", err)
		}
		waitForDryRunCreate(t, ats, allowedImage, false) // and the namespace is full again
	})
}

// waitForDryRunCreate waits until a dry-run create of an At with image is allowed (or refused): dry runs are
// admitted like real requests but store nothing, so polling with them does not change what is counted.
func waitForDryRunCreate(t *testing.T, ats typedv1beta1.AtInterface, image string, allowed bool) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(ctx(), 50*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		_, last = ats.Create(ctx(), newAt("probe", image), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return (last == nil) == allowed, nil
	})
	if err != nil {
		t.Fatalf("dry-run create: %v, want allowed=%v", last, allowed)
	}
}

// finish moves an At to a final phase through the status subresource, as the controller would: Pending →
// Running → phase.
func finish(t *testing.T, ats typedv1beta1.AtInterface, name string, phase v1beta1.AtPhase) {
	t.Helper()
	at, err := ats.Get(ctx(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, next := range []v1beta1.AtPhase{v1beta1.AtRunning, phase} {
		at.Status.Phase = next
		if at, err = ats.UpdateStatus(ctx(), at, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}
