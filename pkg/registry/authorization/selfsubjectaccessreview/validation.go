package selfsubjectaccessreview

import (
	authorizationv1 "k8s.io/api/authorization/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validate checks a review as kube-apiserver does: exactly one of resourceAttributes and
// nonResourceAttributes, and no metadata (a review is not an object that is kept).
func validate(review *authorizationv1.SelfSubjectAccessReview) field.ErrorList {
	var errs field.ErrorList
	spec, specPath := review.Spec, field.NewPath("spec")
	if spec.ResourceAttributes != nil && spec.NonResourceAttributes != nil {
		errs = append(errs, field.Invalid(specPath.Child("nonResourceAttributes"), spec.NonResourceAttributes,
			"cannot be specified in combination with resourceAttributes"))
	}
	if spec.ResourceAttributes == nil && spec.NonResourceAttributes == nil {
		errs = append(errs, field.Invalid(specPath.Child("resourceAttributes"), spec.ResourceAttributes,
			"exactly one of nonResourceAttributes or resourceAttributes must be specified"))
	}
	meta := review.ObjectMeta
	meta.ManagedFields = nil // the server's field manager sets them before Create
	if !apiequality.Semantic.DeepEqual(metav1.ObjectMeta{}, meta) {
		errs = append(errs, field.Invalid(field.NewPath("metadata"), review.ObjectMeta, "must be empty"))
	}
	return errs
}
