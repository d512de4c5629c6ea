package selfsubjectaccessreview

import (
	"fmt"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// resourceAttributesFrom is the request a review's resourceAttributes describe, made by user. An empty
// version matches every version, as in kube-apiserver. A selector that does not parse is dropped (and said
// in the status's evaluationError): requirements are ANDed, so dropping one only widens the check.
func resourceAttributesFrom(u user.Info, in authorizationv1.ResourceAttributes) authorizer.AttributesRecord {
	attributes := authorizer.AttributesRecord{
		User:            u,
		Verb:            in.Verb,
		Namespace:       in.Namespace,
		APIGroup:        in.Group,
		APIVersion:      in.Version,
		Resource:        in.Resource,
		Subresource:     in.Subresource,
		Name:            in.Name,
		ResourceRequest: true,
	}
	if attributes.APIVersion == "" {
		attributes.APIVersion = "*"
	}
	if s := in.LabelSelector; s != nil {
		if s.RawSelector != "" {
			if selector, err := labels.Parse(s.RawSelector); err != nil {
				attributes.LabelSelectorParsingErr = err
			} else {
				attributes.LabelSelectorRequirements, _ = selector.Requirements()
			}
		}
		if len(s.Requirements) > 0 {
			attributes.LabelSelectorRequirements, attributes.LabelSelectorParsingErr = labelRequirements(s.Requirements)
		}
	}
	if s := in.FieldSelector; s != nil {
		if s.RawSelector != "" {
			if selector, err := fields.ParseSelector(s.RawSelector); err != nil {
				attributes.FieldSelectorParsingErr = err
			} else {
				attributes.FieldSelectorRequirements = selector.Requirements()
			}
		}
		if len(s.Requirements) > 0 {
			attributes.FieldSelectorRequirements, attributes.FieldSelectorParsingErr = fieldRequirements(s.Requirements)
		}
	}
	return attributes
}

// nonResourceAttributesFrom is the request to a path a review's nonResourceAttributes describe.
func nonResourceAttributesFrom(u user.Info, in authorizationv1.NonResourceAttributes) authorizer.AttributesRecord {
	return authorizer.AttributesRecord{User: u, Verb: in.Verb, Path: in.Path}
}

var labelOperators = map[metav1.LabelSelectorOperator]selection.Operator{
	metav1.LabelSelectorOpIn:           selection.In,
	metav1.LabelSelectorOpNotIn:        selection.NotIn,
	metav1.LabelSelectorOpExists:       selection.Exists,
	metav1.LabelSelectorOpDoesNotExist: selection.DoesNotExist,
}

// labelRequirements returns the requirements that are valid and an error for the others.
func labelRequirements(in []metav1.LabelSelectorRequirement) (labels.Requirements, error) {
	var requirements labels.Requirements
	var errs []error
	for _, r := range in {
		op, ok := labelOperators[r.Operator]
		if !ok {
			errs = append(errs, fmt.Errorf("%q is not a valid label selector operator", r.Operator))
			continue
		}
		values := r.Values
		if len(values) == 0 {
			values = nil
		}
		requirement, err := labels.NewRequirement(r.Key, op, values)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		requirements = append(requirements, *requirement)
	}
	return requirements, utilerrors.NewAggregate(errs)
}

// fieldRequirements returns the requirements that are valid and an error for the others: field selectors
// take In and NotIn with exactly one value.
func fieldRequirements(in []metav1.FieldSelectorRequirement) (fields.Requirements, error) {
	var requirements fields.Requirements
	var errs []error
	for _, r := range in {
		var op selection.Operator
		switch r.Operator {
		case metav1.FieldSelectorOpIn:
			op = selection.Equals
		case metav1.FieldSelectorOpNotIn:
			op = selection.NotEquals
		default:
			errs = append(errs, fmt.Errorf("field selectors do not support %q", r.Operator))
			continue
		}
		if len(r.Values) != 1 {
			errs = append(errs, fmt.Errorf("field selector %s %s must have exactly one value", r.Key, r.Operator))
			continue
		}
		requirements = append(requirements, fields.Requirement{Field: r.Key, Operator: op, Value: r.Values[0]})
	}
	return requirements, utilerrors.NewAggregate(errs)
}

// evaluationError is the status's evaluationError: the authorizer's error and any selector that was
// ignored.
func evaluationError(err error, attributes authorizer.AttributesRecord) string {
	var errs []string
	if err != nil {
		errs = append(errs, err.Error())
	}
	if _, err := attributes.GetFieldSelector(); err != nil {
		errs = append(errs, "spec.resourceAttributes.fieldSelector ignored in part or whole: "+err.Error())
	}
	if _, err := attributes.GetLabelSelector(); err != nil {
		errs = append(errs, "spec.resourceAttributes.labelSelector ignored in part or whole: "+err.Error())
	}
	return strings.Join(errs, "; ")
}
