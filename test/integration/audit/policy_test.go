package audit

import (
	"slices"
	"testing"

	"k8s.io/apiserver/pkg/apis/audit"
	auditpolicy "k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// TestAuditPolicyLevels: the example policy, loaded and evaluated by k8s.io/apiserver as a server does,
// records writes of Ats and of their status in full, reads of them as metadata, Secrets (which cnat does
// not serve, but a server reusing the policy might) as metadata only whatever the verb, and health checks
// and discovery not at all.
func TestAuditPolicyLevels(t *testing.T) {
	policy, err := auditpolicy.LoadPolicyFromFile(policyFile())
	if err != nil {
		t.Fatal(err)
	}
	evaluator := auditpolicy.NewPolicyRuleEvaluator(policy)
	check := func(attrs authorizer.AttributesRecord, want audit.Level) {
		t.Helper()
		attrs.User = &user.DefaultInfo{Name: writer}
		if got := evaluator.EvaluatePolicyRule(attrs).Level; got != want {
			t.Errorf("%s %s/%s/%s %s: level %s, want %s", attrs.Verb, attrs.APIGroup, attrs.Resource, attrs.Subresource, attrs.Path, got, want)
		}
	}
	resource := func(group, resource, subresource, verb string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{Verb: verb, APIGroup: group, Resource: resource, Subresource: subresource,
			Namespace: "default", Name: "x", ResourceRequest: true}
	}
	const cnat = "cnat.programming-kubernetes.info"
	for _, verb := range []string{"create", "update", "patch", "delete", "deletecollection"} {
		check(resource(cnat, "ats", "", verb), audit.LevelRequestResponse)
		check(resource(cnat, "ats", "status", verb), audit.LevelRequestResponse)
		check(resource("", "secrets", "", verb), audit.LevelMetadata)
	}
	for _, verb := range []string{"get", "list", "watch"} {
		check(resource(cnat, "ats", "", verb), audit.LevelMetadata)
		check(resource(cnat, "ats", "status", verb), audit.LevelMetadata)
		check(resource("", "secrets", "", verb), audit.LevelMetadata)
	}
	for _, path := range []string{"/healthz", "/livez", "/readyz", "/readyz/etcd", "/livez/ping", "/metrics",
		"/apis", "/apis/" + cnat + "/v1beta1", "/openapi/v3"} {
		check(authorizer.AttributesRecord{Verb: "get", Path: path}, audit.LevelNone)
	}
	if !slices.Contains(policy.OmitStages, audit.StageRequestReceived) {
		t.Errorf("the policy records RequestReceived: every request twice")
	}
}
