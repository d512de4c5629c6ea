package admission

import (
	"strings"
	"testing"

	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/atpolicytesting"
	"github.com/programming-kubernetes/cnat/test/integration/framework"
)

// TestBadConfigurationStopsTheServer: a configuration the plugin cannot take, or a plugin that cannot run
// standalone, stops the server at start with a message naming the problem.
func TestBadConfigurationStopsTheServer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
		want  []string
	}{
		{
			name:  "unknown field",
			flags: []string{"--admission-control-config-file", atpolicytesting.WriteAdmissionConfig(t, "maxUnfinished: 3")},
			want:  []string{`"AtPolicy"`, `unknown field "maxUnfinished"`},
		},
		{
			name:  "bad duration",
			flags: []string{"--admission-control-config-file", atpolicytesting.WriteAdmissionConfig(t, "maxScheduleAhead: 30d")},
			want:  []string{`"AtPolicy"`, "maxScheduleAhead", `"30d"`},
		},
		{
			name:  "bad value",
			flags: []string{"--admission-control-config-file", atpolicytesting.WriteAdmissionConfig(t, "maxUnfinishedPerNamespace: -1")},
			want:  []string{`"AtPolicy"`, "maxUnfinishedPerNamespace"},
		},
		{
			name:  "plugin that needs a cluster",
			flags: []string{"--enable-admission-plugins=NamespaceLifecycle"},
			want:  []string{`"NamespaceLifecycle" needs a Kubernetes cluster`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			server, err := framework.Start(t.TempDir(), tc.flags...)
			if err == nil {
				server.Stop()
				t.Fatal("the server started")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%q does not contain %q", err, want)
				}
			}
		})
	}
}
