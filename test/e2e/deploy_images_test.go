package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// deployImagesDir is the component that sets every image of the deployment and the default image of Ats.
var deployImagesDir = filepath.Join("artifacts", "deploy", "images")

// checkImagesPinned: every container of the rendered workloads names its image with a tag or digest. The
// manifests name them without one, so a bare name means the images component was left out.
func checkImagesPinned(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() != "Deployment" && o.GetKind() != "StatefulSet" {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(podSpec(t, o), "containers")
		for _, c := range containers {
			image, _ := c.(map[string]any)["image"].(string)
			named, err := reference.ParseNormalizedNamed(image)
			if err != nil {
				t.Errorf("%s %s: image %q: %v", o.GetKind(), o.GetName(), image, err)
				continue
			}
			_, tagged := named.(reference.Tagged)
			_, digested := named.(reference.Digested)
			if !tagged && !digested {
				t.Errorf("%s %s: image %q has no tag or digest: is %s included?", o.GetKind(), o.GetName(), image, deployImagesDir)
			}
		}
	}
}

// checkAdmissionConfig: the file cnat-apiserver's --admission-control-config-file names is the admission
// configuration of the images component (AtPolicy's defaultImage).
func checkAdmissionConfig(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	checkConfigMapFile(t, objs, "admission-control-config-file", filepath.Join(deployImagesDir, "admission-config.yaml"))
}

// checkConfigMapFile: the file a flag of cnat-apiserver names is, through a read-only ConfigMap mount, the
// file want of the repository (a kustomize configMapGenerator's).
func checkConfigMapFile(t *testing.T, objs []*unstructured.Unstructured, flagName, want string) {
	t.Helper()
	deploy := findObject(t, objs, "Deployment", "cnat-apiserver")
	container := onlyContainer(t, deploy)
	file := mustFlag(t, containerArgs(container), flagName)
	wantData, err := os.ReadFile(filepath.Join(repoRoot, want))
	if err != nil {
		t.Fatal(err)
	}
	m, v, key, ok := mountedVolume(t, deploy, container, file)
	if !ok {
		return
	}
	if m["readOnly"] != true {
		t.Errorf("cnat-apiserver: %s is not mounted read-only", m["mountPath"])
	}
	name, _, _ := unstructured.NestedString(v, "configMap", "name")
	if name == "" {
		t.Errorf("cnat-apiserver: --%s=%s is in volume %v, not a ConfigMap", flagName, file, v)
		return
	}
	got, _, _ := unstructured.NestedString(findObject(t, objs, "ConfigMap", name).Object, "data", key)
	if got != string(wantData) {
		t.Errorf("--%s=%s is key %s of ConfigMap %s:\n%s\nwant %s:\n%s", flagName, file, key, name, got, want, wantData)
	}
}
