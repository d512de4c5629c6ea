package app

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		modify  func(*Options)
		wantErr string
	}{
		{"defaults", func(*Options) {}, ""},
		{"no workers", func(o *Options) { o.Workers = 0 }, "--workers"},
		{"no qps", func(o *Options) { o.QPS = 0 }, "--kube-api-qps"},
		{"no lease name", func(o *Options) { o.LeaseName = "" }, "--leader-elect-resource-name"},
		{"lease name irrelevant without election", func(o *Options) { o.LeaderElect, o.LeaseName = false, "" }, ""},
		{"renew deadline beyond lease", func(o *Options) { o.RenewDeadline = 20 * time.Second }, "lease duration > renew deadline"},
		{"qps NaN", func(o *Options) { o.QPS = float32(math.NaN()) }, "--kube-api-qps"},
		{"qps infinite", func(o *Options) { o.QPS = float32(math.Inf(1)) }, "--kube-api-qps"},
		{"too many workers", func(o *Options) { o.Workers = maxWorkers + 1 }, "--workers"},
		{"negative resync", func(o *Options) { o.Resync = -time.Second }, "--resync-period"},
		{"no resync", func(o *Options) { o.Resync = 0 }, ""},
		{"bind address without port", func(o *Options) { o.BindAddress = "127.0.0.1" }, "--bind-address"},
		{"bind address port out of range", func(o *Options) { o.BindAddress = ":65536" }, "--bind-address"},
		{"bind address any port", func(o *Options) { o.BindAddress = "localhost:0" }, ""},
		{"negative retry period", func(o *Options) { o.RetryPeriod = -time.Second }, "--leader-elect-retry-period"},
		{"renew deadline within jittered retry", func(o *Options) { o.RetryPeriod = 9 * time.Second }, "1.2 × retry period"},
		{"renew deadline and retry period within lease", func(o *Options) { o.RenewDeadline = 12 * time.Second }, ""},
		{"renew deadline and retry period beyond lease", func(o *Options) { o.RenewDeadline = 13 * time.Second }, "renew deadline + retry period must be less than the lease duration"},
		{"lease namespace not a name", func(o *Options) { o.LeaseNS = "Cnat/System" }, "--leader-elect-resource-namespace"},
		{"no identity", func(o *Options) { o.Identity = "" }, "--leader-elect-identity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := NewOptions()
			tc.modify(o)
			err := o.Validate()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Validate() = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestFlagsKeepTheirNames(t *testing.T) {
	cmd := NewCommand(t.Context())
	for _, name := range []string{"kubeconfig", "leader-elect", "leader-elect-resource-namespace", "leader-elect-resource-name",
		"workers", "kube-api-qps", "kube-api-burst", "bind-address"} {
		if cmd.Flags().Lookup(name) == nil {
			t.Errorf("no --%s", name)
		}
	}
}

// No resync by default: changes come as events and schedules as timers; a resync would queue every At at
// once, ahead of those falling due (docs/controller.md).
func TestNoResyncByDefault(t *testing.T) {
	if got := NewOptions().Resync; got != 0 {
		t.Errorf("default --resync-period %v, want 0", got)
	}
}
