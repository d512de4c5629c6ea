package app

import (
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
