// Package selfsubjectreview serves authentication.k8s.io/v1 selfsubjectreviews, as kube-apiserver does: a
// user creates a SelfSubjectReview and gets back who the server authenticated them as (kubectl auth whoami).
package selfsubjectreview

import (
	"context"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// REST answers a SelfSubjectReview with the user of the request. Nothing is stored.
type REST struct{}

// NewREST returns the storage of selfsubjectreviews.
func NewREST() *REST { return &REST{} }

var (
	_ rest.Creater              = &REST{}
	_ rest.Scoper               = &REST{}
	_ rest.SingularNameProvider = &REST{}
)

func (r *REST) NamespaceScoped() bool { return false }

func (r *REST) New() runtime.Object { return &authenticationv1.SelfSubjectReview{} }

// Destroy does nothing: there is no store behind.
func (r *REST) Destroy() {}

func (r *REST) GetSingularName() string { return "selfsubjectreview" }

// Create returns the user the request was authenticated as: name, UID, groups and extra.
func (r *REST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	if _, ok := obj.(*authenticationv1.SelfSubjectReview); !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a SelfSubjectReview: %T", obj))
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	user, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	review := &authenticationv1.SelfSubjectReview{
		ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(time.Now())},
		Status: authenticationv1.SelfSubjectReviewStatus{UserInfo: authenticationv1.UserInfo{
			Username: user.GetName(),
			UID:      user.GetUID(),
			Groups:   user.GetGroups(),
		}},
	}
	if extra := user.GetExtra(); len(extra) > 0 {
		review.Status.UserInfo.Extra = make(map[string]authenticationv1.ExtraValue, len(extra))
		for k, v := range extra {
			review.Status.UserInfo.Extra[k] = v
		}
	}
	return review, nil
}
