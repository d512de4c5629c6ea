package v1alpha1

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
)

// Hand-written conversions, only where v1alpha1's shape differs from the internal one. Nothing is lost in
// either direction: what v1alpha1 cannot show travels in the bookkeeping annotations of package cnat.

// v1beta1OnlyStatus is the part of the status v1alpha1 has no fields for, kept in cnat.StatusAnnotation.
// It is not an API type: no deep copy, no OpenAPI schema.
//
// +k8s:deepcopy-gen=false
// +k8s:openapi-gen=false
type v1beta1OnlyStatus struct {
	PodName            string             `json:"podName,omitempty"`
	StartTime          *metav1.Time       `json:"startTime,omitempty"`
	CompletionTime     *metav1.Time       `json:"completionTime,omitempty"`
	ObservedGeneration int64              `json:"observedGeneration,omitempty"`
	Conditions         []metav1.Condition `json:"conditions,omitempty"`
}

func (s *v1beta1OnlyStatus) empty() bool {
	return s.PodName == "" && s.StartTime == nil && s.CompletionTime == nil && s.ObservedGeneration == 0 &&
		len(s.Conditions) == 0
}

// Convert_cnat_At_To_v1alpha1_At shows an At in v1alpha1 and records in annotations what v1alpha1 cannot show.
func Convert_cnat_At_To_v1alpha1_At(in *cnat.At, out *At, s conversion.Scope) error {
	if err := autoConvert_cnat_At_To_v1alpha1_At(in, out, s); err != nil {
		return err
	}
	kept := map[string]string{}
	if raw, ok := in.Annotations[cnat.UnparsedScheduleAnnotation]; ok && in.Spec.Schedule.IsZero() {
		out.Spec.Schedule = raw
	}
	if _, isShell := cnat.ShellCommandLine(in.Spec.Command); !isShell && len(in.Spec.Command) > 0 {
		argv, err := json.Marshal(in.Spec.Command)
		if err != nil {
			return err
		}
		kept[cnat.CommandAnnotation] = string(argv)
	}
	if in.Spec.Image != cnat.DefaultImage {
		kept[cnat.ImageAnnotation] = in.Spec.Image
	}
	if in.Status.Phase == cnat.AtFailed {
		kept[cnat.PhaseAnnotation] = string(cnat.AtFailed)
	}
	extra := v1beta1OnlyStatus{
		PodName:            in.Status.PodName,
		StartTime:          in.Status.StartTime,
		CompletionTime:     in.Status.CompletionTime,
		ObservedGeneration: in.Status.ObservedGeneration,
		Conditions:         in.Status.Conditions,
	}
	if !extra.empty() {
		status, err := json.Marshal(extra)
		if err != nil {
			return err
		}
		kept[cnat.StatusAnnotation] = string(status)
	}
	// An internal object holds no bookkeeping but the unparsed schedule, which is shown as the schedule above.
	out.Annotations = cnat.WithoutBookkeepingAnnotations(in.Annotations)
	if len(kept) > 0 {
		out.Annotations = copyMap(out.Annotations) // never write into the map the input object shares
		maps.Copy(out.Annotations, kept)
	}
	return nil
}

// Convert_v1alpha1_At_To_cnat_At reads a v1alpha1 At, restoring what the bookkeeping annotations kept as
// long as the visible fields still say the same thing, and drops the annotations.
func Convert_v1alpha1_At_To_cnat_At(in *At, out *cnat.At, s conversion.Scope) error {
	if err := autoConvert_v1alpha1_At_To_cnat_At(in, out, s); err != nil {
		return err
	}
	out.Annotations = cnat.WithoutBookkeepingAnnotations(in.Annotations)

	if in.Spec.Schedule != "" && out.Spec.Schedule.IsZero() {
		// Not a time: keep it for validation to reject with a field error.
		out.Annotations = copyMap(out.Annotations)
		out.Annotations[cnat.UnparsedScheduleAnnotation] = in.Spec.Schedule
	}
	if raw, ok := in.Annotations[cnat.CommandAnnotation]; ok {
		var argv []string
		if err := json.Unmarshal([]byte(raw), &argv); err != nil {
			return bookkeepingError(cnat.CommandAnnotation, raw, "a JSON list of strings", err)
		}
		// Restore the argv only while the command line still is its rendering: a client that edited the
		// command in v1alpha1 meant the new command line.
		if len(argv) > 0 && cnat.QuoteCommandLine(argv) == in.Spec.Command {
			out.Spec.Command = argv
		}
	}
	if image, ok := in.Annotations[cnat.ImageAnnotation]; ok {
		out.Spec.Image = image
	}
	if in.Annotations[cnat.PhaseAnnotation] == string(cnat.AtFailed) && in.Status.Phase == PhaseDone {
		out.Status.Phase = cnat.AtFailed
	}
	if raw, ok := in.Annotations[cnat.StatusAnnotation]; ok {
		var extra v1beta1OnlyStatus
		if err := json.Unmarshal([]byte(raw), &extra); err != nil {
			return bookkeepingError(cnat.StatusAnnotation, raw, "a JSON object of v1beta1 status fields", err)
		}
		out.Status.PodName = extra.PodName
		out.Status.StartTime = extra.StartTime
		out.Status.CompletionTime = extra.CompletionTime
		out.Status.ObservedGeneration = extra.ObservedGeneration
		out.Status.Conditions = extra.Conditions
	}
	return nil
}

// bookkeepingError is the field error of a bookkeeping annotation that does not hold what it must: a field
// error, so that the server can name the annotation in a 422 (package bodycheck).
func bookkeepingError(annotation, value, want string, err error) *field.Error {
	return field.Invalid(field.NewPath("metadata", "annotations").Key(annotation), value,
		fmt.Sprintf("must be %s: %v", want, err))
}

// Convert_cnat_AtSpec_To_v1alpha1_AtSpec maps the fields v1alpha1 has; Convert_cnat_At_To_v1alpha1_At keeps
// the rest.
func Convert_cnat_AtSpec_To_v1alpha1_AtSpec(in *cnat.AtSpec, out *AtSpec, s conversion.Scope) error {
	out.Schedule = ""
	if !in.Schedule.IsZero() {
		out.Schedule = in.Schedule.UTC().Format(time.RFC3339)
	}
	out.Command = ""
	if line, ok := cnat.ShellCommandLine(in.Command); ok {
		out.Command = line
	} else if len(in.Command) > 0 {
		out.Command = cnat.QuoteCommandLine(in.Command)
	}
	return nil
}

// Convert_v1alpha1_AtSpec_To_cnat_AtSpec maps v1alpha1's fields. A schedule that does not parse converts to
// the zero time; Convert_v1alpha1_At_To_cnat_At records it for validation.
func Convert_v1alpha1_AtSpec_To_cnat_AtSpec(in *AtSpec, out *cnat.AtSpec, s conversion.Scope) error {
	out.Schedule = metav1.Time{}
	if t, err := ParseSchedule(in.Schedule); err == nil {
		out.Schedule = metav1.NewTime(t)
	}
	out.Command = nil
	if in.Command != "" {
		out.Command = append(slices.Clone(cnat.ShellCommand), in.Command)
	}
	// v1alpha1 Ats run in the default image unless the image annotation says otherwise.
	out.Image = cnat.DefaultImage
	return nil
}

// ParseSchedule parses a v1alpha1 schedule: an RFC 3339 time in whole seconds (any offset; it is shown back
// in UTC). Fractional seconds are refused rather than cut, because storage keeps whole seconds.
func ParseSchedule(schedule string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, schedule)
	if err != nil {
		return time.Time{}, fmt.Errorf("must be an RFC 3339 time such as 2019-04-12T10:12:00Z")
	}
	if t.Nanosecond() != 0 {
		return time.Time{}, fmt.Errorf("must be in whole seconds, such as 2019-04-12T10:12:00Z")
	}
	return t.UTC(), nil
}

// Convert_cnat_AtStatus_To_v1alpha1_AtStatus maps the phase; Convert_cnat_At_To_v1alpha1_At keeps the rest.
func Convert_cnat_AtStatus_To_v1alpha1_AtStatus(in *cnat.AtStatus, out *AtStatus, s conversion.Scope) error {
	out.Phase = phaseToV1alpha1(in.Phase)
	return nil
}

// Convert_v1alpha1_AtStatus_To_cnat_AtStatus maps the phase; DONE means Succeeded unless
// Convert_v1alpha1_At_To_cnat_At finds it was Failed.
func Convert_v1alpha1_AtStatus_To_cnat_AtStatus(in *AtStatus, out *cnat.AtStatus, s conversion.Scope) error {
	*out = cnat.AtStatus{Phase: phaseFromV1alpha1(in.Phase)}
	return nil
}

var phasesToV1alpha1 = map[cnat.AtPhase]string{
	cnat.AtPending:   PhasePending,
	cnat.AtRunning:   PhaseRunning,
	cnat.AtSucceeded: PhaseDone,
	cnat.AtFailed:    PhaseDone,
}

// phaseToV1alpha1 passes a phase it does not know through unchanged, for validation to reject.
func phaseToV1alpha1(phase cnat.AtPhase) string {
	if p, ok := phasesToV1alpha1[phase]; ok {
		return p
	}
	return string(phase)
}

var phasesFromV1alpha1 = map[string]cnat.AtPhase{
	PhasePending: cnat.AtPending,
	PhaseRunning: cnat.AtRunning,
	PhaseDone:    cnat.AtSucceeded,
}

// phaseFromV1alpha1 passes a phase it does not know through unchanged, for validation to reject.
func phaseFromV1alpha1(phase string) cnat.AtPhase {
	if p, ok := phasesFromV1alpha1[phase]; ok {
		return p
	}
	return cnat.AtPhase(phase)
}

func addFieldLabelConversionFuncs(scheme *runtime.Scheme) error {
	return scheme.AddFieldLabelConversionFunc(SchemeGroupVersion.WithKind("At"), convertFieldLabel)
}

// convertFieldLabel maps v1alpha1's field selectors onto the internal labels: its phases are upper case, and
// DONE (Succeeded or Failed) selects on whether the At finished.
func convertFieldLabel(label, value string) (string, string, error) {
	switch label {
	case cnat.FieldMetadataName, cnat.FieldMetadataNamespace:
		return label, value, nil
	case cnat.FieldStatusPhase:
		if value == PhaseDone {
			return cnat.FieldStatusFinished, "true", nil
		}
		return label, string(phaseFromV1alpha1(value)), nil
	}
	return "", "", cnat.UnsupportedFieldLabel(SchemeGroupVersion, label)
}

// copyMap returns a writable copy of m, also when m is nil.
func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
