package clusteraccess

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// admissionregistrationV1Of1_35 is what Kubernetes 1.35 serves in admissionregistration.k8s.io/v1: webhooks
// and ValidatingAdmissionPolicies, no MutatingAdmissionPolicies (v1beta1 there).
var admissionregistrationV1Of1_35 = &metav1.APIResourceList{GroupVersion: "admissionregistration.k8s.io/v1", APIResources: []metav1.APIResource{
	{Name: "mutatingwebhookconfigurations"}, {Name: "validatingwebhookconfigurations"},
	{Name: "validatingadmissionpolicies"}, {Name: "validatingadmissionpolicies/status"}, {Name: "validatingadmissionpolicybindings"},
}}

var coreV1 = &metav1.APIResourceList{GroupVersion: "v1", APIResources: []metav1.APIResource{
	{Name: "namespaces"}, {Name: "resourcequotas"}, {Name: "resourcequotas/status"}, {Name: "configmaps"},
}}

func TestUnservedNamesExactlyTheMissingResources(t *testing.T) {
	dc := &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{Resources: []*metav1.APIResourceList{coreV1, admissionregistrationV1Of1_35}}}
	var needs []Need
	for _, plugin := range []string{"NamespaceLifecycle", "ValidatingAdmissionPolicy", "MutatingAdmissionPolicy", "ValidatingAdmissionWebhook", "ResourceQuota"} {
		needs = append(needs, PluginNeeds[plugin]...)
	}
	unserved, err := Unserved(dc, needs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range unserved {
		if n.User != "MutatingAdmissionPolicy" {
			t.Errorf("%s of %s reported unserved; the cluster serves it", n, n.User)
		}
		got = append(got, n.Verb+" "+n.Resource.Resource)
	}
	want := "list mutatingadmissionpolicies,watch mutatingadmissionpolicies,list mutatingadmissionpolicybindings,watch mutatingadmissionpolicybindings"
	if strings.Join(got, ",") != want {
		t.Errorf("unserved %v, want %s", got, want)
	}

	// A group version the cluster does not know at all serves none of its resources.
	dc.Resources = []*metav1.APIResourceList{coreV1}
	unserved, err = Unserved(dc, PluginNeeds["ValidatingAdmissionWebhook"])
	if err != nil {
		t.Fatal(err)
	}
	if len(unserved) != 2 || unserved[0].Resource.Resource != "validatingwebhookconfigurations" {
		t.Errorf("without admissionregistration.k8s.io/v1, unserved = %v", unserved)
	}
}

func TestUnservedReturnsDiscoveryErrorsOtherThanNotFound(t *testing.T) {
	fake := &k8stesting.Fake{}
	fake.AddReactor("get", "resource", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewServiceUnavailable("kube-apiserver is restarting")
	})
	if _, err := Unserved(&fakediscovery.FakeDiscovery{Fake: fake}, PluginNeeds["MutatingAdmissionPolicy"]); err == nil ||
		!strings.Contains(err.Error(), "restarting") {
		t.Errorf("a failing discovery turned into %v; a plugin must never be turned off on a guess", err)
	}
}

// cluster is a fake cluster whose RBAC denies the permissions in denied ("verb resource") and fails every
// review while down.
func cluster(t *testing.T, denied ...string) (*fake.Clientset, *bool) {
	t.Helper()
	client := fake.NewClientset()
	down := false
	client.PrependReactor("create", "selfsubjectaccessreviews", func(action k8stesting.Action) (bool, runtime.Object, error) {
		if down {
			return true, nil, errors.New("connection refused")
		}
		review := action.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		attrs := review.Spec.ResourceAttributes
		res := attrs.Resource
		if attrs.Subresource != "" {
			res += "/" + attrs.Subresource
		}
		review.Status.Allowed = true
		for _, d := range denied {
			if d == attrs.Verb+" "+res {
				review.Status.Allowed = false
			}
		}
		return true, review, nil
	})
	client.PrependReactor("create", "selfsubjectreviews", func(action k8stesting.Action) (bool, runtime.Object, error) {
		review := action.(k8stesting.CreateAction).GetObject().(*authenticationv1.SelfSubjectReview)
		review.Status.UserInfo.Username = "system:serviceaccount:cnat-system:cnat-apiserver"
		return true, review, nil
	})
	return client, &down
}

func TestCheckerNamesTheMissingPermissionAndRecovers(t *testing.T) {
	client, down := cluster(t, "list validatingadmissionpolicies", "update resourcequotas/status")
	needs := append(append(append([]Need{}, PluginNeeds["ValidatingAdmissionPolicy"]...), PluginNeeds["ResourceQuota"]...), DelegationNeeds()...)
	c := NewChecker(client, needs, nil)
	req, _ := http.NewRequest(http.MethodGet, "/readyz", nil)

	if err := c.Check(req); err == nil || !strings.Contains(err.Error(), "not reviewed yet") {
		t.Errorf("before the first review, /readyz: %v", err)
	}
	if c.Refusal() != nil {
		t.Errorf("before the first review writes are left to the plugins, got refusal %v", c.Refusal())
	}
	if c.CheckOnce(context.Background()) {
		t.Fatal("CheckOnce: all granted, though two permissions are denied")
	}
	err := c.Check(req)
	for _, want := range []string{
		"system:serviceaccount:cnat-system:cnat-apiserver",
		"list validatingadmissionpolicies.admissionregistration.k8s.io (all namespaces) (for ValidatingAdmissionPolicy)",
		"update resourcequotas/status (all namespaces) (for ResourceQuota)",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("/readyz/%s: %v; want it to name %q", c.Name(), err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "watch validatingadmissionpolicies.") {
		t.Errorf("/readyz names a granted permission: %v", err)
	}
	if refusal := c.Refusal(); refusal == nil || !strings.Contains(refusal.Error(), "list validatingadmissionpolicies") {
		t.Errorf("writes not refused with the reason: %v", refusal)
	}

	// A review the cluster cannot answer keeps the last result.
	*down = true
	if c.CheckOnce(context.Background()) || c.Check(req) == nil {
		t.Error("an unreachable cluster turned a missing permission into a granted one")
	}
	*down = false

	// RBAC fixed: the next round sees it.
	client.ReactionChain = client.ReactionChain[1:]
	granted, _ := cluster(t)
	client.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return granted.ReactionChain[1].React(a)
	})
	if !c.CheckOnce(context.Background()) {
		t.Fatalf("after the RBAC fix still missing: %v", c.Check(req))
	}
	if err := c.Check(req); err != nil {
		t.Errorf("/readyz after the fix: %v", err)
	}
	if c.Refusal() != nil {
		t.Errorf("writes refused after the fix: %v", c.Refusal())
	}
}

func TestCheckerOnlyRefusesWritesForAdmissionNeeds(t *testing.T) {
	client, _ := cluster(t, "create tokenreviews")
	c := NewChecker(client, append(append([]Need{}, PluginNeeds["NamespaceLifecycle"]...), DelegationNeeds()...), nil)
	c.CheckOnce(context.Background())
	if err := c.Check(nil); err == nil || !strings.Contains(err.Error(), "create tokenreviews.authentication.k8s.io") {
		t.Errorf("/readyz: %v", err)
	}
	if c.Refusal() != nil {
		t.Errorf("a permission of authentication refused writes in admission: %v", c.Refusal())
	}
}

func TestCheckerFailsForGoodForAnUnservedExplicitPlugin(t *testing.T) {
	client, _ := cluster(t)
	unserved := PluginNeeds["MutatingAdmissionPolicy"][:1]
	c := NewChecker(client, nil, unserved)
	if c.Refusal() == nil {
		t.Error("before the first review, an explicitly enabled plugin without its API does not refuse writes")
	}
	c.CheckOnce(context.Background())
	for _, err := range []error{c.Check(nil), c.Refusal()} {
		if err == nil || !strings.Contains(err.Error(), "does not serve mutatingadmissionpolicies.admissionregistration.k8s.io/v1 (for MutatingAdmissionPolicy)") {
			t.Errorf("got %v, want the unserved API named", err)
		}
	}
}

func TestGuard(t *testing.T) {
	client, _ := cluster(t, "watch namespaces")
	c := NewChecker(client, PluginNeeds["NamespaceLifecycle"], nil)
	chain := &recordingChain{}
	g := Guard(chain, c)
	attrs := admission.NewAttributesRecord(nil, nil, schema.GroupVersionKind{Group: "cnat.programming-kubernetes.info", Version: "v1beta1", Kind: "At"},
		"default", "hello", schema.GroupVersionResource{Group: "cnat.programming-kubernetes.info", Version: "v1beta1", Resource: "ats"}, "",
		admission.Create, &metav1.CreateOptions{}, false, nil)

	// Not reviewed yet: the chain decides.
	if err := g.(admission.ValidationInterface).Validate(context.Background(), attrs, nil); err != nil || chain.validated != 1 {
		t.Fatalf("before the review: err %v, chain called %d times", err, chain.validated)
	}
	c.CheckOnce(context.Background())
	for name, call := range map[string]func() error{
		"Admit":    func() error { return g.(admission.MutationInterface).Admit(context.Background(), attrs, nil) },
		"Validate": func() error { return g.(admission.ValidationInterface).Validate(context.Background(), attrs, nil) },
	} {
		err := call()
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "watch namespaces (all namespaces) (for NamespaceLifecycle)") {
			t.Errorf("%s with a missing permission: %v, want 403 naming it", name, err)
		}
	}
	if chain.validated != 1 || chain.admitted != 0 {
		t.Errorf("the chain ran while a permission was missing (admitted %d, validated %d)", chain.admitted, chain.validated-1)
	}
}

type recordingChain struct{ admitted, validated int }

func (r *recordingChain) Handles(admission.Operation) bool { return true }
func (r *recordingChain) Admit(context.Context, admission.Attributes, admission.ObjectInterfaces) error {
	r.admitted++
	return nil
}
func (r *recordingChain) Validate(context.Context, admission.Attributes, admission.ObjectInterfaces) error {
	r.validated++
	return nil
}
