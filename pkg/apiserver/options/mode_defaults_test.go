package options

import (
	"testing"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/component-base/compatibility"
)

func TestAggregatedDefaults(t *testing.T) {
	for name, tc := range map[string]struct {
		args         []string
		wantDelay    time.Duration
		wantWatchGP  time.Duration
		wantHTTP2Off bool
	}{
		"defaults":       {nil, 10 * time.Second, 15 * time.Second, true},
		"given are kept": {[]string{"--shutdown-delay-duration=3s", "--disable-http2-serving=false"}, 3 * time.Second, 15 * time.Second, false},
	} {
		t.Run(name, func(t *testing.T) {
			o := NewOptions()
			o.ComponentGlobalsRegistry = compatibility.NewComponentGlobalsRegistry()
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			o.AddFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			o.applyModeDefaults(false)
			if got := o.ServerRun.ShutdownDelayDuration; got != tc.wantDelay {
				t.Errorf("shutdown delay %s, want %s", got, tc.wantDelay)
			}
			if got := o.ServerRun.ShutdownWatchTerminationGracePeriod; got != tc.wantWatchGP {
				t.Errorf("watch termination grace period %s, want %s", got, tc.wantWatchGP)
			}
			if got := o.RecommendedOptions.SecureServing.DisableHTTP2Serving; got != tc.wantHTTP2Off {
				t.Errorf("HTTP/2 disabled %t, want %t", got, tc.wantHTTP2Off)
			}
			if o.RecommendedOptions.Features.EnablePriorityAndFairness {
				t.Error("API priority and fairness on in aggregated mode, want it left to kube-apiserver")
			}
		})
	}
}

// Standalone stops at once: no shutdown delay, and watches ended within a second.
func TestStandaloneKeepsGenericDefaults(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "") // not in a cluster
	o := NewOptions()
	o.ComponentGlobalsRegistry = compatibility.NewComponentGlobalsRegistry()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse([]string{"--data-dir", t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if !o.Standalone() {
		t.Fatal("not standalone without --kubeconfig outside a cluster")
	}
	if o.ServerRun.ShutdownDelayDuration != 0 || o.RecommendedOptions.SecureServing.DisableHTTP2Serving ||
		o.ServerRun.ShutdownWatchTerminationGracePeriod != time.Second {
		t.Errorf("standalone: delay %s, HTTP/2 off %t, watch grace %s; want 0s, HTTP/2 on, 1s", o.ServerRun.ShutdownDelayDuration,
			o.RecommendedOptions.SecureServing.DisableHTTP2Serving, o.ServerRun.ShutdownWatchTerminationGracePeriod)
	}
}
