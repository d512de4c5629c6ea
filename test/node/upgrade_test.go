package node

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/programming-kubernetes/cnat/test/internal/ledger"
	"github.com/programming-kubernetes/cnat/test/internal/localup"
	"github.com/programming-kubernetes/cnat/test/internal/releases"
)

// upgradeSteps are docs/versions.md's "Upgrading a cluster": the components the overlay lists at each step.
var upgradeSteps = []struct {
	name       string
	components []string
}{
	{"the new image, emulating 1.0", []string{"emulate-cnat-1.0", "without-apiservice-v1"}},
	{"emulating 1.1", []string{"emulate-cnat-1.1", "without-apiservice-v1"}},
	{"v1's APIService", []string{"emulate-cnat-1.1"}},
	{"1.2", nil},
}

// testUpgradeFromPreviousRelease: cnat 1.0 installed as its own commit installs it (its manifests, its
// install script, its images), then upgraded to this tree's images through the steps of docs/versions.md's
// "Upgrading a cluster" (kubectl apply -k of an overlay listing the step's components, each rolled out
// before the next), under load in v1beta1 and v1alpha1 throughout and in v1 once its APIService exists.
// Nothing acknowledged is lost, no request fails, and every At reads the same in every version at the end.
// It runs after Uninstall: a cluster without cnat.
func testUpgradeFromPreviousRelease(t *testing.T) {
	root := localup.Root()
	runScript(t, root, nil, filepath.Join(root, "hack", "build-release.sh"), "--images", releases.Previous)
	release := releases.Dir(root, releases.Previous)
	// Into the node's containerd, as the node imports make images' at its start (hack/lib/node.sh).
	runScript(t, root, []string{"CP_NODE=real"}, "bash", "-c",
		`source hack/lib/control-plane.sh && node_import_images "$1"`, "import-images", filepath.Join(release, "images"))

	// The release's own checkout (of the commit build-release.sh built it from): its install script applies
	// its own artifacts/deploy.
	commit, err := os.ReadFile(filepath.Join(release, "commit"))
	if err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(t.TempDir(), "cnat-"+releases.Previous)
	runScript(t, root, nil, "git", "worktree", "add", "--detach", tree, strings.TrimSpace(string(commit)))
	t.Cleanup(func() { _ = exec.Command("git", "-C", root, "worktree", "remove", "--force", tree).Run() })
	start := time.Now()
	runScript(t, tree, []string{"CNAT_IMAGE_TAG=v" + releases.Previous}, filepath.Join(tree, "hack", "install-local.sh"))
	t.Logf("cnat %s installed in %s", releases.Previous, time.Since(start).Round(time.Second))
	checkServerImage(t, "v"+releases.Previous)

	c, err := client()
	if err != nil {
		t.Fatal(err)
	}
	runs := map[string]*ledger.Run{}
	order := []string{"v1beta1", "v1alpha1"}
	for _, v := range order {
		runs[v] = ledger.StartRun(t, c, namespaceFor(t, v), nodeLoad.InVersion(v))
	}
	time.Sleep(phase(5*time.Second, 20*time.Second))

	// The overlay a user keeps: hack/deploy-certs.sh's of this tree (the certificates and keys of the 1.0
	// install are kept), this tree's images, and the step's components.
	runScript(t, root, nil, filepath.Join(root, "hack", "deploy-certs.sh"), filepath.Join(runDir, "deploy"))
	overlay := filepath.Join(runDir, "upgrade")
	if err := os.MkdirAll(overlay, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, step := range upgradeSteps {
		k := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../deploy\n" +
			"images:\n- name: ghcr.io/programming-kubernetes/cnat-apiserver\n  newTag: local\n" +
			"- name: ghcr.io/programming-kubernetes/cnat-controller\n  newTag: local\ncomponents:\n"
		for _, c := range step.components {
			rel, err := filepath.Rel(overlay, filepath.Join(root, "artifacts", "deploy", "components", c))
			if err != nil {
				t.Fatal(err)
			}
			k += "- " + rel + "\n"
		}
		if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(k), 0o644); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		kubectl.Run(t, "", "apply", "-k", overlay)
		for _, workload := range []string{"statefulset/cnat-etcd", "deployment/cnat-apiserver", "deployment/cnat-controller"} {
			kubectl.Run(t, "", "-n", "cnat-system", "rollout", "status", workload, "--timeout", "5m")
		}
		t.Logf("step %q rolled out in %s", step.name, time.Since(start).Round(time.Second))
		if step.name == "v1's APIService" {
			kubectl.Run(t, "", "wait", "--for=condition=Available", "--timeout=2m", "apiservice/v1.cnat.programming-kubernetes.info")
			runs["v1"] = ledger.StartRun(t, c, namespaceFor(t, "v1"), nodeLoad.InVersion("v1"))
			order = append(order, "v1")
		}
		time.Sleep(phase(5*time.Second, 20*time.Second))
	}
	checkServerImage(t, "local")
	for _, v := range order {
		row := runs[v].Finish("upgrade "+releases.Previous+"→current on the node, "+v+" clients", "")
		t.Log(row)
		reportRow(row)
		if row.Failed > 0 {
			t.Errorf("%s: %d requests failed during the upgrade, want 0", v, row.Failed)
		}
	}
	// Every At reads the same through each version (nothing dropped by a replica that did not know a field).
	for _, v := range order {
		ledger.CheckReadAlike(t, c, runs[v].Namespace(), v)
	}
}

// namespaceFor is a namespace of the test's own for the clients of a version.
func namespaceFor(t *testing.T, version string) string {
	t.Helper()
	name := "upgrade-" + version
	kubectl.Run(t, "", "create", "namespace", name)
	t.Cleanup(func() { _, _ = kubectl.Try("", "delete", "namespace", name, "--wait=false") })
	return name
}

// runScript runs a command in dir with the environment of the node's scripts (scriptEnv) and env, failing
// the test with its output if it fails.
func runScript(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(scriptEnv(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// checkServerImage: every cnat-apiserver Pod runs the image of that tag.
func checkServerImage(t *testing.T, tag string) {
	t.Helper()
	out := kubectl.Run(t, "", "-n", "cnat-system", "get", "pods", "-l", "app.kubernetes.io/name=cnat-apiserver",
		"-o", `jsonpath={range .items[*]}{.spec.containers[0].image}{"\n"}{end}`)
	for _, image := range strings.Fields(out) {
		if !strings.HasSuffix(image, ":"+tag) {
			t.Errorf("a cnat-apiserver Pod runs %s, want tag %s:\n%s", image, tag, out)
		}
	}
}
