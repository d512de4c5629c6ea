package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// deployUpgradeStep is one step of docs/versions.md's "Upgrading a cluster": the components an overlay of
// artifacts/deploy lists, the release cnat-apiserver then emulates ("" for its own) and the versions whose
// APIServices it installs.
type deployUpgradeStep struct {
	components  []string
	emulated    string
	apiServices []string
}

var deployUpgradeSteps = []deployUpgradeStep{
	{[]string{"components/emulate-cnat-1.0", "components/without-apiservice-v1"}, "cnat=1.0", []string{"v1alpha1", "v1beta1"}},
	{[]string{"components/emulate-cnat-1.1", "components/without-apiservice-v1"}, "cnat=1.1", []string{"v1alpha1", "v1beta1"}},
	{[]string{"components/emulate-cnat-1.1"}, "cnat=1.1", []string{"v1", "v1alpha1", "v1beta1"}},
	{nil, "", []string{"v1", "v1alpha1", "v1beta1"}},
}

// TestDeployUpgradeSteps: each step's overlay renders artifacts/deploy with cnat-apiserver's
// --emulated-version given once and as the step says, exactly the step's APIServices, nothing else changed,
// and kube-apiserver accepts every object (server-side dry run). What the flags do on real processes under
// load, in this order, is TestMixedVersionRollout's (test/reliability).
func TestDeployUpgradeSteps(t *testing.T) {
	base := renderKustomize(t, filepath.Join(repoRoot, "artifacts", "deploy"))
	baseArgs := containerArgs(onlyContainer(t, findObject(t, base, "Deployment", "cnat-apiserver")))
	for i, step := range deployUpgradeSteps {
		dir := t.TempDir()
		rel, err := filepath.Rel(dir, filepath.Join(repoRoot, "artifacts", "deploy"))
		if err != nil {
			t.Fatal(err)
		}
		kustomization := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- " + rel + "\ncomponents:\n"
		for _, c := range step.components {
			kustomization += "- " + filepath.Join(rel, c) + "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
			t.Fatal(err)
		}
		objs := renderKustomize(t, dir)

		args := containerArgs(onlyContainer(t, findObject(t, objs, "Deployment", "cnat-apiserver")))
		var emulated []string
		rest := slices.DeleteFunc(slices.Clone(args), func(a string) bool {
			v, ok := strings.CutPrefix(a, "--emulated-version=")
			if ok {
				emulated = append(emulated, v)
			}
			return ok
		})
		want := []string{}
		if step.emulated != "" {
			want = []string{step.emulated}
		}
		if !slices.Equal(emulated, want) {
			t.Errorf("step %d %v: --emulated-version %q, want %q", i+1, step.components, emulated, want)
		}
		if !slices.Equal(rest, baseArgs) {
			t.Errorf("step %d: cnat-apiserver's other args changed:\n%q\nwant artifacts/deploy's\n%q", i+1, rest, baseArgs)
		}

		var versions []string
		for _, o := range objs {
			if o.GetKind() == "APIService" {
				version, _, _ := strings.Cut(o.GetName(), ".")
				versions = append(versions, version)
			}
		}
		if slices.Sort(versions); !slices.Equal(versions, step.apiServices) {
			t.Errorf("step %d: APIServices of %v, want %v", i+1, versions, step.apiServices)
		}
		if got, want := len(objs), len(base)-(3-len(step.apiServices)); got != want {
			t.Errorf("step %d renders %d objects, want %d (artifacts/deploy's, less the APIServices left out)", i+1, got, want)
		}
		dryRunApply(t, objs)
	}
}
