package validation

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy"
)

func TestValidConfigurations(t *testing.T) {
	for name, config := range map[string]atpolicy.AtPolicyConfiguration{
		"empty: allows everything": {},
		"everything set": {
			DefaultImage:              "registry.example/tools/busybox:1.36",
			AllowedImagePrefixes:      []string{"registry.example/tools/", "alpine:"},
			MaxUnfinishedPerNamespace: 10,
			MaxScheduleAhead:          metav1.Duration{Duration: 720 * time.Hour},
		},
		"default image with any image allowed": {DefaultImage: "alpine:3.20"},
	} {
		if errs := ValidateAtPolicyConfiguration(&config); len(errs) != 0 {
			t.Errorf("%s: %v", name, errs)
		}
	}
}

func TestInvalidConfigurationsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		config    atpolicy.AtPolicyConfiguration
		wantField string
	}{
		{atpolicy.AtPolicyConfiguration{MaxUnfinishedPerNamespace: -1}, "maxUnfinishedPerNamespace"},
		{atpolicy.AtPolicyConfiguration{MaxScheduleAhead: metav1.Duration{Duration: -time.Hour}}, "maxScheduleAhead"},
		{atpolicy.AtPolicyConfiguration{AllowedImagePrefixes: []string{"alpine:", ""}}, "allowedImagePrefixes[1]"},
		{atpolicy.AtPolicyConfiguration{DefaultImage: "Not An Image"}, "defaultImage"},
		{atpolicy.AtPolicyConfiguration{DefaultImage: "busybox", AllowedImagePrefixes: []string{"alpine:"}}, "defaultImage"},
	} {
		errs := ValidateAtPolicyConfiguration(&tc.config)
		if len(errs) != 1 || errs[0].Field != tc.wantField {
			t.Errorf("%+v: got %v, want one error on %s", tc.config, errs, tc.wantField)
		}
	}
}

func TestHasAllowedPrefix(t *testing.T) {
	prefixes := []string{"registry.example/team/", "alpine:"}
	for image, want := range map[string]bool{
		"registry.example/team/tool:1":    true,
		"alpine:3.20":                     true,
		"registry.example/team-evil/tool": false, // why prefixes should end with "/"
		"alpine":                          false,
		"docker.io/library/alpine:3.20":   false, // compared as written, never normalized
	} {
		if got := HasAllowedPrefix(image, prefixes); got != want {
			t.Errorf("%s: %v, want %v", image, got, want)
		}
	}
	if !HasAllowedPrefix("anything", nil) {
		t.Error("no prefixes must allow any image")
	}
}

func TestMessagesSayWhatIsExpected(t *testing.T) {
	errs := ValidateAtPolicyConfiguration(&atpolicy.AtPolicyConfiguration{MaxScheduleAhead: metav1.Duration{Duration: -time.Hour}})
	if got := errs.ToAggregate().Error(); !strings.Contains(got, `maxScheduleAhead: Invalid value: "-1h0m0s": must be 0 (unlimited) or more`) {
		t.Errorf("got %q", got)
	}
}
