package e2e

import (
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// deployAuditComponent turns on audit logging with the example policy (docs/operations.md, "Audit").
const deployAuditComponent = "components/audit"

// checkAuditWiring: cnat-apiserver reads its audit policy from the component's ConfigMap, which holds the
// example policy as it is in the repository, and writes the events to its stdout.
func checkAuditWiring(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	checkConfigMapFile(t, objs, "audit-policy-file", filepath.Join("artifacts", "deploy", deployAuditComponent, "policy.yaml"))
	if path := mustFlag(t, containerArgs(onlyContainer(t, findObject(t, objs, "Deployment", "cnat-apiserver"))), "audit-log-path"); path != "-" {
		t.Errorf("--audit-log-path=%s, want - (stdout, which the component's comment promises)", path)
	}
}
