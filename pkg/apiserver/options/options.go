// Package options holds cnat-apiserver's command-line options and turns them into a server configuration:
// Options → (Complete, Validate) → Config.
package options

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authorization/union"
	"k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/apiserver/pkg/util/compatibility"
	basecompatibility "k8s.io/component-base/compatibility"
	netutils "k8s.io/utils/net"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/apiserver"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/authncache"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/clusteraccess"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/embeddedetcd"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/lifecycle"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/selfreviews"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/standalone"
	cnatopenapi "github.com/programming-kubernetes/cnat/pkg/generated/openapi"
	cnatversion "github.com/programming-kubernetes/cnat/pkg/version"
)

const (
	defaultEtcdPathPrefix = "/registry/" + cnat.GroupName
	// DefaultSecurePort is where cnat-apiserver listens unless told otherwise (a Service maps 443 to it).
	DefaultSecurePort = 8443
	// DefaultDataDir holds the embedded etcd and, standalone, the certificates and the admin kubeconfig.
	DefaultDataDir = "cnat-data"
)

// Options are cnat-apiserver's command-line options.
type Options struct {
	RecommendedOptions *genericoptions.RecommendedOptions
	// ServerRun holds the generic server's run flags kube-apiserver has too: --request-timeout,
	// --max-requests-inflight, --shutdown-delay-duration, --shutdown-watch-termination-grace-period, ….
	ServerRun *genericoptions.ServerRunOptions
	// ComponentGlobalsRegistry holds the effective versions and feature gates of the cnat and kube components.
	ComponentGlobalsRegistry basecompatibility.ComponentGlobalsRegistry
	// DataDir holds the embedded etcd (without --etcd-servers) and, standalone, the certificates and the
	// admin kubeconfig.
	DataDir string
	// BindAddressSet tells whether --bind-address was given; standalone, the default is loopback only.
	BindAddressSet bool

	// flags are the flags AddFlags added: Complete tells a default from a value that was given.
	flags *pflag.FlagSet

	// Filled in by Complete.
	standalone   bool
	embeddedEtcd *embeddedetcd.Etcd
	// standaloneAdmission holds the admission options standalone, where RecommendedOptions cannot apply them.
	standaloneAdmission *standaloneAdmission
	// clusterAccess reviews, in aggregated mode, the permissions the server needs in the cluster (Config).
	clusterAccess *clusteraccess.Checker
	// servingCertFromDataDir tells that the serving certificate is the standalone one of the data dir, made
	// at start if it is not there yet (so it is not checked before).
	servingCertFromDataDir bool
}

// NewOptions returns the default options: port 8443, data in ./cnat-data, protobuf in etcd (the storage
// version follows the emulated release: Complete).
func NewOptions() *Options {
	o := &Options{
		// The codec is replaced in Complete, once --emulated-version tells the storage version.
		RecommendedOptions: genericoptions.NewRecommendedOptions(defaultEtcdPathPrefix,
			apiserver.Codecs.LegacyCodec(v1beta1.SchemeGroupVersion)),
		ComponentGlobalsRegistry: compatibility.DefaultComponentGlobalsRegistry,
		DataDir:                  DefaultDataDir,
	}
	o.ServerRun = genericoptions.NewServerRunOptionsForComponent(basecompatibility.DefaultKubeComponent, o.ComponentGlobalsRegistry)
	// Protobuf in etcd: decoding what etcd sends back (every write, every watch event, every list that
	// misses the watch cache) costs a ninth of JSON's CPU (docs/performance.md). JSON data already stored
	// stays readable: the storage codec recognizes either encoding.
	o.RecommendedOptions.Etcd.DefaultStorageMediaType = runtime.ContentTypeProtobuf
	o.RecommendedOptions.SecureServing.BindPort = DefaultSecurePort
	// --secure-port 0 means "no HTTPS listener" upstream; an aggregated server without one serves nothing
	// (the aggregator and kubectl reach it over HTTPS only), so it is refused at start, as kube-apiserver does.
	o.RecommendedOptions.SecureServing.Required = true
	o.RecommendedOptions.SecureServing.CipherSuites = slices.Clone(strongCipherSuites)
	addAdmissionPlugins(o.RecommendedOptions.Admission)
	o.RecommendedOptions.ExtraAdmissionInitializers = cnatAdmissionInitializers
	return o
}

// AddFlags adds the flags of all options, the standard ones under their upstream names.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	// --emulated-version and --feature-gates parse into the registry the server will use, which a test may
	// have set after NewOptions.
	o.ServerRun.ComponentGlobalsRegistry = o.ComponentGlobalsRegistry
	o.ServerRun.AddUniversalFlags(fs)
	o.RecommendedOptions.AddFlags(fs)
	describeModeDefaults(fs)
	describeTLSDefaults(fs)
	o.flags = fs
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir, "Directory for the embedded etcd (used when --etcd-servers is "+
		"not given) and, when standalone (no --kubeconfig), the certificates and admin.kubeconfig.")
}

// Standalone tells whether the server runs with no Kubernetes cluster behind it.
func (o *Options) Standalone() bool { return o.standalone }

// AdminKubeconfig is the kubeconfig a standalone server writes for kubectl.
func (o *Options) AdminKubeconfig() string { return filepath.Join(o.DataDir, "admin.kubeconfig") }

// Complete decides the mode and fills in what the mode implies.
//
// Standalone (no --kubeconfig and not running in a cluster): no core cluster to delegate authentication,
// authorization, admission webhooks or priority and fairness to. The server authenticates client
// certificates of its own client CA, authorizes system:masters only, runs only its own admission plugins
// (AtPolicy), and listens on loopback unless --bind-address says otherwise.
func (o *Options) Complete() error {
	ro := o.RecommendedOptions
	o.standalone = ro.CoreAPI != nil && ro.CoreAPI.CoreAPIKubeconfigPath == "" && os.Getenv("KUBERNETES_SERVICE_HOST") == ""

	if err := o.applyStorageVersion(); err != nil {
		return fmt.Errorf("storage version, --storage-media-type %q: %w", ro.Etcd.DefaultStorageMediaType, err)
	}
	if len(ro.Etcd.StorageConfig.Transport.ServerList) == 0 {
		etcd, err := embeddedetcd.New(filepath.Join(o.DataDir, "etcd"))
		if err != nil {
			return err
		}
		o.embeddedEtcd = etcd
		ro.Etcd.StorageConfig.Transport.ServerList = []string{etcd.ClientURL()}
	}

	o.applyModeDefaults(o.standalone)
	if !o.standalone {
		// One kubeconfig for everything unless told otherwise.
		if kubeconfig := ro.CoreAPI.CoreAPIKubeconfigPath; kubeconfig != "" {
			if ro.Authentication.RemoteKubeConfigFile == "" {
				ro.Authentication.RemoteKubeConfigFile = kubeconfig
			}
			if ro.Authorization.RemoteKubeConfigFile == "" {
				ro.Authorization.RemoteKubeConfigFile = kubeconfig
			}
		}
		return nil
	}

	ro.CoreAPI = nil
	// AdmissionOptions.ApplyTo needs a core client: Config builds the standalone chain instead, and makes its
	// initializers itself (RecommendedOptions.ApplyTo must not make a second, never used informer factory).
	o.standaloneAdmission = &standaloneAdmission{ro.Admission}
	ro.Admission = nil
	ro.ExtraAdmissionInitializers = func(*genericapiserver.RecommendedConfig) ([]admission.PluginInitializer, error) {
		return nil, nil
	}
	ro.Features.EnablePriorityAndFairness = false
	ro.Authentication = nil // replaced by standalone.PKI.ApplyAuthentication in Config
	ro.Authorization.RemoteKubeConfigFileOptional = true
	ro.Authorization.AlwaysAllowGroups = []string{standalone.AdminGroup}
	if !o.BindAddressSet {
		ro.SecureServing.BindAddress = netutils.ParseIPSloppy("127.0.0.1")
	}
	// Only when neither is given: a certificate without its key (or the reverse) is refused by Validate rather
	// than silently replaced.
	if certKey := ro.SecureServing.ServerCert.CertKey; certKey.CertFile == "" && certKey.KeyFile == "" {
		o.servingCertFromDataDir = true
		pki := standalone.NewPKI(o.DataDir)
		ro.SecureServing.ServerCert.CertKey.CertFile = pki.ServingCert()
		ro.SecureServing.ServerCert.CertKey.KeyFile = pki.ServingKey()
	}
	return nil
}

// Validate checks the completed options.
func (o *Options) Validate() error {
	errs := o.RecommendedOptions.Validate()
	errs = append(errs, o.ServerRun.Validate()...)
	errs = append(errs, o.ComponentGlobalsRegistry.Validate()...)
	if o.DataDir == "" {
		errs = append(errs, fmt.Errorf("--data-dir must not be empty"))
	}
	if o.standaloneAdmission != nil {
		errs = append(errs, o.standaloneAdmission.Validate()...)
	}
	errs = append(errs, o.validateStandaloneFlags()...)
	errs = append(errs, o.validateFlagValues()...)
	errs = append(errs, o.validateInputFiles()...)
	return utilerrors.NewAggregate(errs)
}

// Config turns the completed options into a server configuration. Standalone, it first makes (or reuses) the
// certificates in the data dir. shutdownInitiated closes when the server is told to stop (SIGTERM).
func (o *Options) Config(shutdownInitiated <-chan struct{}) (*apiserver.Config, error) {
	ro := o.RecommendedOptions
	pki := standalone.NewPKI(o.DataDir)
	if o.standalone {
		if err := pki.Ensure(nil); err != nil {
			return nil, fmt.Errorf("standalone certificates in %s: %w", pki.Dir, err)
		}
	} else if err := ro.SecureServing.MaybeDefaultWithSelfSignedCerts("localhost", nil,
		[]net.IP{netutils.ParseIPSloppy("127.0.0.1")}); err != nil {
		return nil, fmt.Errorf("creating self-signed certificates: %w", err)
	}

	serverConfig := genericapiserver.NewRecommendedConfig(apiserver.Codecs)
	// OpenAPI names each definition's group-version-kinds after the scheme: only the versions the emulated
	// release serves, as that release's own binary does.
	emulated := o.ComponentGlobalsRegistry.EffectiveVersionFor(apiserver.ComponentName).EmulationVersion()
	namer := openapi.NewDefinitionNamer(lifecycle.ServedScheme(apiserver.Scheme, cnat.GroupName, emulated), selfreviews.Scheme)
	serverConfig.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(cnatopenapi.GetOpenAPIDefinitions, namer)
	serverConfig.OpenAPIConfig.Info.Title = "cnat"
	serverConfig.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(cnatopenapi.GetOpenAPIDefinitions, namer)
	serverConfig.OpenAPIV3Config.Info.Title = "cnat"
	if err := o.ServerRun.ApplyTo(&serverConfig.Config); err != nil {
		return nil, err
	}
	// ServerRun.ApplyTo set the kube component's version; the API lifecycle counts in cnat's (below).
	version := o.ComponentGlobalsRegistry.EffectiveVersionFor(apiserver.ComponentName)
	// The API OpenAPI describes is the emulated release's.
	serverConfig.OpenAPIConfig.Info.Version = version.EmulationVersion().String()
	serverConfig.OpenAPIV3Config.Info.Version = version.EmulationVersion().String()
	serverConfig.FeatureGate = o.ComponentGlobalsRegistry.FeatureGateFor(basecompatibility.DefaultKubeComponent)
	// /version serves this build's version and commit, the cnat component's major and minor.
	serverConfig.EffectiveVersion = cnatversion.WithBuildInfo(version)

	if !o.standalone {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-shutdownInitiated:
				cancel()
			case <-ctx.Done():
			}
		}()
		ro.ExtraAdmissionInitializers = o.aggregatedAdmissionInitializers(ctx)
	}
	if err := ro.ApplyTo(serverConfig); err != nil {
		return nil, err
	}
	if o.clusterAccess != nil && serverConfig.AdmissionControl != nil {
		serverConfig.AdmissionControl = clusteraccess.Guard(serverConfig.AdmissionControl, o.clusterAccess)
	}
	applyAvailability(&serverConfig.Config, shutdownInitiated, ro.SecureServing.PermitPortSharing)
	if o.standalone {
		if err := pki.ApplyAuthentication(&serverConfig.Authentication, serverConfig.SecureServing); err != nil {
			return nil, err
		}
		// system:masters may do anything; every authenticated user may also discover the API and review
		// themselves, as in a cluster.
		authz, err := union.New(
			union.NamedAuthorizer{AuthorizerName: "standalone/privileged-groups-and-paths", Authorizer: serverConfig.Authorization.Authorizer},
			union.NamedAuthorizer{AuthorizerName: "standalone/authenticated-users", Authorizer: standalone.AuthenticatedUsers()})
		if err != nil {
			return nil, err
		}
		serverConfig.Authorization.Authorizer = authz
		initializers, err := cnatAdmissionInitializers(serverConfig)
		if err != nil {
			return nil, err
		}
		if err := o.standaloneAdmission.ApplyTo(&serverConfig.Config, initializers...); err != nil {
			return nil, err
		}
	} else {
		// The aggregator's certificate, verified once per certificate and identity rather than per request.
		auth := &serverConfig.Authentication
		auth.Authenticator = authncache.New(auth.Authenticator, auth.RequestHeaderConfig, serverConfig.SecureServing.ClientCA)
	}
	return &apiserver.Config{GenericConfig: serverConfig, Standalone: o.standalone}, nil
}
