package bodycheck

import (
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

func TestCheckTypes(t *testing.T) {
	at := reflect.TypeFor[v1beta1.At]()
	for _, tc := range []struct {
		name     string
		document string
		want     []string // "field: type" of each error
	}{
		{"a valid At", `{"apiVersion":"x/v1","kind":"At","metadata":{"name":"a","labels":{"k":"v"},"creationTimestamp":null},
			"spec":{"schedule":"2019-04-12T10:12:00Z","command":["echo","hi"]},"status":{"observedGeneration":3,"conditions":[]}}`, nil},
		{"nulls fit anything", `{"metadata":null,"spec":{"schedule":null,"command":null}}`, nil},
		{"unknown fields are not its concern", `{"spec":{"frobnicate":[1]},"extra":true}`, nil},
		{"a command line for an argv", `{"spec":{"command":"echo hi"}}`, []string{"spec.command: FieldValueTypeInvalid"}},
		{"a time that does not parse", `{"spec":{"schedule":"tomorrow"}}`, []string{"spec.schedule: FieldValueInvalid"}},
		{"a number for a time", `{"spec":{"schedule":5}}`, []string{"spec.schedule: FieldValueTypeInvalid"}},
		{"every error at once", `{"kind":5,"metadata":{"labels":{"a":1,"b":"x"},"finalizers":"f"},"spec":{"command":[1,"x",true]}}`,
			[]string{"kind: FieldValueTypeInvalid", "metadata.labels[a]: FieldValueTypeInvalid", "metadata.finalizers: FieldValueTypeInvalid",
				"spec.command[0]: FieldValueTypeInvalid", "spec.command[2]: FieldValueTypeInvalid"}},
		{"a fraction for an integer", `{"status":{"observedGeneration":1.5}}`, []string{"status.observedGeneration: FieldValueTypeInvalid"}},
		{"an object for a string", `{"spec":{"image":{"name":"busybox"}}}`, []string{"spec.image: FieldValueTypeInvalid"}},
		{"a list for an object", `{"spec":[]}`, []string{"spec: FieldValueTypeInvalid"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var document any
			if err := decode([]byte(tc.document), &document); err != nil {
				t.Fatal(err)
			}
			if got := summarize(CheckTypes(document, at, nil)); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	var document any
	_ = decode([]byte(`{"spec":{"command":"echo hi","schedule":"soon"},"metadata":{"labels":[]}}`), &document)
	got := CheckTypes(document, reflect.TypeFor[v1beta1.At](), nil).ToAggregate().Error()
	for _, want := range []string{
		`spec.command: Invalid value: "echo hi": must be a list of strings`,
		`spec.schedule: Invalid value: "soon": must be an RFC 3339 date-time, such as 2019-04-12T10:12:00Z`,
		`metadata.labels: Invalid value: "list": must be an object of strings`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("%q does not say %q", got, want)
		}
	}
}

func TestTypeAtPointer(t *testing.T) {
	at := reflect.TypeFor[v1beta1.At]()
	for _, tc := range []struct {
		pointer, path, typ string // path "" when the pointer leads nowhere in the type
	}{
		{"/spec/command", "spec.command", "[]string"},
		{"/spec/command/0", "spec.command[0]", "string"},
		{"/spec/command/-", "spec.command[-]", "string"},
		{"/metadata/labels/app.kubernetes.io~1name", "metadata.labels[app.kubernetes.io/name]", "string"},
		{"/status/conditions/0/status", "status.conditions[0].status", "v1.ConditionStatus"},
		{"/kind", "kind", "string"},
		{"/spec/schedule/year", "", ""}, // a time has no fields
		{"/spec/nosuchfield", "", ""},
		{"/spec/command/x", "", ""},
		{"spec", "", ""},
	} {
		typ, path, ok := typeAtPointer(at, tc.pointer)
		if !ok {
			if tc.path != "" {
				t.Errorf("%s: leads nowhere, want %s", tc.pointer, tc.path)
			}
			continue
		}
		if path.String() != tc.path || typ.String() != tc.typ {
			t.Errorf("%s: %s %s, want %s %s", tc.pointer, path, typ, tc.path, tc.typ)
		}
	}
}

func summarize(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field+": "+string(e.Type))
	}
	return out
}
