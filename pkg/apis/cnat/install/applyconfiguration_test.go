package install

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	atapplyv1 "github.com/programming-kubernetes/cnat/pkg/generated/applyconfiguration/cnat/v1"
	atapplyv1beta1 "github.com/programming-kubernetes/cnat/pkg/generated/applyconfiguration/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/fake"
)

// TestApplyConfigurationsKnowTheSchemas: the generated apply configurations of v1 and v1beta1 find the At
// schemas under the OpenAPI model names (fake.NewClientset applies with structured merge, which needs them),
// and extracting a manager's fields works. Each case applies an At with image alpine:3.20 and a two-word
// argv as alice, and returns the image and argv length applied and the image extracted for alice.
func TestApplyConfigurationsKnowTheSchemas(t *testing.T) {
	schedule := metav1.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	opts := metav1.ApplyOptions{FieldManager: "alice"}
	for version, apply := range map[string]func(context.Context, versioned.Interface) (string, int, *string, error){
		"v1": func(ctx context.Context, client versioned.Interface) (string, int, *string, error) {
			at, err := client.CnatV1().Ats("ns").Apply(ctx, atapplyv1.At("a", "ns").WithSpec(atapplyv1.AtSpec().
				WithSchedule(schedule).WithCommand("echo", "a b").WithImage("alpine:3.20")), opts)
			if err != nil {
				return "", 0, nil, err
			}
			extracted, err := atapplyv1.ExtractAt(at, "alice")
			if err != nil || extracted.Spec == nil {
				return "", 0, nil, err
			}
			return at.Spec.Image, len(at.Spec.Command), extracted.Spec.Image, nil
		},
		"v1beta1": func(ctx context.Context, client versioned.Interface) (string, int, *string, error) {
			at, err := client.CnatV1beta1().Ats("ns").Apply(ctx, atapplyv1beta1.At("a", "ns").WithSpec(atapplyv1beta1.AtSpec().
				WithSchedule(schedule).WithCommand("echo", "a b").WithImage("alpine:3.20")), opts)
			if err != nil {
				return "", 0, nil, err
			}
			extracted, err := atapplyv1beta1.ExtractAt(at, "alice")
			if err != nil || extracted.Spec == nil {
				return "", 0, nil, err
			}
			return at.Spec.Image, len(at.Spec.Command), extracted.Spec.Image, nil
		},
	} {
		image, commandLen, extractedImage, err := apply(context.Background(), fake.NewClientset())
		if err != nil {
			t.Fatalf("%s: apply or extract: %v", version, err)
		}
		if image != "alpine:3.20" || commandLen != 2 {
			t.Errorf("%s: applied image %q, %d arguments", version, image, commandLen)
		}
		if extractedImage == nil || *extractedImage != "alpine:3.20" {
			t.Errorf("%s: extracted image %v", version, extractedImage)
		}
	}
}
