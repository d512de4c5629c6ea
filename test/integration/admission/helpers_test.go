// Package admission tests the AtPolicy admission plugin in the real standalone server, configured by the
// example file artifacts/admission/admission-config.yaml through --admission-control-config-file.
package admission

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/rand"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/admission"
	apiserverapi "k8s.io/apiserver/pkg/apis/apiserver"
	apiserverapiv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"

	"github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy"
	atpolicyapi "github.com/programming-kubernetes/cnat/pkg/admission/plugin/atpolicy/apis/atpolicy"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// exampleConfig is the example AdmissionConfiguration of the repository.
var exampleConfig = filepath.Join("..", "..", "..", "artifacts", "admission", "admission-config.yaml")

// deployConfig is the AdmissionConfiguration artifacts/deploy gives cnat-apiserver.
var deployConfig = filepath.Join("..", "..", "..", "artifacts", "deploy", "images", "admission-config.yaml")

// policyIn reads the AtPolicy configuration out of an AdmissionConfiguration file the way the server does.
func policyIn(t *testing.T, file string) *atpolicyapi.AtPolicyConfiguration {
	t.Helper()
	scheme := runtime.NewScheme()
	utilruntime.Must(apiserverapi.AddToScheme(scheme))
	utilruntime.Must(apiserverapiv1.AddToScheme(scheme))
	configs, err := admission.ReadAdmissionConfiguration([]string{atpolicy.PluginName}, file, scheme)
	if err != nil {
		t.Fatal(err)
	}
	data, err := configs.ConfigFor(atpolicy.PluginName)
	if err != nil || data == nil {
		t.Fatalf("%s holds no AtPolicy configuration (%v)", file, err)
	}
	policy, err := atpolicy.LoadConfiguration(data)
	if err != nil {
		t.Fatal(err)
	}
	return policy
}

// examplePolicy is the example file's policy, so that the tests follow the example's values and fail if it
// stops making sense.
func examplePolicy(t *testing.T) *atpolicyapi.AtPolicyConfiguration {
	t.Helper()
	policy := policyIn(t, exampleConfig)
	if policy.DefaultImage == "" || len(policy.AllowedImagePrefixes) == 0 || policy.MaxUnfinishedPerNamespace == 0 ||
		policy.MaxScheduleAhead.Duration == 0 {
		t.Fatalf("the example must set every rule for these tests to show them: %+v", policy)
	}
	if policy.DefaultImage == cnat.DefaultImage {
		t.Fatalf("the example's defaultImage is the API default %q: replacing it would show nothing", cnat.DefaultImage)
	}
	return policy
}

// newAt is a v1beta1 At due in an hour, well within any maxScheduleAhead of these tests.
func newAt(name, image string) *v1beta1.At {
	return &v1beta1.At{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1beta1.AtSpec{
			Schedule: metav1.NewTime(time.Now().Add(time.Hour).Truncate(time.Second)),
			Command:  []string{"echo", "YAY"},
			Image:    image,
		},
	}
}

// namespace is a fresh namespace for one test: the limit counts per namespace.
func namespace(t *testing.T) string {
	name := strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(t.Name()))
	if len(name) > 50 {
		name = name[:50]
	}
	return strings.Trim(name, "-") + "-" + rand.String(5)
}

func ctx() context.Context { return context.Background() }
