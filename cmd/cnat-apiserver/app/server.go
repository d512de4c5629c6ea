// Package app is the cnat-apiserver command: flags, versions and feature gates, then options.Run.
package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/version"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	basecompatibility "k8s.io/component-base/compatibility"
	"k8s.io/component-base/featuregate"
	baseversion "k8s.io/component-base/version"
	"k8s.io/klog/v2"

	"github.com/programming-kubernetes/cnat/pkg/apiserver"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/options"
	"github.com/programming-kubernetes/cnat/pkg/logflags"
	cnatversion "github.com/programming-kubernetes/cnat/pkg/version"
)

// cnatVersion is the version of the cnat component: the API's prerelease-lifecycle tags and
// --emulated-version count in it (docs/versions.md).
var cnatVersion = cnatversion.BinaryVersion

// NewCommand returns the cnat-apiserver command. It registers the cnat and kube components with the
// options' ComponentGlobalsRegistry unless they are there already (a test may run several servers).
func NewCommand(ctx context.Context, o *options.Options) *cobra.Command {
	var versionFlag cnatversion.Flag
	cmd := &cobra.Command{
		Use:   "cnat-apiserver",
		Short: "Serves the At API (cnat.programming-kubernetes.info) as a Kubernetes aggregated API server",
		Long: `cnat-apiserver serves the At kind of the cnat.programming-kubernetes.info API group natively.

Without --kubeconfig it runs standalone: an embedded etcd and its own certificates under --data-dir,
listening on https://127.0.0.1:8443, with an admin kubeconfig written to <data-dir>/admin.kubeconfig.
With --kubeconfig (or in a cluster) it runs aggregated behind kube-apiserver, delegating authentication,
authorization and admission webhooks to it.`,
		SilenceUsage: true,
		PersistentPreRunE: func(c *cobra.Command, _ []string) error {
			return namingVersionFlags(c.Flags(), o.ComponentGlobalsRegistry.Set())
		},
		RunE: func(c *cobra.Command, args []string) error {
			if versionFlag.PrintIfRequested(c.OutOrStdout(), c.Name()) {
				return nil
			}
			o.BindAddressSet = c.Flags().Changed("bind-address")
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			klog.InfoS("Starting cnat-apiserver", "version", cnatversion.String())
			return o.Run(c.Context())
		},
	}
	cmd.SetContext(ctx)

	// The cnat component: its version and feature gates. --emulated-version cnat=X and
	// --feature-gates cnat:Feature=true address it.
	// It emulates every release since the first (--emulated-version), and a rollback may go as far back
	// (--min-compatibility-version, by default the emulated release less one).
	_, _ = o.ComponentGlobalsRegistry.ComponentGlobalsOrRegister(apiserver.ComponentName,
		basecompatibility.NewEffectiveVersionFromString(cnatVersion, cnatversion.OldestEmulatedVersion,
			cnatversion.OldestEmulatedVersion),
		featuregate.NewVersionedFeatureGate(version.MustParse(cnatVersion)))
	// The kube component carries the generic server's feature gates.
	_, _ = o.ComponentGlobalsRegistry.ComponentGlobalsOrRegister(basecompatibility.DefaultKubeComponent,
		basecompatibility.NewEffectiveVersionFromString(baseversion.DefaultKubeBinaryVersion, "", ""),
		utilfeature.DefaultMutableFeatureGate)
	// Emulating a cnat version emulates the kube version it was built with.
	utilruntime.Must(o.ComponentGlobalsRegistry.SetVersionMapping(apiserver.ComponentName,
		basecompatibility.DefaultKubeComponent, cnatToKubeVersion))
	// The flags last: --emulated-version and --feature-gates (among the generic server's run flags) list the
	// components registered above.
	o.AddFlags(cmd.Flags())
	versionFlag.AddFlag(cmd.Flags())
	logflags.AddFlags(cmd.PersistentFlags())
	return cmd
}

// cnatToKubeVersion maps a cnat release this binary can emulate to the kube version it emulates: the one this
// binary is built with. Every cnat release so far was built with the same k8s.io/apiserver minor, so
// emulating an older cnat release changes cnat's API, not the generic server's features.
// (Versions outside the range this binary emulates map too: the effective version's validation refuses them
// with the range in its message.)
func cnatToKubeVersion(cnat *version.Version) *version.Version {
	if cnat.Major() != 1 {
		return nil
	}
	return version.MustParse(baseversion.DefaultKubeBinaryVersion)
}

// versionFlags are the flags ComponentGlobalsRegistry.Set parses; its errors ("could not parse \"\" as
// version") do not say which.
var versionFlags = []string{"emulated-version", "min-compatibility-version", "feature-gates"}

// namingVersionFlags prefixes an error of ComponentGlobalsRegistry.Set with the version flags that were
// given: one of them holds the value it could not use.
func namingVersionFlags(fs *pflag.FlagSet, err error) error {
	if err == nil {
		return nil
	}
	var given []string
	for _, name := range versionFlags {
		if fs.Changed(name) {
			given = append(given, "--"+name)
		}
	}
	if len(given) == 0 {
		return err
	}
	return fmt.Errorf("%s: %w", strings.Join(given, ", "), err)
}
