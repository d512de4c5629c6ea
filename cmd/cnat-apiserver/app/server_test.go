package app

import (
	"context"
	"io"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/version"
	basecompatibility "k8s.io/component-base/compatibility"
	baseversion "k8s.io/component-base/version"

	"github.com/programming-kubernetes/cnat/pkg/apiserver/options"
)

// TestVersionAndFeatureFlags: --emulated-version and --feature-gates address the cnat component and are
// checked before anything starts.
func TestVersionAndFeatureFlags(t *testing.T) {
	for _, tc := range []struct {
		flag, wantErr string
	}{
		{"--emulated-version=cnat=0.9", "cnat=0.9"},
		{"--emulated-version=cnat=1.3", "emulation version"},
		{"--feature-gates=cnat:NoSuchFeature=true", "unrecognized feature gate"},
		{"--emulated-version=nosuchcomponent=1.0", "nosuchcomponent"},
	} {
		o := options.NewOptions()
		o.ComponentGlobalsRegistry = basecompatibility.NewComponentGlobalsRegistry()
		cmd := NewCommand(context.Background(), o)
		cmd.SetArgs([]string{tc.flag, "--data-dir", t.TempDir()})
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: %v, want an error containing %q", tc.flag, err, tc.wantErr)
		}
	}
}

func TestCnatToKubeVersion(t *testing.T) {
	kube := version.MustParse(baseversion.DefaultKubeBinaryVersion)
	for _, cnat := range []string{"1.0", "1.1", "1.2"} {
		if got := cnatToKubeVersion(version.MustParse(cnat)); got == nil || !got.EqualTo(kube) {
			t.Errorf("cnat %s maps to kube %v, want %v (the kube version this binary is built with)", cnat, got, kube)
		}
	}
	if got := cnatToKubeVersion(version.MustParse("2.0")); got != nil {
		t.Errorf("cnat 2.0 maps to %v, want nil (unknown)", got)
	}
}

// TestStandardFlagsKeepUpstreamNames: the flags a kube-apiserver operator knows exist under their names.
func TestStandardFlagsKeepUpstreamNames(t *testing.T) {
	o := options.NewOptions()
	o.ComponentGlobalsRegistry = basecompatibility.NewComponentGlobalsRegistry()
	cmd := NewCommand(context.Background(), o)
	for _, name := range []string{"etcd-servers", "etcd-prefix", "storage-media-type", "secure-port", "bind-address",
		"tls-cert-file", "tls-private-key-file", "kubeconfig", "authentication-kubeconfig", "authorization-kubeconfig",
		"admission-control-config-file", "enable-admission-plugins", "disable-admission-plugins", "audit-log-path",
		"enable-priority-and-fairness", "tracing-config-file", "feature-gates", "emulated-version",
		"request-timeout", "max-requests-inflight", "shutdown-delay-duration", "shutdown-watch-termination-grace-period",
		"data-dir"} {
		if cmd.Flags().Lookup(name) == nil {
			t.Errorf("no --%s", name)
		}
	}
}
