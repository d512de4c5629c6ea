package v1

import (
	"reflect"
	"testing"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
)

// TestSameLayout: Convert_cnat_AtList_To_v1_AtList reinterprets []cnat.At as []At, which is only right
// while both have the same fields, in the same order, of the same types. A field added to one version and
// not the other must fail here, not corrupt lists.
func TestSameLayout(t *testing.T) {
	sameLayout(t, reflect.TypeFor[cnat.At](), reflect.TypeFor[At](), "At")
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
