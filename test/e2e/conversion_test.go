package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"
)

// The golden fixtures of the API (pkg/apis/cnat/testdata/conversion): each At in both versions.
var fixtureDir = filepath.Join("..", "..", "pkg", "apis", "cnat", "testdata", "conversion")

func readFixture(t *testing.T, name, version string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, name, version+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

var (
	runningIn = map[string]string{"v1alpha1": "RUNNING", "v1beta1": "Running"}
	pendingIn = map[string]string{"v1alpha1": "PENDING", "v1beta1": "Pending"}
)

// TestConversionThroughTheAggregator writes each fixture through kube-apiserver in one version — the object
// with ats, its status with ats/status, as a client and the controller would — and reads it back in the
// other version: it must be exactly the other version's fixture.
func TestConversionThroughTheAggregator(t *testing.T) {
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	// The fixtures hold statuses no controller wrote (Pods that do not exist, schedules long past): a running
	// controller would act on them. It is stopped for this test and started again after it.
	controlPlaneScript(t, "cp_stop_one cnat-controller")
	t.Cleanup(func() { controlPlaneScript(t, "cnat_start_controller") })
	ns := namespace(t)
	for _, entry := range entries {
		for _, dir := range [][2]string{{"v1alpha1", "v1beta1"}, {"v1beta1", "v1alpha1"}} {
			from, to := dir[0], dir[1]
			t.Run(entry.Name()+"/"+from+"-to-"+to, func(t *testing.T) {
				source, want := readFixture(t, entry.Name(), from), readFixture(t, entry.Name(), to)
				name := entry.Name() + "-" + from
				write(t, ns, name, from, source)

				got := getJSON(t, "-n", ns, "ats."+to+"."+group, name)
				for _, path := range [][]string{{"spec"}, {"metadata", "labels"}, {"metadata", "annotations"}} {
					if w, g := field(want, path...), field(got, path...); !reflect.DeepEqual(w, g) {
						t.Errorf("%v:\n  want %s\n  got  %s", path, toJSON(t, w), toJSON(t, g))
					}
				}
				wantStatus := field(want, "status")
				if wantStatus == nil {
					wantStatus = map[string]any{"phase": pendingIn[to]}
				}
				if g := field(got, "status"); !reflect.DeepEqual(wantStatus, g) {
					t.Errorf("status:\n  want %s\n  got  %s", toJSON(t, wantStatus), toJSON(t, g))
				}
			})
		}
	}
}

// write creates the fixture's object in version, then writes its status through ats/status, moving the
// phase forward one step at a time as the controller does.
func write(t *testing.T, ns, name, version string, fixture map[string]any) {
	t.Helper()
	resource := "ats." + version + "." + group
	obj := map[string]any{"apiVersion": fixture["apiVersion"], "kind": fixture["kind"], "spec": fixture["spec"],
		"metadata": map[string]any{"name": name, "labels": field(fixture, "metadata", "labels"),
			"annotations": field(fixture, "metadata", "annotations")}}
	kubectl(t, toJSON(t, obj), "create", "-n", ns, "-f", "-")

	status, _ := fixture["status"].(map[string]any)
	if status == nil || status["phase"] == pendingIn[version] {
		return
	}
	if status["phase"] != runningIn[version] {
		kubectl(t, "", "patch", resource, name, "-n", ns, "--subresource", "status", "--type", "merge",
			"-p", toJSON(t, map[string]any{"status": map[string]any{"phase": runningIn[version]}}))
	}
	// In v1alpha1 the status v1alpha1 cannot show travels in the bookkeeping annotations, so they go with it.
	patch := map[string]any{"status": status}
	if version == "v1alpha1" {
		patch["metadata"] = map[string]any{"annotations": field(fixture, "metadata", "annotations")}
	}
	kubectl(t, "", "patch", resource, name, "-n", ns, "--subresource", "status", "--type", "merge", "-p", toJSON(t, patch))
}

// TestEditInV1alpha1KeepsTheV1beta1Spec: kubectl edit of an At in v1alpha1 (here: adding a label) restores
// its argv and image exactly.
func TestEditInV1alpha1KeepsTheV1beta1Spec(t *testing.T) {
	ns := namespace(t)
	kubectl(t, `apiVersion: cnat.programming-kubernetes.info/v1beta1
kind: At
metadata:
  name: rmw
spec:
  schedule: "2099-01-01T00:00:00Z"
  command: ["echo", "a b"]
  image: alpine:3.20
`, "create", "-n", ns, "-f", "-")
	before := getJSON(t, "-n", ns, betaR, "rmw")

	editor := filepath.Join(t.TempDir(), "editor.sh")
	script := "#!/bin/sh\n# add a label under metadata\nsed -i 's/^metadata:$/metadata:\\n  labels:\\n    edited: in-v1alpha1/' \"$1\"\n"
	if err := os.WriteFile(editor, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	edit := kubectlCmd("", "edit", alphaR, "rmw", "-n", ns)
	edit.Env = append(edit.Env, "KUBE_EDITOR="+editor)
	if out, err := edit.CombinedOutput(); err != nil {
		t.Fatalf("kubectl edit: %v\n%s", err, out)
	}

	after := getJSON(t, "-n", ns, betaR, "rmw")
	if field(after, "metadata", "labels", "edited") != "in-v1alpha1" {
		t.Fatalf("the edit did not land: %v", field(after, "metadata"))
	}
	if !reflect.DeepEqual(field(before, "spec"), field(after, "spec")) {
		t.Errorf("spec changed by an edit in v1alpha1:\n  before %s\n  after  %s", toJSON(t, field(before, "spec")), toJSON(t, field(after, "spec")))
	}
	if annotations := field(after, "metadata", "annotations"); annotations != nil {
		t.Errorf("v1beta1 shows annotations %v", annotations)
	}
}
