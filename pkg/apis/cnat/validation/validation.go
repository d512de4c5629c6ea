// Package validation checks internal At objects and reports every problem with its field path, so that the
// server answers 422 Invalid naming each bad field.
package validation

import (
	"fmt"
	"slices"
	"time"

	"github.com/distribution/reference"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
)

// ValidateAt validates a new At.
func ValidateAt(at *cnat.At) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&at.ObjectMeta, true,
		apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, validateAtSpec(at, field.NewPath("spec"))...)
	allErrs = append(allErrs, validateAtStatus(&at.Status, field.NewPath("status"))...)
	return allErrs
}

// ValidateAtUpdate validates an update of an At's main resource: the spec may change only while the At is
// Pending (afterwards it describes a Pod that already exists).
func ValidateAtUpdate(newAt, oldAt *cnat.At) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&newAt.ObjectMeta, &oldAt.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateAtSpec(newAt, field.NewPath("spec"))...)
	if oldAt.Status.Phase != cnat.AtPending && !apiequality.Semantic.DeepEqual(newAt.Spec, oldAt.Spec) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec"),
			fmt.Sprintf("is immutable once the At is no longer Pending (it is %s)", oldAt.Status.Phase)))
	}
	return allErrs
}

// ValidateAtStatusUpdate validates an update through the status subresource.
func ValidateAtStatusUpdate(newAt, oldAt *cnat.At) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&newAt.ObjectMeta, &oldAt.ObjectMeta, field.NewPath("metadata"))
	statusPath := field.NewPath("status")
	allErrs = append(allErrs, validateAtStatus(&newAt.Status, statusPath)...)
	allErrs = append(allErrs, validatePhaseTransition(newAt.Status.Phase, oldAt.Status.Phase, statusPath.Child("phase"))...)
	return allErrs
}

// ScheduleWarnings returns the warnings for an At whose schedule is already past: it is allowed, and runs as
// soon as the controller sees it.
func ScheduleWarnings(at *cnat.At, now time.Time) []string {
	if at.Spec.Schedule.IsZero() || !at.Spec.Schedule.Time.Before(now) {
		return nil
	}
	return []string{fmt.Sprintf("spec.schedule: %s is in the past: the At runs immediately",
		at.Spec.Schedule.UTC().Format(time.RFC3339))}
}

func validateAtSpec(at *cnat.At, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	spec := &at.Spec

	if raw, unparsed := at.Annotations[cnat.UnparsedScheduleAnnotation]; unparsed {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("schedule"), raw,
			"must be an RFC 3339 time in whole seconds, such as 2019-04-12T10:12:00Z"))
	} else if spec.Schedule.IsZero() {
		allErrs = append(allErrs, field.Required(fldPath.Child("schedule"), "the time the command is due"))
	}

	if len(spec.Command) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("command"), "the command to run"))
	} else if spec.Command[0] == "" {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("command").Index(0), "", "must name the program to run"))
	}

	if spec.Image == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("image"), "the image to run the command in"))
	} else if _, err := reference.ParseNormalizedNamed(spec.Image); err != nil {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("image"), spec.Image,
			fmt.Sprintf("must be an image reference such as busybox:1.36 or registry.example/team/tool@sha256:…: %v", err)))
	}
	return allErrs
}

var validPhases = []cnat.AtPhase{cnat.AtPending, cnat.AtRunning, cnat.AtSucceeded, cnat.AtFailed}

func validateAtStatus(status *cnat.AtStatus, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if !isValidPhase(status.Phase) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("phase"), status.Phase, validPhases))
	}
	if status.PodName != "" {
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(status.PodName, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("podName"), status.PodName, msg))
		}
	}
	if status.StartTime != nil && status.CompletionTime != nil && status.CompletionTime.Before(status.StartTime) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("completionTime"), status.CompletionTime.UTC().Format(time.RFC3339),
			"must not be before status.startTime"))
	}
	if status.ObservedGeneration < 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("observedGeneration"), status.ObservedGeneration,
			"must be greater than or equal to zero"))
	}
	allErrs = append(allErrs, metav1validation.ValidateConditions(status.Conditions, fldPath.Child("conditions"))...)
	return allErrs
}

func isValidPhase(phase cnat.AtPhase) bool {
	return slices.Contains(validPhases, phase)
}

// nextPhases lists the phases each phase may move to: forward only, Pending → Running → Succeeded | Failed.
var nextPhases = map[cnat.AtPhase][]cnat.AtPhase{
	cnat.AtPending:   {cnat.AtPending, cnat.AtRunning},
	cnat.AtRunning:   {cnat.AtRunning, cnat.AtSucceeded, cnat.AtFailed},
	cnat.AtSucceeded: {cnat.AtSucceeded},
	cnat.AtFailed:    {cnat.AtFailed},
}

func validatePhaseTransition(newPhase, oldPhase cnat.AtPhase, fldPath *field.Path) field.ErrorList {
	allowed, known := nextPhases[oldPhase]
	if !known || !isValidPhase(newPhase) {
		return nil // an unknown phase is reported by validateAtStatus
	}
	if slices.Contains(allowed, newPhase) {
		return nil
	}
	return field.ErrorList{field.Forbidden(fldPath, fmt.Sprintf(
		"cannot move from %s to %s: phases only move forward, Pending → Running → Succeeded or Failed", oldPhase, newPhase))}
}
