package cnat

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Field labels an At can be selected by. Versions map their own labels and values onto these
// (AddFieldLabelConversionFunc), and the registry computes them from the internal object.
const (
	FieldMetadataName      = "metadata.name"
	FieldMetadataNamespace = "metadata.namespace"
	FieldStatusPhase       = "status.phase"
	// FieldStatusFinished ("true"/"false") is not offered to clients directly: v1alpha1's phase DONE stands
	// for both Succeeded and Failed, which one field value cannot select, so v1alpha1 maps
	// status.phase=DONE onto status.finished=true.
	FieldStatusFinished = "status.finished"
)

// Finished tells whether the phase is final.
func (p AtPhase) Finished() bool {
	return p == AtSucceeded || p == AtFailed
}

// SelectableFields returns the field labels of an At.
func SelectableFields(at *At) fields.Set {
	return fields.Set{
		FieldMetadataName:      at.Name,
		FieldMetadataNamespace: at.Namespace,
		FieldStatusPhase:       string(at.Status.Phase),
		FieldStatusFinished:    strconv.FormatBool(at.Status.Phase.Finished()),
	}
}

// UnsupportedFieldLabel is the error of a field selector on a label a version does not offer; the server
// answers it with 400 Bad Request.
func UnsupportedFieldLabel(gv schema.GroupVersion, label string) error {
	return fmt.Errorf("field label %q not supported for %s At (supported: metadata.name, metadata.namespace, status.phase)", label, gv)
}

// FieldLabelsAsIs is the field label conversion of a version whose labels and values are the internal ones
// (v1, v1beta1): it passes the labels clients may select on through and refuses the others.
func FieldLabelsAsIs(gv schema.GroupVersion) runtime.FieldLabelConversionFunc {
	return func(label, value string) (string, string, error) {
		switch label {
		case FieldMetadataName, FieldMetadataNamespace, FieldStatusPhase:
			return label, value, nil
		}
		return "", "", UnsupportedFieldLabel(gv, label)
	}
}
