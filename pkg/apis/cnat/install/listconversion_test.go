package install

import (
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	v1 "github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// The versions of the internal shape, whose list conversions share the internal items (cnat.SharedItems).
var internalShaped = []struct {
	version string
	at      reflect.Type
	newList func() runtime.Object
}{
	{"v1", reflect.TypeFor[v1.At](), func() runtime.Object { return &v1.AtList{} }},
	{"v1beta1", reflect.TypeFor[v1beta1.At](), func() runtime.Object { return &v1beta1.AtList{} }},
}

// convertList converts in to the version of out and returns out's items.
func convertList(t *testing.T, in *cnat.AtList, out runtime.Object) []runtime.Object {
	t.Helper()
	scheme, _ := newScheme()
	if err := scheme.Convert(in, out, nil); err != nil {
		t.Fatal(err)
	}
	items, err := meta.ExtractList(out)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// TestSameLayout: cnat.SharedItems reinterprets []cnat.At as []v1.At or []v1beta1.At, which is only right
// while both have the same fields, in the same order, of the same types. A field added to one version and
// not the other must fail here, not corrupt lists.
func TestSameLayout(t *testing.T) {
	for _, v := range internalShaped {
		t.Run(v.version, func(t *testing.T) {
			sameLayout(t, reflect.TypeFor[cnat.At](), v.at, "At")
		})
	}
}

func sameLayout(t *testing.T, internal, external reflect.Type, path string) {
	t.Helper()
	if internal == external {
		return
	}
	if internal.Kind() != external.Kind() || internal.Size() != external.Size() {
		t.Fatalf("%s: %s and %s differ in kind or size", path, internal, external)
	}
	switch internal.Kind() {
	case reflect.Struct:
		if internal.NumField() != external.NumField() {
			t.Fatalf("%s: %d fields in %s, %d in %s", path, internal.NumField(), internal, external.NumField(), external)
		}
		for i := 0; i < internal.NumField(); i++ {
			a, b := internal.Field(i), external.Field(i)
			if a.Name != b.Name || a.Offset != b.Offset {
				t.Fatalf("%s: field %d is %s at %d in %s, %s at %d in %s", path, i, a.Name, a.Offset, internal, b.Name, b.Offset, external)
			}
			sameLayout(t, a.Type, b.Type, path+"."+a.Name)
		}
	case reflect.Slice, reflect.Pointer, reflect.Array:
		sameLayout(t, internal.Elem(), external.Elem(), path+"[]")
	case reflect.String, reflect.Int64, reflect.Int32, reflect.Bool:
		// a named string or number (such as AtPhase) of the same kind and size
	default:
		t.Fatalf("%s: %s and %s are different types", path, internal, external)
	}
}

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
	scheme, _ := newScheme()
	for _, v := range internalShaped {
		t.Run(v.version, func(t *testing.T) {
			in := internalList(map[string]string{"note": "kept"})
			out := v.newList()
			items := convertList(t, in, out)
			if len(items) != 2 || out.(metav1.ListInterface).GetResourceVersion() != "42" {
				t.Fatalf("converted list: %+v", out)
			}
			if reflect.ValueOf(items[0]).Pointer() != reflect.ValueOf(&in.Items[0]).Pointer() {
				t.Error("items were copied, not shared")
			}
			for i := range in.Items {
				one := reflect.New(v.at).Interface()
				if err := scheme.Convert(&in.Items[i], one, nil); err != nil {
					t.Fatal(err)
				}
				if !apiequality.Semantic.DeepEqual(one, items[i]) {
					t.Errorf("item %d differs from the At converted alone (-alone +in list):\n%s", i, cmp.Diff(one, items[i]))
				}
			}
		})
	}
}

// TestListConversionDropsBookkeeping: an At with a bookkeeping annotation still loses it, and the internal
// list is left as it was.
func TestListConversionDropsBookkeeping(t *testing.T) {
	for _, v := range internalShaped {
		t.Run(v.version, func(t *testing.T) {
			in := internalList(map[string]string{cnat.ImageAnnotation: "alpine", "note": "kept"})
			annotations := convertList(t, in, v.newList())[1].(metav1.Object).GetAnnotations()
			if _, found := annotations[cnat.ImageAnnotation]; found || annotations["note"] != "kept" {
				t.Errorf("%s annotations: %v", v.version, annotations)
			}
			if in.Items[1].Annotations[cnat.ImageAnnotation] != "alpine" {
				t.Error("the internal list was modified")
			}
		})
	}
}
