package install

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	v1 "github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/validation"
)

const fixtures = "../testdata/conversion"

func newScheme() (*runtime.Scheme, serializer.CodecFactory) {
	scheme := runtime.NewScheme()
	Install(scheme)
	return scheme, serializer.NewCodecFactory(scheme)
}

// convertVia converts in to out through the internal version, as the server does.
func convertVia(t *testing.T, scheme *runtime.Scheme, in, out runtime.Object) {
	t.Helper()
	internal := &cnat.At{}
	if err := scheme.Convert(in, internal, nil); err != nil {
		t.Fatalf("%T to internal: %v", in, err)
	}
	if err := scheme.Convert(internal, out, nil); err != nil {
		t.Fatalf("internal to %T: %v", out, err)
	}
}

func decodeFile(t *testing.T, codecs serializer.CodecFactory, path string) runtime.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	obj, _, err := codecs.UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return obj
}

// versions are the served versions and a new object of each.
var versions = []struct {
	name string
	new  func() runtime.Object
}{
	{"v1", func() runtime.Object { return &v1.At{} }},
	{"v1beta1", func() runtime.Object { return &v1beta1.At{} }},
	{"v1alpha1", func() runtime.Object { return &v1alpha1.At{} }},
}

// TestConversionFixtures converts each fixture from every version to every other and compares with its twin
// there.
func TestConversionFixtures(t *testing.T) {
	scheme, codecs := newScheme()
	dirs, err := os.ReadDir(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 4 {
		t.Fatalf("expected at least 4 fixtures in %s, found %d", fixtures, len(dirs))
	}
	for _, dir := range dirs {
		fixture := map[string]runtime.Object{}
		for _, v := range versions {
			obj := decodeFile(t, codecs, filepath.Join(fixtures, dir.Name(), v.name+".yaml"))
			if got, want := reflect.TypeOf(obj), reflect.TypeOf(v.new()); got != want {
				t.Fatalf("%s/%s.yaml is a %s, want %s", dir.Name(), v.name, got, want)
			}
			obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
			fixture[v.name] = obj
		}
		for _, from := range versions {
			for _, to := range versions {
				if from.name == to.name {
					continue
				}
				t.Run(dir.Name()+"/"+from.name+"-to-"+to.name, func(t *testing.T) {
					got := to.new()
					convertVia(t, scheme, fixture[from.name], got)
					if want := fixture[to.name]; !apiequality.Semantic.DeepEqual(want, got) {
						t.Errorf("(-want +got):\n%s", cmp.Diff(want, got))
					}
				})
			}
		}
	}
}

// TestReadModifyWriteInV1alpha1 is what kubectl edit does in v1alpha1: read the JSON, change a label, write it
// back. The v1beta1 spec must come back exactly.
func TestReadModifyWriteInV1alpha1(t *testing.T) {
	scheme, codecs := newScheme()
	original := &v1beta1.At{
		ObjectMeta: metav1.ObjectMeta{Name: "rmw", Namespace: "default"},
		Spec: v1beta1.AtSpec{
			Schedule: metav1.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
			Command:  []string{"echo", "a b"},
			Image:    "alpine:3.20",
		},
	}
	internal := &cnat.At{}
	if err := scheme.Convert(original, internal, nil); err != nil {
		t.Fatal(err)
	}
	wire, err := runtime.Encode(codecs.LegacyCodec(v1alpha1.SchemeGroupVersion), internal)
	if err != nil {
		t.Fatal(err)
	}

	// The client's side: plain v1alpha1 JSON, one label added.
	var shown v1alpha1.At
	if err := json.Unmarshal(wire, &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Spec.Command != "echo 'a b'" {
		t.Errorf("v1alpha1 command = %q, want the shell-quoted argv %q", shown.Spec.Command, "echo 'a b'")
	}
	shown.Labels = map[string]string{"edited": "true"}
	edited, err := json.Marshal(&shown)
	if err != nil {
		t.Fatal(err)
	}

	back, err := runtime.Decode(codecs.UniversalDecoder(), edited)
	if err != nil {
		t.Fatal(err)
	}
	got := &v1beta1.At{}
	if err := scheme.Convert(back, got, nil); err != nil {
		t.Fatal(err)
	}
	if !apiequality.Semantic.DeepEqual(original.Spec, got.Spec) {
		t.Errorf("spec changed (-original +got):\n%s", cmp.Diff(original.Spec, got.Spec))
	}
	if got.Labels["edited"] != "true" {
		t.Errorf("label lost: %v", got.Labels)
	}
	for k := range got.Annotations {
		if cnat.IsBookkeepingAnnotation(k) {
			t.Errorf("v1beta1 shows bookkeeping annotation %s", k)
		}
	}
}

// TestEditsInV1alpha1WinOverBookkeeping: a v1alpha1 client that changes what it can see means the change; a
// bookkeeping annotation that no longer matches is dropped, not applied.
func TestEditsInV1alpha1WinOverBookkeeping(t *testing.T) {
	scheme, codecs := newScheme()
	alpha := decodeFile(t, codecs, filepath.Join(fixtures, "argv-quoting", "v1alpha1.yaml")).(*v1alpha1.At)
	alpha.Spec.Command = "echo changed"
	got := &v1beta1.At{}
	convertVia(t, scheme, alpha, got)
	if want := []string{"/bin/sh", "-c", "echo changed"}; !apiequality.Semantic.DeepEqual(want, got.Spec.Command) {
		t.Errorf("command = %q, want %q", got.Spec.Command, want)
	}

	failed := decodeFile(t, codecs, filepath.Join(fixtures, "failed", "v1alpha1.yaml")).(*v1alpha1.At)
	failed.Status.Phase = v1alpha1.PhaseRunning
	got = &v1beta1.At{}
	convertVia(t, scheme, failed, got)
	if got.Status.Phase != v1beta1.AtRunning {
		t.Errorf("phase = %q, want Running: the Failed annotation only refines DONE", got.Status.Phase)
	}
}

func TestMalformedBookkeepingAnnotationIsAnError(t *testing.T) {
	scheme, _ := newScheme()
	for _, key := range []string{cnat.CommandAnnotation, cnat.StatusAnnotation} {
		alpha := &v1alpha1.At{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{key: "{not json"}}}
		err := scheme.Convert(alpha, &cnat.At{}, nil)
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: error %v, want one naming the annotation", key, err)
		}
	}
}

// TestUnparsableSchedule: a v1alpha1 schedule that is no time is rejected by validation naming spec.schedule,
// never silently zeroed, and is shown back as written.
func TestUnparsableSchedule(t *testing.T) {
	scheme, codecs := newScheme()
	for _, schedule := range []string{"next tuesday", "2019-04-12 10:12", "2019-04-12T10:12:00.5Z"} {
		body := `{"apiVersion":"cnat.programming-kubernetes.info/v1alpha1","kind":"At",` +
			`"metadata":{"name":"bad","namespace":"default"},"spec":{"schedule":"` + schedule + `","command":"true"}}`
		obj, err := runtime.Decode(codecs.UniversalDecoder(), []byte(body))
		if err != nil {
			t.Fatalf("%q: decoding must not fail (validation reports it): %v", schedule, err)
		}
		internal := obj.(*cnat.At)
		internal.Status.Phase = cnat.AtPending
		errs := validation.ValidateAt(internal)
		if len(errs) != 1 || errs[0].Field != "spec.schedule" || errs[0].BadValue != schedule {
			t.Errorf("%q: errors %v, want one Invalid spec.schedule with the value as written", schedule, errs)
		}

		shown := &v1alpha1.At{}
		if err := scheme.Convert(internal, shown, nil); err != nil {
			t.Fatal(err)
		}
		if shown.Spec.Schedule != schedule {
			t.Errorf("shown back as %q, want %q", shown.Spec.Schedule, schedule)
		}
		beta := &v1beta1.At{}
		if err := scheme.Convert(internal, beta, nil); err != nil {
			t.Fatal(err)
		}
		if len(beta.Annotations) != 0 {
			t.Errorf("v1beta1 shows annotations %v", beta.Annotations)
		}
	}
}

func TestScheduleInOtherOffsetIsShownInUTC(t *testing.T) {
	scheme, _ := newScheme()
	alpha := &v1alpha1.At{Spec: v1alpha1.AtSpec{Schedule: "2019-04-12T12:12:00+02:00", Command: "true"}}
	beta := &v1beta1.At{}
	convertVia(t, scheme, alpha, beta)
	if want := metav1.Date(2019, 4, 12, 10, 12, 0, 0, time.UTC); !beta.Spec.Schedule.Equal(&want) {
		t.Errorf("schedule = %v, want %v", beta.Spec.Schedule, want)
	}
	back := &v1alpha1.At{}
	convertVia(t, scheme, beta, back)
	if back.Spec.Schedule != "2019-04-12T10:12:00Z" {
		t.Errorf("shown back as %q", back.Spec.Schedule)
	}
}

// TestDefaulting: an At written in v1 or v1beta1 without an image gets the default, which their +default
// markers say (and the OpenAPI schema with them). An At read back from storage (in either version) keeps the
// image written at its create, even the default of an older release: defaulting fills only an empty image,
// so changing the default rewrites no stored At.
func TestDefaulting(t *testing.T) {
	_, codecs := newScheme()
	for _, version := range []string{"v1", "v1beta1"} {
		for image, want := range map[string]string{"": cnat.DefaultImage, "busybox": "busybox"} {
			body := `{"apiVersion":"cnat.programming-kubernetes.info/` + version + `","kind":"At","metadata":{"name":"d"},` +
				`"spec":{"schedule":"2030-01-01T00:00:00Z","command":["true"],"image":"` + image + `"}}`
			obj, err := runtime.Decode(codecs.UniversalDecoder(), []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if got := obj.(*cnat.At).Spec.Image; got != want {
				t.Errorf("%s, image %q: image = %q, want %q", version, image, got, want)
			}
		}
	}
}

func TestFieldLabelConversion(t *testing.T) {
	scheme, _ := newScheme()
	tests := []struct {
		version            string
		label, value       string
		wantLabel, wantVal string
		wantErr            bool
	}{
		{"v1alpha1", "status.phase", "PENDING", "status.phase", "Pending", false},
		{"v1alpha1", "status.phase", "RUNNING", "status.phase", "Running", false},
		{"v1alpha1", "status.phase", "DONE", "status.finished", "true", false},
		{"v1alpha1", "metadata.name", "x", "metadata.name", "x", false},
		{"v1alpha1", "spec.command", "x", "", "", true},
		{"v1beta1", "status.phase", "Failed", "status.phase", "Failed", false},
		{"v1beta1", "metadata.namespace", "ns", "metadata.namespace", "ns", false},
		{"v1beta1", "status.finished", "true", "", "", true},
		{"v1", "status.phase", "Succeeded", "status.phase", "Succeeded", false},
		{"v1", "metadata.name", "x", "metadata.name", "x", false},
		{"v1", "metadata.namespace", "ns", "metadata.namespace", "ns", false},
		{"v1", "status.finished", "true", "", "", true},
		{"v1", "spec.image", "x", "", "", true},
	}
	for _, tc := range tests {
		gvk := v1beta1.SchemeGroupVersion.WithKind("At")
		gvk.Version = tc.version
		label, value, err := scheme.ConvertFieldLabel(gvk, tc.label, tc.value)
		if (err != nil) != tc.wantErr || label != tc.wantLabel || value != tc.wantVal {
			t.Errorf("%s %s=%s: got %s=%s, %v", tc.version, tc.label, tc.value, label, value, err)
		}
	}
}
