package v1

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
)

func internalList(annotations map[string]string) *cnat.AtList {
	return &cnat.AtList{
		ListMeta: metav1.ListMeta{ResourceVersion: "42"},
		Items: []cnat.At{
			{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"x": "y"}}, Spec: cnat.AtSpec{Command: []string{"true"}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "b", Annotations: annotations}, Status: cnat.AtStatus{Phase: cnat.AtRunning}},
		},
	}
}

// TestListConversionSharesItems: the usual list (no bookkeeping annotations) is converted without copying
// its items, and says the same as converting each At.
func TestListConversionSharesItems(t *testing.T) {
	in := internalList(map[string]string{"note": "kept"})
	var out AtList
	if err := Convert_cnat_AtList_To_v1_AtList(in, &out, nil); err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 2 || out.ResourceVersion != "42" {
		t.Fatalf("converted list: %+v", out)
	}
	if &out.Items[0].ObjectMeta != (*metav1.ObjectMeta)(&in.Items[0].ObjectMeta) {
		t.Error("items were copied, not shared")
	}
	for i := range in.Items {
		var one At
		if err := Convert_cnat_At_To_v1_At(&in.Items[i], &one, nil); err != nil {
			t.Fatal(err)
		}
		if one.Name != out.Items[i].Name || one.Annotations["note"] != out.Items[i].Annotations["note"] ||
			one.Status.Phase != out.Items[i].Status.Phase || len(one.Spec.Command) != len(out.Items[i].Spec.Command) {
			t.Errorf("item %d: %+v, converted alone: %+v", i, out.Items[i], one)
		}
	}
}

// TestListConversionDropsBookkeeping: an At with a bookkeeping annotation still loses it in v1, and
// the internal list is left as it was.
func TestListConversionDropsBookkeeping(t *testing.T) {
	in := internalList(map[string]string{cnat.ImageAnnotation: "alpine", "note": "kept"})
	var out AtList
	if err := Convert_cnat_AtList_To_v1_AtList(in, &out, nil); err != nil {
		t.Fatal(err)
	}
	if _, found := out.Items[1].Annotations[cnat.ImageAnnotation]; found || out.Items[1].Annotations["note"] != "kept" {
		t.Errorf("v1 annotations: %v", out.Items[1].Annotations)
	}
	if in.Items[1].Annotations[cnat.ImageAnnotation] != "alpine" {
		t.Error("the internal list was modified")
	}
}
