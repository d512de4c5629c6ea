package install

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	atapply "github.com/programming-kubernetes/cnat/pkg/generated/applyconfiguration/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/fake"
)

// TestApplyConfigurationsKnowTheSchemas: the generated apply configurations find the At schemas under the
// OpenAPI model names (fake.NewClientset applies with structured merge, which needs them), and extracting a
// manager's fields works.
func TestApplyConfigurationsKnowTheSchemas(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset()
	apply := atapply.At("a", "ns").WithSpec(atapply.AtSpec().
		WithSchedule(metav1.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)).WithCommand("echo", "a b").WithImage("alpine:3.20"))
	at, err := client.CnatV1beta1().Ats("ns").Apply(ctx, apply, metav1.ApplyOptions{FieldManager: "alice"})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if at.Spec.Image != "alpine:3.20" || len(at.Spec.Command) != 2 {
		t.Errorf("applied %+v", at.Spec)
	}
	extracted, err := atapply.ExtractAt(at, "alice")
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	if extracted.Spec == nil || extracted.Spec.Image == nil || *extracted.Spec.Image != "alpine:3.20" {
		t.Errorf("extracted %+v", extracted.Spec)
	}
}
