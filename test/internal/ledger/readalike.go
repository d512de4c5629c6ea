package ledger

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
)

// CheckReadAlike reads every At of ns (a run's namespace) in v1beta1, v1 and v1alpha1: as many in each, the
// same spec and status in v1 and v1beta1, and the command the run's writers wrote in version (an argv, or
// v1alpha1's command line). It catches a field dropped by a server that did not know it.
func CheckReadAlike(t *testing.T, c versioned.Interface, ns, version string) {
	t.Helper()
	ctx := context.Background()
	b, err := c.CnatV1beta1().Ats(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	one, err := c.CnatV1().Ats(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	alpha, err := c.CnatV1alpha1().Ats(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Items) != len(one.Items) || len(b.Items) != len(alpha.Items) {
		t.Errorf("%s: %d Ats in v1beta1, %d in v1, %d in v1alpha1", ns, len(b.Items), len(one.Items), len(alpha.Items))
	}
	inV1 := map[string]int{}
	for i := range one.Items {
		inV1[one.Items[i].Name] = i
	}
	bad := 0
	for _, at := range b.Items {
		var want []string
		switch version {
		case "v1alpha1":
			want = []string{"/bin/sh", "-c", "echo " + at.Name}
		default:
			want = []string{"echo", at.Name}
		}
		i, ok := inV1[at.Name]
		if !slices.Equal(at.Spec.Command, want) || at.Spec.Image != cnat.DefaultImage || !ok ||
			!SameJSON(t, one.Items[i].Spec, at.Spec) || !SameJSON(t, one.Items[i].Status, at.Status) {
			if bad++; bad <= 5 {
				t.Errorf("%s/%s: v1beta1 %+v, command wanted %q", ns, at.Name, at.Spec, want)
			}
		}
	}
	t.Logf("%s: %d Ats (written in %s) read alike in v1beta1, v1 and v1alpha1, %d not", ns, len(b.Items), version, bad)
}

// SameJSON: a and b marshal to the same JSON.
func SameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb)
}
