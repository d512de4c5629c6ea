// Package selfsubjectaccessreview serves authorization.k8s.io/v1 selfsubjectaccessreviews, as kube-apiserver
// does: a user asks whether they may perform an action (kubectl auth can-i) and the server's own authorizer
// answers.
package selfsubjectaccessreview

import (
	"context"
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// REST answers a SelfSubjectAccessReview with the decision of the authorizer for the user of the request.
// Nothing is stored.
type REST struct {
	authorizer authorizer.Authorizer
}

// NewREST returns the storage of selfsubjectaccessreviews, answering with authz.
func NewREST(authz authorizer.Authorizer) *REST { return &REST{authorizer: authz} }

var (
	_ rest.Creater              = &REST{}
	_ rest.Scoper               = &REST{}
	_ rest.SingularNameProvider = &REST{}
)

func (r *REST) NamespaceScoped() bool { return false }

func (r *REST) New() runtime.Object { return &authorizationv1.SelfSubjectAccessReview{} }

// Destroy does nothing: there is no store behind.
func (r *REST) Destroy() {}

func (r *REST) GetSingularName() string { return "selfsubjectaccessreview" }

// Create fills in the review's status: allowed, denied, the reason and any evaluation error.
func (r *REST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(*authorizationv1.SelfSubjectAccessReview)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectAccessReview: %T", obj))
	}
	if errs := validate(review); len(errs) > 0 {
		return nil, apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind("SelfSubjectAccessReview").GroupKind(), "", errs)
	}
	user, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}

	var attributes authorizer.AttributesRecord
	if spec := review.Spec; spec.ResourceAttributes != nil {
		attributes = resourceAttributesFrom(user, *spec.ResourceAttributes)
	} else {
		attributes = nonResourceAttributesFrom(user, *spec.NonResourceAttributes)
	}
	decision, reason, err := r.authorizer.Authorize(ctx, attributes)
	review.Status = authorizationv1.SubjectAccessReviewStatus{
		Allowed:         decision == authorizer.DecisionAllow,
		Denied:          decision == authorizer.DecisionDeny,
		Reason:          reason,
		EvaluationError: evaluationError(err, attributes),
	}
	return review, nil
}
