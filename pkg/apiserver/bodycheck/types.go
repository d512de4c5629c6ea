package bodycheck

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// CheckTypes reports every value of a JSON document (decoded with json.Decoder.UseNumber) that cannot be
// decoded into a value of Go type t, with its field path under path (nil for the document itself): what
// the server's decoder would fail on, all at once and each with its place, rather than the first one as a
// decode error. It follows encoding/json: a value of a type with its own UnmarshalJSON (metav1.Time, …) is
// tried with it; null fits anything; fields t does not have are not its concern (strict field validation
// reports them).
func CheckTypes(value any, t reflect.Type, path *field.Path) field.ErrorList {
	if value == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if decodesItself(t) || isScalar(t) {
		return checkScalar(value, t, path)
	}
	var errs field.ErrorList
	switch t.Kind() {
	case reflect.Struct:
		object, ok := value.(map[string]any)
		if !ok {
			return field.ErrorList{typeInvalid(path, value, t)}
		}
		for _, f := range jsonFields(t) {
			if v, found := object[f.name]; found {
				errs = append(errs, CheckTypes(v, f.typ, child(path, f.name))...)
			}
		}
	case reflect.Map:
		object, ok := value.(map[string]any)
		if !ok {
			return field.ErrorList{typeInvalid(path, value, t)}
		}
		for _, k := range sortedKeys(object) {
			errs = append(errs, CheckTypes(object[k], t.Elem(), key(path, k))...)
		}
	case reflect.Slice, reflect.Array:
		list, ok := value.([]any)
		if !ok {
			return field.ErrorList{typeInvalid(path, value, t)}
		}
		for i, v := range list {
			errs = append(errs, CheckTypes(v, t.Elem(), index(path, i))...)
		}
	}
	return errs
}

// checkScalar tries to decode value into a t, as the decoder will.
func checkScalar(value any, t reflect.Type, path *field.Path) field.ErrorList {
	data, err := json.Marshal(value)
	if err != nil {
		return field.ErrorList{field.Invalid(path, shown(value), err.Error())}
	}
	if err := json.Unmarshal(data, reflect.New(t).Interface()); err == nil {
		return nil
	}
	if _, isString := value.(string); isString && isTime(t) {
		// The right JSON type, a string, but not a time.
		return field.ErrorList{field.Invalid(path, value, "must be "+describe(t)+", such as 2019-04-12T10:12:00Z")}
	}
	if decodesItself(t) && !isTime(t) {
		return field.ErrorList{field.Invalid(path, shown(value), err.Error())}
	}
	return field.ErrorList{typeInvalid(path, value, t)}
}

func typeInvalid(path *field.Path, value any, t reflect.Type) *field.Error {
	return field.TypeInvalid(path, shown(value), "must be "+describe(t))
}

var (
	timeTypes = []reflect.Type{reflect.TypeFor[metav1.Time](), reflect.TypeFor[metav1.MicroTime]()}
	jsonType  = reflect.TypeFor[json.Unmarshaler]()
	textType  = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func isTime(t reflect.Type) bool { return slices.Contains(timeTypes, t) }

// decodesItself tells whether t (or *t) has its own UnmarshalJSON or UnmarshalText.
func decodesItself(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonType) || p.Implements(jsonType) || t.Implements(textType) || p.Implements(textType)
}

func isScalar(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.String, reflect.Interface,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8 // []byte: a base64 string
	}
	return false
}

// describe names what a JSON value of Go type t is: "a string", "a list of strings", "an object", ….
func describe(t reflect.Type) string { return nouns(t)[0] }

// nouns returns the singular and the plural of what a value of t is.
func nouns(t reflect.Type) [2]string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case isTime(t):
		return [2]string{"an RFC 3339 date-time", "RFC 3339 date-times"}
	case decodesItself(t):
		return [2]string{"a " + t.String(), t.String() + " values"}
	}
	switch t.Kind() {
	case reflect.String:
		return [2]string{"a string", "strings"}
	case reflect.Bool:
		return [2]string{"a boolean", "booleans"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return [2]string{"an integer", "integers"}
	case reflect.Float32, reflect.Float64:
		return [2]string{"a number", "numbers"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return [2]string{"a base64 string", "base64 strings"}
		}
		return [2]string{"a list of " + nouns(t.Elem())[1], "lists"}
	case reflect.Map:
		return [2]string{"an object of " + nouns(t.Elem())[1], "objects"}
	}
	return [2]string{"an object", "objects"}
}

// shown is the value a field error shows: a scalar as itself, a list or an object by its JSON type (a whole
// object would make an unreadable message).
func shown(value any) any {
	switch v := value.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "list"
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		return v.String()
	}
	return value
}

type jsonField struct {
	name string
	typ  reflect.Type
}

// jsonFields lists the fields of struct type t under their JSON names, those of embedded structs without a
// name of their own (metav1.TypeMeta) among them, as encoding/json sees them.
func jsonFields(t reflect.Type) []jsonField {
	var fields []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			if embedded := indirect(f.Type); embedded.Kind() == reflect.Struct {
				fields = append(fields, jsonFields(embedded)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields = append(fields, jsonField{name: name, typ: f.Type})
	}
	return fields
}

func indirect(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func child(path *field.Path, name string) *field.Path {
	if path == nil {
		return field.NewPath(name)
	}
	return path.Child(name)
}

func key(path *field.Path, k string) *field.Path {
	if path == nil {
		return field.NewPath(k)
	}
	return path.Key(k)
}

func index(path *field.Path, i int) *field.Path {
	if path == nil {
		return field.NewPath(fmt.Sprintf("[%d]", i))
	}
	return path.Index(i)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
