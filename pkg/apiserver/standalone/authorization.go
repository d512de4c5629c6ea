package standalone

import (
	"context"
	"slices"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// AuthenticatedUsers allows every authenticated user what Kubernetes' default RBAC roles system:discovery and
// system:basic-user allow them: to read the discovery, version, health and OpenAPI paths, and to ask who
// they are (selfsubjectreviews) and what they may do (selfsubjectaccessreviews). It has no opinion on
// anything else, which standalone only system:masters may do.
func AuthenticatedUsers() authorizer.Authorizer {
	return authorizer.AuthorizerFunc(authorizeAuthenticatedUser)
}

// discoveryPaths are system:discovery's non-resource URLs; a trailing * matches any suffix, as in RBAC.
var discoveryPaths = []string{
	"/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/readyz", "/openapi", "/openapi/*", "/version", "/version/",
}

// selfReviews are system:basic-user's resources, served standalone by package selfreviews.
var selfReviews = []struct{ group, resource string }{
	{authorizationv1.GroupName, "selfsubjectaccessreviews"},
	{authenticationv1.GroupName, "selfsubjectreviews"},
}

func authorizeAuthenticatedUser(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	if a.GetUser() == nil || !slices.Contains(a.GetUser().GetGroups(), user.AllAuthenticated) {
		return authorizer.DecisionNoOpinion, "", nil
	}
	if !a.IsResourceRequest() {
		if a.GetVerb() == "get" && slices.ContainsFunc(discoveryPaths, func(p string) bool { return pathMatches(p, a.GetPath()) }) {
			return authorizer.DecisionAllow, "discovery is open to every authenticated user", nil
		}
		return authorizer.DecisionNoOpinion, "", nil
	}
	for _, r := range selfReviews {
		if a.GetVerb() == "create" && a.GetAPIGroup() == r.group && a.GetResource() == r.resource && a.GetSubresource() == "" {
			return authorizer.DecisionAllow, "every authenticated user may review themselves", nil
		}
	}
	return authorizer.DecisionNoOpinion, "", nil
}

func pathMatches(rule, path string) bool {
	if prefix, ok := strings.CutSuffix(rule, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return rule == path
}
