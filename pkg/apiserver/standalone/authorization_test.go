package standalone

import (
	"context"
	"testing"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

func TestAuthenticatedUsers(t *testing.T) {
	jane := &user.DefaultInfo{Name: "jane", Groups: []string{"developers", user.AllAuthenticated}}
	anonymous := &user.DefaultInfo{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}
	resource := func(u user.Info, verb, group, resource string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: u, Verb: verb, APIGroup: group, Resource: resource, ResourceRequest: true}
	}
	path := func(u user.Info, verb, path string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: u, Verb: verb, Path: path}
	}
	for _, tc := range []struct {
		name       string
		attributes authorizer.AttributesRecord
		want       authorizer.Decision
	}{
		{"review access", resource(jane, "create", "authorization.k8s.io", "selfsubjectaccessreviews"), authorizer.DecisionAllow},
		{"review identity", resource(jane, "create", "authentication.k8s.io", "selfsubjectreviews"), authorizer.DecisionAllow},
		{"review another user", resource(jane, "create", "authorization.k8s.io", "subjectaccessreviews"), authorizer.DecisionNoOpinion},
		{"create an At", resource(jane, "create", "cnat.programming-kubernetes.info", "ats"), authorizer.DecisionNoOpinion},
		{"discovery", path(jane, "get", "/apis/cnat.programming-kubernetes.info/v1beta1"), authorizer.DecisionAllow},
		{"version", path(jane, "get", "/version"), authorizer.DecisionAllow},
		{"openapi", path(jane, "get", "/openapi/v3"), authorizer.DecisionAllow},
		{"post to discovery", path(jane, "post", "/apis"), authorizer.DecisionNoOpinion},
		{"metrics", path(jane, "get", "/metrics"), authorizer.DecisionNoOpinion},
		{"a path that only starts like one", path(jane, "get", "/apiserver-secrets"), authorizer.DecisionNoOpinion},
		{"anonymous discovery", path(anonymous, "get", "/apis"), authorizer.DecisionNoOpinion},
		{"anonymous review", resource(anonymous, "create", "authentication.k8s.io", "selfsubjectreviews"), authorizer.DecisionNoOpinion},
	} {
		decision, _, err := AuthenticatedUsers().Authorize(context.Background(), tc.attributes)
		if decision != tc.want || err != nil {
			t.Errorf("%s: %v (%v), want %v", tc.name, decision, err, tc.want)
		}
	}
}
