// Package skew runs the smoke of what users do (test/internal/smoke) behind every older Kubernetes minor
// cnat supports, each on a control plane of its own built from source at that minor (CP_KUBE_VERSION,
// hack/build-control-plane.sh), with that minor's kubectl. The newest minor runs the full e2e suite instead
// (test/e2e), with the smoke among it.
package skew

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/programming-kubernetes/cnat/test/internal/localup"
	"github.com/programming-kubernetes/cnat/test/internal/smoke"
)

func TestSmokeBehindOlderMinors(t *testing.T) {
	older := smoke.SupportedMinors[:len(smoke.SupportedMinors)-1]
	for _, minor := range older {
		t.Run("kube-"+minor, func(t *testing.T) {
			cp, err := localup.Start(filepath.Join(localup.Root(), "_output", "skew-"+minor), "CP_KUBE_VERSION="+minor)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := cp.Stop(); err != nil {
					t.Errorf("local-down: %v", err)
				}
			})
			smoke.Run(t, smoke.Cluster{Kubectl: smoke.Kubectl{Path: cp.Env["CP_KUBECTL"], Kubeconfig: cp.Env["KUBECONFIG"]}, Minor: minor})
			checkAdmissionFitsTheCluster(t, cp, minor)
			checkStoredVersionsReadFromEtcd36(t, cp)
		})
	}
}

// mutatingAdmissionPolicyV1Since is the first minor that serves admissionregistration.k8s.io/v1
// MutatingAdmissionPolicies (1.34 and 1.35 serve v1beta1 at most, off by default).
const mutatingAdmissionPolicyV1Since = "1.36"

// checkAdmissionFitsTheCluster: cnat-apiserver said, once, that it turned MutatingAdmissionPolicy off where
// the cluster does not serve its API, and turned nothing off where it does.
func checkAdmissionFitsTheCluster(t *testing.T, cp *localup.ControlPlane, minor string) {
	log, err := os.ReadFile(filepath.Join(cp.Env["CP_RUN_DIR"], "logs", "cnat-apiserver.log"))
	if err != nil {
		t.Fatal(err)
	}
	off := strings.Count(string(log), `"Admission plugin is off`)
	mapOff := strings.Count(string(log), `plugin="MutatingAdmissionPolicy" missing=`)
	served := minor >= mutatingAdmissionPolicyV1Since
	switch {
	case served && off != 0:
		t.Errorf("behind %s cnat-apiserver turned %d admission plugins off; the cluster serves every API they read", minor, off)
	case !served && (off != 1 || mapOff != 1):
		t.Errorf("behind %s cnat-apiserver logged %d plugins off (MutatingAdmissionPolicy %d times); want MutatingAdmissionPolicy once, alone", minor, off, mapOff)
	}
}

// checkStoredVersionsReadFromEtcd36: the older minors' control planes run the etcd they ship, 3.6, which has
// no RangeStream; cnat-apiserver's stored-versions check read it in pages (it said so), and the server served
// the smoke above.
func checkStoredVersionsReadFromEtcd36(t *testing.T, cp *localup.ControlPlane) {
	resp, err := http.Get(cp.Env["CP_ETCD_URL"] + "/version")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var version struct {
		Server string `json:"etcdserver"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&version); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(version.Server, "3.6.") {
		t.Fatalf("the control plane runs etcd %q, want the 3.6 its minor ships", version.Server)
	}
	log, err := os.ReadFile(filepath.Join(cp.Env["CP_RUN_DIR"], "logs", "cnat-apiserver.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "etcd does not stream ranges, reading the stored versions in pages") {
		t.Errorf("on etcd %s cnat-apiserver did not say it read the stored versions in pages", version.Server)
	}
}
