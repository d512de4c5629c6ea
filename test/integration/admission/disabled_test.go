package admission

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/atpolicytesting"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/test/integration/framework"
)

// TestTurningThePolicyOn: with AtPolicy disabled everything the example forbids goes through; once the
// server restarts with it enabled, the Ats already there can still be updated, but a new image or schedule
// and new creates are checked.
func TestTurningThePolicyOn(t *testing.T) {
	policy := examplePolicy(t)
	dir := t.TempDir()
	ns := namespace(t)
	const outsideImage = "quay.io/someone/tool:1"
	farSchedule := metav1.NewTime(time.Now().Add(policy.MaxScheduleAhead.Duration + 24*time.Hour).Truncate(time.Second))

	t.Run("disabled, everything goes through", func(t *testing.T) {
		server := framework.StartT(t, dir, "--admission-control-config-file", exampleConfig,
			"--disable-admission-plugins=AtPolicy")
		ats := server.Client.CnatV1beta1().Ats(ns)

		at, err := ats.Create(ctx(), newAt("no-image", ""), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if at.Spec.Image != cnat.DefaultImage {
			t.Errorf("got image %q, want the API default: no defaultImage while disabled", at.Spec.Image)
		}
		legacy := newAt("legacy", outsideImage)
		legacy.Spec.Schedule = farSchedule
		if _, err := ats.Create(ctx(), legacy, metav1.CreateOptions{}); err != nil {
			t.Fatalf("disallowed image and far schedule: %v", err)
		}
		// Two already; beyond the limit.
		for i := range int(policy.MaxUnfinishedPerNamespace) {
			if _, err := ats.Create(ctx(), newAt(fmt.Sprintf("at-%d", i), outsideImage), metav1.CreateOptions{}); err != nil {
				t.Fatalf("create %d: %v", i+3, err)
			}
		}
	})

	t.Run("enabled, changes are checked, existing Ats are not", func(t *testing.T) {
		server := framework.StartT(t, dir, "--admission-control-config-file", exampleConfig)
		ats := server.Client.CnatV1beta1().Ats(ns)

		legacy, err := ats.Get(ctx(), "legacy", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		legacy.Labels = map[string]string{"team": "a"}
		if legacy, err = ats.Update(ctx(), legacy, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("an update that leaves image and schedule alone: %v", err)
		}

		newImage := legacy.DeepCopy()
		newImage.Spec.Image = "quay.io/someone/tool:2"
		_, err = ats.Update(ctx(), newImage, metav1.UpdateOptions{})
		atpolicytesting.WantForbidden(t, err, "AtPolicy allowedImagePrefixes")

		newSchedule := legacy.DeepCopy()
		newSchedule.Spec.Schedule = metav1.NewTime(farSchedule.Add(time.Hour))
		_, err = ats.Update(ctx(), newSchedule, metav1.UpdateOptions{})
		atpolicytesting.WantForbidden(t, err, "AtPolicy maxScheduleAhead")

		// The informer has synced before the server is ready: the count is right from the first request.
		_, err = ats.Create(ctx(), newAt("one-more", policy.AllowedImagePrefixes[0]+"alpine:3.20"), metav1.CreateOptions{})
		atpolicytesting.WantForbidden(t, err, "AtPolicy maxUnfinishedPerNamespace",
			fmt.Sprintf("already holds %d unfinished", policy.MaxUnfinishedPerNamespace+2))
	})
}
