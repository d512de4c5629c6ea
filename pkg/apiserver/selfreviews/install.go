package selfreviews

import (
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/programming-kubernetes/cnat/pkg/registry/authentication/selfsubjectreview"
	"github.com/programming-kubernetes/cnat/pkg/registry/authorization/selfsubjectaccessreview"
)

// Install serves selfsubjectaccessreviews (answered by authz, the server's own authorizer) and
// selfsubjectreviews on server, each in its group's v1, discoverable like any API group.
func Install(server *genericapiserver.GenericAPIServer, authz authorizer.Authorizer) error {
	authorization := genericapiserver.NewDefaultAPIGroupInfo(authorizationv1.GroupName, Scheme, metav1.ParameterCodec, Codecs)
	authorization.VersionedResourcesStorageMap[authorizationv1.SchemeGroupVersion.Version] = map[string]rest.Storage{
		"selfsubjectaccessreviews": selfsubjectaccessreview.NewREST(authz),
	}
	authentication := genericapiserver.NewDefaultAPIGroupInfo(authenticationv1.GroupName, Scheme, metav1.ParameterCodec, Codecs)
	authentication.VersionedResourcesStorageMap[authenticationv1.SchemeGroupVersion.Version] = map[string]rest.Storage{
		"selfsubjectreviews": selfsubjectreview.NewREST(),
	}
	return server.InstallAPIGroups(&authorization, &authentication)
}
