package atpolicy

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	atpolicyapi "github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy"
)

const header = "apiVersion: admission.cnat.programming-kubernetes.info/v1alpha1\nkind: AtPolicyConfiguration\n"

func TestLoadConfigurationReadsEveryField(t *testing.T) {
	for name, data := range map[string]string{
		"yaml": header + `
defaultImage: registry.example/tools/busybox:1.36
allowedImagePrefixes: ["registry.example/tools/", "alpine:"]
maxUnfinishedPerNamespace: 10
maxScheduleAhead: 720h
`,
		"json": `{"apiVersion": "admission.cnat.programming-kubernetes.info/v1alpha1", "kind": "AtPolicyConfiguration",
			"defaultImage": "registry.example/tools/busybox:1.36", "allowedImagePrefixes": ["registry.example/tools/", "alpine:"],
			"maxUnfinishedPerNamespace": 10, "maxScheduleAhead": "720h"}`,
	} {
		got, err := LoadConfiguration(strings.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := &atpolicyapi.AtPolicyConfiguration{
			DefaultImage:              "registry.example/tools/busybox:1.36",
			AllowedImagePrefixes:      []string{"registry.example/tools/", "alpine:"},
			MaxUnfinishedPerNamespace: 10,
			MaxScheduleAhead:          metav1.Duration{Duration: 720 * time.Hour},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", name, diff)
		}
	}
}

// TestLoadConfigurationDefaults: no configuration at all and an empty one both allow everything.
func TestLoadConfigurationDefaults(t *testing.T) {
	empty := &atpolicyapi.AtPolicyConfiguration{}
	got, err := LoadConfiguration(nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(empty, got); diff != "" {
		t.Errorf("no configuration: (-want +got)\n%s", diff)
	}
	got, err = LoadConfiguration(strings.NewReader(header))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(empty, got); diff != "" {
		t.Errorf("empty configuration: (-want +got)\n%s", diff)
	}
}

func TestLoadConfigurationErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"unknown field", header + "maxUnfinished: 3\n", []string{`unknown field "maxUnfinished"`}},
		{"bad duration", header + "maxScheduleAhead: 30d\n", []string{`maxScheduleAhead: time: unknown unit "d" in duration "30d"`}},
		{"number as text", header + "maxUnfinishedPerNamespace: ten\n", []string{"maxUnfinishedPerNamespace"}},
		{"negative limit", header + "maxUnfinishedPerNamespace: -1\n", []string{"maxUnfinishedPerNamespace: Invalid value: -1"}},
		{"negative duration", header + "maxScheduleAhead: -1h\n", []string{"maxScheduleAhead: Invalid value"}},
		{"empty prefix", header + "allowedImagePrefixes: ['']\n", []string{"allowedImagePrefixes[0]"}},
		{"default image not allowed", header + "defaultImage: busybox\nallowedImagePrefixes: [alpine:]\n",
			[]string{"defaultImage", "allowedImagePrefixes"}},
		{"wrong kind", "apiVersion: admission.cnat.programming-kubernetes.info/v1alpha1\nkind: Policy\n", []string{`"Policy"`}},
		{"unknown version", "apiVersion: admission.cnat.programming-kubernetes.info/v2\nkind: AtPolicyConfiguration\n",
			[]string{"admission.cnat.programming-kubernetes.info/v2"}},
	} {
		_, err := LoadConfiguration(strings.NewReader(tc.data))
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, want := range append(tc.want, "AtPolicyConfiguration") {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q does not contain %q", tc.name, err, want)
			}
		}
	}
}
