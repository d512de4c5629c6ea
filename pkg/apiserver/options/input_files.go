package options

import (
	"fmt"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/admission"
	apiserverapi "k8s.io/apiserver/pkg/apis/apiserver"
	apiservervalidation "k8s.io/apiserver/pkg/apis/apiserver/validation"
	auditpolicy "k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/server/egressselector"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/client-go/tools/clientcmd"
	certutil "k8s.io/client-go/util/cert"

	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy"
)

// The files the flags name are read at start in many places of the generic server, most of them after the
// embedded etcd has started, and their errors seldom say which flag named the file ("missing filename for
// serving cert", "unexpected type: *apiserver.EncryptionConfiguration"). validateInputFiles reads each of
// them before anything starts and refuses a file that is missing, empty, not a regular file, or does not hold
// what its flag expects, in one line that names the flag.

// inputFile is a file a flag names, and how to tell that it holds what the flag expects.
type inputFile struct {
	flag, path string
	// check is given the file's path once it is known to be a readable, non-empty regular file.
	check func(path string) error
}

// configFileCodecs decode the configuration files of apiserver.config.k8s.io strictly: a misspelt field is
// an error, not a setting silently left out.
var configFileCodecs = serializer.NewCodecFactory(admissionConfigScheme, serializer.EnableStrict)

// inputFiles lists the files the options name, each under the flag that names it. --kubeconfig comes first:
// aggregated, Complete hands its path to --authentication-kubeconfig and --authorization-kubeconfig too.
func (o *Options) inputFiles() []inputFile {
	ro := o.RecommendedOptions
	files := []inputFile{}
	add := func(flag, path string, check func(string) error) {
		if path != "" {
			files = append(files, inputFile{flag: flag, path: path, check: check})
		}
	}
	if ro.CoreAPI != nil {
		add("kubeconfig", ro.CoreAPI.CoreAPIKubeconfigPath, checkKubeconfig)
	}
	if ro.Authentication != nil {
		add("authentication-kubeconfig", ro.Authentication.RemoteKubeConfigFile, checkKubeconfig)
		add("client-ca-file", ro.Authentication.ClientCert.ClientCA, checkCertificates)
		add("requestheader-client-ca-file", ro.Authentication.RequestHeader.ClientCAFile, checkCertificates)
	}
	if ro.Authorization != nil {
		add("authorization-kubeconfig", ro.Authorization.RemoteKubeConfigFile, checkKubeconfig)
	}
	if admissionOptions := o.admissionOptions(); admissionOptions != nil {
		add("admission-control-config-file", admissionOptions.ConfigFile, func(path string) error {
			return checkAdmissionConfiguration(admissionOptions, path)
		})
	}
	add("encryption-provider-config", ro.Etcd.EncryptionProviderConfigFilepath, func(path string) error {
		return checkEncryptionConfiguration(path, ro.Etcd.EncryptionProviderConfigAutomaticReload)
	})
	transport := ro.Etcd.StorageConfig.Transport
	add("etcd-cafile", transport.TrustedCAFile, checkCertificates)
	add("etcd-certfile", transport.CertFile, nil)
	add("etcd-keyfile", transport.KeyFile, nil)
	if !o.servingCertFromDataDir {
		add("tls-cert-file", ro.SecureServing.ServerCert.CertKey.CertFile, nil)
		add("tls-private-key-file", ro.SecureServing.ServerCert.CertKey.KeyFile, nil)
	}
	for _, nck := range ro.SecureServing.SNICertKeys {
		add("tls-sni-cert-key", nck.CertFile, nil)
		add("tls-sni-cert-key", nck.KeyFile, nil)
	}
	if ro.Audit != nil {
		add("audit-policy-file", ro.Audit.PolicyFile, func(path string) error {
			_, err := auditpolicy.LoadPolicyFromFile(path)
			return err
		})
		add("audit-webhook-config-file", ro.Audit.WebhookOptions.ConfigFile, checkKubeconfig)
	}
	if ro.EgressSelector != nil {
		add("egress-selector-config-file", ro.EgressSelector.ConfigFile, checkEgressSelectorConfiguration)
	}
	if ro.Traces != nil {
		add("tracing-config-file", ro.Traces.ConfigFile, func(path string) error {
			_, err := genericoptions.ReadTracingConfiguration(path)
			return err
		})
	}
	return files
}

// admissionOptions are the admission flags in either mode (standalone, RecommendedOptions holds none).
func (o *Options) admissionOptions() *genericoptions.AdmissionOptions {
	if o.standaloneAdmission != nil {
		return o.standaloneAdmission.AdmissionOptions
	}
	return o.RecommendedOptions.Admission
}

// validateInputFiles checks every file a flag names, each path once (under the first flag that names it).
func (o *Options) validateInputFiles() []error {
	var errs []error
	checked := map[string]bool{}
	for _, f := range o.inputFiles() {
		if checked[f.path] {
			continue
		}
		checked[f.path] = true
		if err := checkReadableFile(f.path); err != nil {
			errs = append(errs, fmt.Errorf("--%s %s: %w", f.flag, f.path, err))
			continue
		}
		if f.check == nil {
			continue
		}
		if err := f.check(f.path); err != nil {
			// Decoding errors quote the file's content, newlines included; the refusal stays one line.
			errs = append(errs, fmt.Errorf("--%s %s: %s", f.flag, f.path, strings.Join(strings.Fields(err.Error()), " ")))
		}
	}
	errs = append(errs, o.validateKeyPairs()...)
	return errs
}

// checkReadableFile refuses what no flag can mean: a path that is not there, a directory, a file the server
// may not read, an empty file.
func checkReadableFile(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cannot read it: %w", err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("not a regular file (%s)", info.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read it: %w", err)
	}
	defer f.Close()
	if info.Size() == 0 {
		return fmt.Errorf("the file is empty")
	}
	return nil
}

// checkCertificates checks a CA bundle: PEM certificates, at least one.
func checkCertificates(path string) error {
	_, err := certutil.CertsFromFile(path)
	return err
}

// checkKubeconfig checks that a kubeconfig yields a client configuration: a current context whose cluster
// and user are there, with the files they name.
func checkKubeconfig(path string) error {
	config, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return err
	}
	_, err = clientcmd.NewDefaultClientConfig(*config, nil).ClientConfig()
	return err
}

// checkAdmissionConfiguration reads an AdmissionConfiguration as the server will, and the configuration of
// the server's own plugins in it, which they read only when the admission chain is built.
func checkAdmissionConfiguration(a *genericoptions.AdmissionOptions, path string) error {
	configs, err := admission.ReadAdmissionConfiguration(enabledPluginNames(a), path, admissionConfigScheme)
	if err != nil {
		return err
	}
	config, err := configs.ConfigFor(atpolicy.PluginName)
	if err != nil {
		return err
	}
	if config == nil {
		return nil
	}
	if _, err := atpolicy.LoadConfiguration(config); err != nil {
		return fmt.Errorf("plugin %q: %w", atpolicy.PluginName, err)
	}
	return nil
}

// checkEncryptionConfiguration decodes and validates an EncryptionConfiguration without making its
// transformers: a KMS provider would be dialled.
func checkEncryptionConfiguration(path string, reload bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	obj, err := runtime.Decode(configFileCodecs.UniversalDecoder(), data)
	if err != nil {
		return err
	}
	config, ok := obj.(*apiserverapi.EncryptionConfiguration)
	if !ok {
		return fmt.Errorf("holds %T, want kind EncryptionConfiguration of apiserver.config.k8s.io/v1", obj)
	}
	return apiservervalidation.ValidateEncryptionConfiguration(config, reload).ToAggregate()
}

// checkEgressSelectorConfiguration reads and validates an EgressSelectorConfiguration.
func checkEgressSelectorConfiguration(path string) error {
	config, err := egressselector.ReadEgressSelectorConfiguration(path)
	if err != nil {
		return err
	}
	return egressselector.ValidateEgressSelectorConfiguration(config).ToAggregate()
}
