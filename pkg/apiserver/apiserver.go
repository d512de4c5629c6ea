// Package apiserver assembles the cnat API server: the generic Kubernetes API server with the cnat API group
// installed on one shared store.
package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	serverstorage "k8s.io/apiserver/pkg/server/storage"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	v1 "github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/bodycheck"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/deprecationwarnings"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/selfreviews"
	atstorage "github.com/programming-kubernetes/cnat/pkg/registry/cnat/at"
	"github.com/programming-kubernetes/cnat/pkg/registry/storedversions"
)

// ComponentName is the name of cnat-apiserver's component for feature gates and --emulated-version.
const ComponentName = "cnat"

// Config is the configuration of a cnat API server.
type Config struct {
	GenericConfig *genericapiserver.RecommendedConfig
	// Standalone servers serve the self-review APIs too, which kube-apiserver serves otherwise.
	Standalone bool
}

type completedConfig struct {
	GenericConfig genericapiserver.CompletedConfig
	Standalone    bool
}

// CompletedConfig is a Config whose defaults are filled in; only it can make a server.
type CompletedConfig struct {
	*completedConfig
}

// CnatServer is the running API server.
type CnatServer struct {
	GenericAPIServer *genericapiserver.GenericAPIServer
	// storedAts is what CheckStoredVersions reads: where the Ats are in etcd and which versions are served.
	storedAts storedversions.Resource
}

// CheckStoredVersions refuses, before the server serves anything, Ats stored in a version it does not serve
// at its emulated release (after a rollback past a storage version change, or a removal without migration),
// naming the version. It waits for etcd while etcd cannot be reached.
func (s *CnatServer) CheckStoredVersions(ctx context.Context) error {
	return storedversions.Check(ctx, s.storedAts)
}

// Complete fills in the defaults of the configuration.
func (cfg *Config) Complete() CompletedConfig {
	// Bodies of writes to ats that cannot become an At are answered with the fields at fault (422), after
	// authentication and authorization, before the handlers decode them.
	buildHandlerChain := cfg.GenericConfig.BuildHandlerChainFunc
	cfg.GenericConfig.BuildHandlerChainFunc = func(apiHandler http.Handler, c *genericapiserver.Config) http.Handler {
		ats := bodycheck.Resource{GroupResource: cnat.Resource("ats"), Kind: "At", Scheme: Scheme}
		// Deprecation warnings as the emulated release gives them.
		apiHandler = deprecationwarnings.WithEmulatedDeprecation(apiHandler, Scheme, cnat.Kind("At"),
			c.EffectiveVersion.EmulationVersion())
		return buildHandlerChain(bodycheck.WithBodyCheck(apiHandler, ats, c.Serializer, c.MaxRequestBodyBytes), c)
	}
	return CompletedConfig{&completedConfig{GenericConfig: cfg.GenericConfig.Complete(), Standalone: cfg.Standalone}}
}

// New returns a server that serves the cnat API group.
func (c completedConfig) New() (*CnatServer, error) {
	genericServer, err := c.GenericConfig.New("cnat-apiserver", genericapiserver.NewEmptyDelegate())
	if err != nil {
		return nil, err
	}
	s := &CnatServer{GenericAPIServer: genericServer}

	apiGroupInfo := genericapiserver.NewDefaultAPIGroupInfo(cnat.GroupName, Scheme, metav1.ParameterCodec, Codecs)

	ats, atsStatus, err := atstorage.NewStorage(Scheme, c.GenericConfig.RESTOptionsGetter)
	if err != nil {
		return nil, err
	}
	// The same store for every version: one store, one watch cache, one etcd watch. Each version gets a
	// map of its own (the lifecycle below removes entries) and a view whose Destroy leaves the store alone.
	s.GenericAPIServer.RegisterDestroyFunc(ats.Destroy)
	for _, version := range []string{v1.SchemeGroupVersion.Version, v1beta1.SchemeGroupVersion.Version, v1alpha1.SchemeGroupVersion.Version} {
		apiGroupInfo.VersionedResourcesStorageMap[version] = map[string]rest.Storage{
			"ats": atstorage.VersionView{REST: ats}, "ats/status": atsStatus}
	}

	// Serve the versions whose prerelease lifecycle says they exist at the emulated cnat release: introduced
	// at or before it, not removed by it.
	evaluator, err := genericapiserver.NewResourceExpirationEvaluator(c.GenericConfig.EffectiveVersion.EmulationVersion())
	if err != nil {
		return nil, err
	}
	// Every version of the group is enabled (there is no --runtime-config): the lifecycle alone decides.
	resourceConfig := c.GenericConfig.MergedResourceConfig
	if resourceConfig == nil {
		resourceConfig = serverstorage.NewResourceConfig()
		resourceConfig.EnableVersions(Scheme.PrioritizedVersionsForGroup(cnat.GroupName)...)
	}
	if err := evaluator.RemoveUnavailableKinds(cnat.GroupName, Scheme, apiGroupInfo.VersionedResourcesStorageMap,
		resourceConfig); err != nil {
		return nil, err
	}

	// Discovery's preferred version is the first of these: the first one served.
	apiGroupInfo.PrioritizedVersions = slices.DeleteFunc(apiGroupInfo.PrioritizedVersions, func(gv schema.GroupVersion) bool {
		return len(apiGroupInfo.VersionedResourcesStorageMap[gv.Version]) == 0
	})

	if s.storedAts, err = c.storedAts(apiGroupInfo); err != nil {
		return nil, err
	}

	if err := s.GenericAPIServer.InstallAPIGroup(&apiGroupInfo); err != nil {
		return nil, err
	}
	if c.Standalone {
		if err := selfreviews.Install(s.GenericAPIServer, c.GenericConfig.Authorization.Authorizer); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// storedAts describes the Ats in etcd for the stored-versions check: the versions apiGroupInfo serves, in
// priority order, and the storage options the store uses.
func (c completedConfig) storedAts(apiGroupInfo genericapiserver.APIGroupInfo) (storedversions.Resource, error) {
	resource := cnat.Resource("ats")
	options, err := c.GenericConfig.RESTOptionsGetter.GetRESTOptions(resource, &cnat.At{})
	if err != nil {
		return storedversions.Resource{}, err
	}
	var served []string
	for _, gv := range apiGroupInfo.PrioritizedVersions {
		if _, ok := apiGroupInfo.VersionedResourcesStorageMap[gv.Version][resource.Resource]; ok {
			served = append(served, gv.Version)
		}
	}
	effective := c.GenericConfig.EffectiveVersion
	return storedversions.Resource{
		GroupResource: resource,
		Options:       options,
		Served:        served,
		Decoder:       Codecs.UniversalDeserializer(),
		Release: fmt.Sprintf("cnat-apiserver %s (emulating cnat %s)", effective.BinaryVersion().String(),
			effective.EmulationVersion().String()),
	}, nil
}
