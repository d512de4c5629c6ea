package bodycheck

import (
	"reflect"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// jsonPatchOperation is an operation of a JSON patch (RFC 6902).
type jsonPatchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// checkJSONPatch checks the value of each add and replace operation against the type at its path in t. An
// operation whose path does not lead to a field of t, or that moves or copies a value, is left to the
// server: it reports it on the patched object.
func checkJSONPatch(operations []jsonPatchOperation, t reflect.Type) field.ErrorList {
	var errs field.ErrorList
	for _, op := range operations {
		if op.Op != "add" && op.Op != "replace" {
			continue
		}
		if target, path, ok := typeAtPointer(t, op.Path); ok {
			errs = append(errs, CheckTypes(op.Value, target, path)...)
		}
	}
	return errs
}

// typeAtPointer returns the type of the value a JSON pointer (RFC 6901) designates in a document of type t,
// and its field path.
func typeAtPointer(t reflect.Type, pointer string) (reflect.Type, *field.Path, bool) {
	if !strings.HasPrefix(pointer, "/") {
		return nil, nil, false
	}
	var path *field.Path
	for _, token := range strings.Split(pointer[1:], "/") {
		token = strings.NewReplacer("~1", "/", "~0", "~").Replace(token)
		t = indirect(t)
		if decodesItself(t) {
			return nil, nil, false
		}
		switch t.Kind() {
		case reflect.Struct:
			found := false
			for _, f := range jsonFields(t) {
				if f.name == token {
					t, path, found = f.typ, child(path, token), true
					break
				}
			}
			if !found {
				return nil, nil, false
			}
		case reflect.Map:
			t, path = t.Elem(), key(path, token)
		case reflect.Slice, reflect.Array:
			if token == "-" {
				t, path = t.Elem(), key(path, token) // appended: no index yet
				continue
			}
			i, err := strconv.Atoi(token)
			if err != nil {
				return nil, nil, false
			}
			t, path = t.Elem(), index(path, i)
		default:
			return nil, nil, false
		}
	}
	return t, path, path != nil
}
