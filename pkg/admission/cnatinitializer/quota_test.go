package cnatinitializer_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"
	genericinitializer "k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/apiserver/pkg/admission/plugin/resourcequota"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/programming-kubernetes/cnat/pkg/admission/cnatinitializer"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	cnatfake "github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/fake"
	cnatinformers "github.com/programming-kubernetes/cnat/pkg/generated/informers/externalversions"
)

const atCount corev1.ResourceName = "count/ats.cnat.programming-kubernetes.info"

// TestResourceQuotaPluginCountsAts: the upstream ResourceQuota plugin, initialized as cnat-apiserver
// initializes it, charges a new At to a quota on count/ats and refuses it once the quota is used up.
func TestResourceQuotaPluginCountsAts(t *testing.T) {
	for _, tc := range []struct {
		used    int64
		wantErr string
	}{
		{used: 0},
		{used: 1, wantErr: `exceeded quota: ats, requested: ` + string(atCount) + `=1, used: ` + string(atCount) + `=1, limited: ` + string(atCount) + `=1`},
	} {
		limit := corev1.ResourceList{atCount: resource.MustParse("1")}
		client := fake.NewClientset(&corev1.ResourceQuota{
			ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "ats"},
			Spec:       corev1.ResourceQuotaSpec{Hard: limit},
			Status:     corev1.ResourceQuotaStatus{Hard: limit, Used: corev1.ResourceList{atCount: *resource.NewQuantity(tc.used, resource.DecimalSI)}},
		})
		plugin := newPlugin(t, client)

		err := plugin.Validate(context.Background(), atCreate("team-a"), nil)
		if tc.wantErr != "" {
			if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("used %d: %v, want a 403 containing %q", tc.used, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("used %d: %v", tc.used, err)
		}
		charged, err := client.CoreV1().ResourceQuotas("team-a").Get(context.Background(), "ats", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if used := charged.Status.Used[atCount]; used.Value() != 1 {
			t.Errorf("after the create the quota's status.used is %v, want 1", charged.Status.Used)
		}
	}
}

// newPlugin is the ResourceQuota plugin, initialized by the generic initializer and then by this package's, as
// the server's admission options do, with its informers synced.
func newPlugin(t *testing.T, client *fake.Clientset) *resourcequota.QuotaAdmission {
	t.Helper()
	plugin, err := resourcequota.NewResourceQuota(nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	factory := informers.NewSharedInformerFactory(client, 0)
	admission.PluginInitializers{
		genericinitializer.New(client, nil, factory, nil, nil, nil, stop, nil),
		cnatinitializer.New(cnatinformers.NewSharedInformerFactory(cnatfake.NewClientset(), 0)),
	}.Initialize(plugin)
	if err := admission.ValidateInitialization(plugin); err != nil {
		t.Fatal(err)
	}
	factory.Start(stop)
	factory.WaitForCacheSync(stop)
	return plugin
}

func atCreate(namespace string) admission.Attributes {
	at := &cnat.At{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "nightly"}}
	return admission.NewAttributesRecord(at, nil, cnat.SchemeGroupVersion.WithKind("At"), namespace, at.Name,
		cnat.Resource("ats").WithVersion("v1beta1"), "", admission.Create, &metav1.CreateOptions{}, false, &user.DefaultInfo{Name: "jane"})
}
