package validation

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
)

var (
	t0 = metav1.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 = metav1.Date(2030, 1, 1, 0, 0, 5, 0, time.UTC)
)

func validAt() *cnat.At {
	return &cnat.At{
		ObjectMeta: metav1.ObjectMeta{Name: "example-at", Namespace: "default", ResourceVersion: "1"},
		Spec: cnat.AtSpec{
			Schedule: t0,
			Command:  []string{"/bin/sh", "-c", "echo YAY"},
			Image:    "busybox",
		},
		Status: cnat.AtStatus{Phase: cnat.AtPending},
	}
}

func condition(typ string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Reason: "PodCreated", LastTransitionTime: t0}
}

// wantErrors checks that errs hold exactly the wanted "type field" pairs, e.g. "FieldValueRequired spec.image".
func wantErrors(t *testing.T, errs field.ErrorList, want ...string) {
	t.Helper()
	var got []string
	for _, e := range errs {
		got = append(got, string(e.Type)+" "+e.Field)
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("errors:\n  got  %q\n  want %q\n  (%v)", got, want, errs)
	}
}

func TestValidateAt(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*cnat.At)
		want   []string
	}{
		{"valid", func(*cnat.At) {}, nil},
		{"valid image with registry, tag and digest", func(a *cnat.At) {
			a.Spec.Image = "registry.example:5000/team/tool:v1@sha256:" + strings.Repeat("a", 64)
		}, nil},
		{"missing namespace", func(a *cnat.At) { a.Namespace = "" }, []string{"FieldValueRequired metadata.namespace"}},
		{"name not a DNS subdomain", func(a *cnat.At) { a.Name = "Example_At" }, []string{"FieldValueInvalid metadata.name"}},
		{"missing name", func(a *cnat.At) { a.Name = "" }, []string{"FieldValueRequired metadata.name"}},
		{"missing schedule", func(a *cnat.At) { a.Spec.Schedule = metav1.Time{} }, []string{"FieldValueRequired spec.schedule"}},
		{"unparsed v1alpha1 schedule", func(a *cnat.At) {
			a.Spec.Schedule = metav1.Time{}
			a.Annotations = map[string]string{cnat.UnparsedScheduleAnnotation: "soon"}
		}, []string{"FieldValueInvalid spec.schedule"}},
		{"no command", func(a *cnat.At) { a.Spec.Command = nil }, []string{"FieldValueRequired spec.command"}},
		{"empty command", func(a *cnat.At) { a.Spec.Command = []string{} }, []string{"FieldValueRequired spec.command"}},
		{"empty argv[0]", func(a *cnat.At) { a.Spec.Command = []string{"", "x"} }, []string{"FieldValueInvalid spec.command[0]"}},
		{"empty later argument is fine", func(a *cnat.At) { a.Spec.Command = []string{"printf", ""} }, nil},
		{"no image", func(a *cnat.At) { a.Spec.Image = "" }, []string{"FieldValueRequired spec.image"}},
		{"image with upper case repository", func(a *cnat.At) { a.Spec.Image = "BusyBox" }, []string{"FieldValueInvalid spec.image"}},
		{"image with spaces", func(a *cnat.At) { a.Spec.Image = "busy box" }, []string{"FieldValueInvalid spec.image"}},
		{"image with bad digest", func(a *cnat.At) { a.Spec.Image = "busybox@sha256:123" }, []string{"FieldValueInvalid spec.image"}},
		{"unknown phase", func(a *cnat.At) { a.Status.Phase = "DONE" }, []string{"FieldValueNotSupported status.phase"}},
		{"several problems at once", func(a *cnat.At) {
			a.Spec = cnat.AtSpec{}
		}, []string{"FieldValueRequired spec.schedule", "FieldValueRequired spec.command", "FieldValueRequired spec.image"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at := validAt()
			tc.modify(at)
			wantErrors(t, ValidateAt(at), tc.want...)
		})
	}
}

func TestValidateAtUpdate(t *testing.T) {
	tests := []struct {
		name     string
		oldPhase cnat.AtPhase
		modify   func(*cnat.At)
		want     []string
	}{
		{"labels change while running", cnat.AtRunning, func(a *cnat.At) { a.Labels = map[string]string{"a": "b"} }, nil},
		{"spec changes while pending", cnat.AtPending, func(a *cnat.At) { a.Spec.Command = []string{"date"} }, nil},
		{"spec changes while running", cnat.AtRunning, func(a *cnat.At) { a.Spec.Image = "alpine" }, []string{"FieldValueForbidden spec"}},
		{"spec changes once succeeded", cnat.AtSucceeded, func(a *cnat.At) { a.Spec.Schedule = t1 }, []string{"FieldValueForbidden spec"}},
		{"spec changes once failed", cnat.AtFailed, func(a *cnat.At) { a.Spec.Command = []string{"true"} }, []string{"FieldValueForbidden spec"}},
		{"invalid spec while pending", cnat.AtPending, func(a *cnat.At) { a.Spec.Command = nil }, []string{"FieldValueRequired spec.command"}},
		{"name changes", cnat.AtPending, func(a *cnat.At) { a.Name = "other" }, []string{"FieldValueInvalid metadata.name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validAt()
			old.Status.Phase = tc.oldPhase
			updated := old.DeepCopy()
			tc.modify(updated)
			wantErrors(t, ValidateAtUpdate(updated, old), tc.want...)
		})
	}
}

func TestValidateAtStatusUpdate(t *testing.T) {
	phases := []cnat.AtPhase{cnat.AtPending, cnat.AtRunning, cnat.AtSucceeded, cnat.AtFailed}
	allowed := map[[2]cnat.AtPhase]bool{
		{cnat.AtPending, cnat.AtPending}: true, {cnat.AtPending, cnat.AtRunning}: true,
		{cnat.AtRunning, cnat.AtRunning}: true, {cnat.AtRunning, cnat.AtSucceeded}: true, {cnat.AtRunning, cnat.AtFailed}: true,
		{cnat.AtSucceeded, cnat.AtSucceeded}: true, {cnat.AtFailed, cnat.AtFailed}: true,
	}
	for _, from := range phases {
		for _, to := range phases {
			old := validAt()
			old.Status.Phase = from
			updated := old.DeepCopy()
			updated.Status.Phase = to
			errs := ValidateAtStatusUpdate(updated, old)
			if allowed[[2]cnat.AtPhase{from, to}] {
				wantErrors(t, errs)
			} else {
				wantErrors(t, errs, "FieldValueForbidden status.phase")
			}
		}
	}

	tests := []struct {
		name   string
		modify func(*cnat.At)
		want   []string
	}{
		{"full running status", func(a *cnat.At) {
			a.Status = cnat.AtStatus{Phase: cnat.AtRunning, PodName: "example-at-x7k2p", StartTime: &t0,
				ObservedGeneration: 1, Conditions: []metav1.Condition{condition("Started")}}
		}, nil},
		{"empty phase", func(a *cnat.At) { a.Status.Phase = "" }, []string{"FieldValueNotSupported status.phase"}},
		{"v1alpha1 spelling of a phase", func(a *cnat.At) { a.Status.Phase = "RUNNING" }, []string{"FieldValueNotSupported status.phase"}},
		{"completion before start", func(a *cnat.At) {
			a.Status = cnat.AtStatus{Phase: cnat.AtRunning, StartTime: &t1, CompletionTime: &t0}
		}, []string{"FieldValueInvalid status.completionTime"}},
		{"completion at start", func(a *cnat.At) {
			a.Status = cnat.AtStatus{Phase: cnat.AtRunning, StartTime: &t0, CompletionTime: &t0}
		}, nil},
		{"bad pod name", func(a *cnat.At) { a.Status.PodName = "Pod Name" }, []string{"FieldValueInvalid status.podName"}},
		{"negative observed generation", func(a *cnat.At) { a.Status.ObservedGeneration = -1 }, []string{"FieldValueInvalid status.observedGeneration"}},
		{"duplicate condition type", func(a *cnat.At) {
			a.Status.Conditions = []metav1.Condition{condition("Started"), condition("Started")}
		}, []string{"FieldValueDuplicate status.conditions[1]"}},
		{"condition without reason", func(a *cnat.At) {
			c := condition("Started")
			c.Reason = ""
			a.Status.Conditions = []metav1.Condition{c}
		}, []string{"FieldValueRequired status.conditions[0].reason"}},
		{"condition with bad status", func(a *cnat.At) {
			c := condition("Started")
			c.Status = "Maybe"
			a.Status.Conditions = []metav1.Condition{c}
		}, []string{"FieldValueNotSupported status.conditions[0].status"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validAt()
			updated := old.DeepCopy()
			tc.modify(updated)
			if updated.Status.Phase == cnat.AtRunning {
				old.Status.Phase = cnat.AtRunning
			}
			wantErrors(t, ValidateAtStatusUpdate(updated, old), tc.want...)
		})
	}
}

func TestScheduleWarnings(t *testing.T) {
	now := t0.Time
	at := validAt()
	at.Spec.Schedule = metav1.NewTime(now.Add(-time.Minute))
	warnings := ScheduleWarnings(at, now)
	if len(warnings) != 1 || !strings.Contains(warnings[0], "runs immediately") || !strings.HasPrefix(warnings[0], "spec.schedule") {
		t.Errorf("past schedule: warnings %q", warnings)
	}
	at.Spec.Schedule = metav1.NewTime(now.Add(time.Minute))
	if warnings := ScheduleWarnings(at, now); len(warnings) != 0 {
		t.Errorf("future schedule: warnings %q", warnings)
	}
	at.Spec.Schedule = metav1.Time{}
	if warnings := ScheduleWarnings(at, now); len(warnings) != 0 {
		t.Errorf("missing schedule (an error, not a warning): warnings %q", warnings)
	}
}
