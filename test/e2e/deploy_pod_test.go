package e2e

import (
	"encoding/base64"
	"net/url"
	"path"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Helpers that read the Pod templates of rendered workloads (Deployments, StatefulSets) the way the kubelet
// and the programs in them will: which labels the Pods carry, what their flags say, which Secret key a file
// named by a flag is.

// podSpec is a workload's Pod template spec.
func podSpec(t *testing.T, workload *unstructured.Unstructured) map[string]any {
	t.Helper()
	spec, found, err := unstructured.NestedMap(workload.Object, "spec", "template", "spec")
	if !found || err != nil {
		t.Fatalf("%s %s has no Pod template spec (%v)", workload.GetKind(), workload.GetName(), err)
	}
	return spec
}

// podLabels are the labels of a workload's Pods.
func podLabels(workload *unstructured.Unstructured) map[string]string {
	labels, _, _ := unstructured.NestedStringMap(workload.Object, "spec", "template", "metadata", "labels")
	return labels
}

// onlyContainer is the single container of a workload's Pods.
func onlyContainer(t *testing.T, workload *unstructured.Unstructured) map[string]any {
	t.Helper()
	containers, _, _ := unstructured.NestedSlice(podSpec(t, workload), "containers")
	if len(containers) != 1 {
		t.Fatalf("%s %s has %d containers, want 1", workload.GetKind(), workload.GetName(), len(containers))
	}
	return containers[0].(map[string]any)
}

// containerArgs are a container's args.
func containerArgs(container map[string]any) []string {
	args, _, _ := unstructured.NestedStringSlice(container, "args")
	return args
}

// flag is the value of --name=value among args ("true" for a bare --name), and whether it is there. Each
// flag must be given once: a second one would silently win.
func flag(t *testing.T, args []string, name string) (string, bool) {
	t.Helper()
	var value string
	found := 0
	for _, arg := range args {
		if arg == "--"+name {
			value, found = "true", found+1
		} else if v, ok := strings.CutPrefix(arg, "--"+name+"="); ok {
			value, found = v, found+1
		}
	}
	if found > 1 {
		t.Errorf("--%s is given %d times in %v", name, found, args)
	}
	return value, found > 0
}

// mustFlag is the value of a flag that must be there.
func mustFlag(t *testing.T, args []string, name string) string {
	t.Helper()
	value, ok := flag(t, args, name)
	if !ok || value == "" {
		t.Errorf("no --%s in %v", name, args)
	}
	return value
}

// num reads a number of a decoded manifest (YAML numbers decode as float64).
func num(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case float64:
		return int64(n), n == float64(int64(n))
	}
	return 0, false
}

// containerPort is the number of a container's port given by name or number (as probes and Services do).
func containerPort(t *testing.T, container map[string]any, port any) int64 {
	t.Helper()
	if n, ok := num(port); ok {
		return n
	}
	ports, _, _ := unstructured.NestedSlice(container, "ports")
	for _, p := range ports {
		if p := p.(map[string]any); p["name"] == port {
			n, _ := num(p["containerPort"])
			return n
		}
	}
	t.Errorf("container %v has no port %v", container["name"], port)
	return 0
}

// urlPort is the port of a URL, as a number.
func urlPort(t *testing.T, u *url.URL) int64 {
	t.Helper()
	n, err := strconv.ParseInt(u.Port(), 10, 32)
	if err != nil {
		t.Errorf("URL %s has no port", u)
	}
	return n
}

// parseURL parses a URL a flag gives, failing the test if it is none.
func parseURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		t.Errorf("%q is not a URL (%v)", raw, err)
		return &url.URL{}
	}
	return u
}

// selects checks that a label selector (matchLabels) is not empty and selects a workload's Pods.
func selects(t *testing.T, what string, selector map[string]string, workload *unstructured.Unstructured) {
	t.Helper()
	if len(selector) == 0 {
		t.Errorf("%s has no selector", what)
	}
	if labels := podLabels(workload); !matchesLabels(selector, labels) {
		t.Errorf("%s selects %v, the Pods of %s %s are labelled %v", what, selector, workload.GetKind(), workload.GetName(), labels)
	}
}

// matchesLabels tells whether a non-empty matchLabels selector selects the given labels.
func matchesLabels(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return len(selector) > 0
}

// mountedVolume finds what the kubelet puts at file in a container: the mount of a directory above it, the
// volume mounted there, and file's path below the mount. ok is false (and the test failed) when there is none.
func mountedVolume(t *testing.T, workload *unstructured.Unstructured, container map[string]any, file string) (mount, volume map[string]any, rel string, ok bool) {
	t.Helper()
	mounts, _, _ := unstructured.NestedSlice(container, "volumeMounts")
	volumes, _, _ := unstructured.NestedSlice(podSpec(t, workload), "volumes")
	for _, m := range mounts {
		mount = m.(map[string]any)
		dir, _ := mount["mountPath"].(string)
		rel, ok = strings.CutPrefix(file, strings.TrimSuffix(dir, "/")+"/")
		if !ok || path.Clean(rel) != rel {
			continue
		}
		for _, v := range volumes {
			if volume = v.(map[string]any); volume["name"] == mount["name"] {
				return mount, volume, rel, true
			}
		}
		t.Errorf("%s: no volume %v for the mount at %s", workload.GetName(), mount["name"], dir)
		return nil, nil, "", false
	}
	t.Errorf("%s: nothing is mounted at %s: %v", workload.GetName(), file, mounts)
	return nil, nil, "", false
}

// secretFile resolves a file that a container's flag names to the Secret key the kubelet puts there: the
// volume mounted at a directory above it must be a Secret, mounted read-only and not readable by other users
// (it holds private keys), and the file is its key (or the key of the item with that path). It returns the
// Secret's name and the key.
func secretFile(t *testing.T, workload *unstructured.Unstructured, container map[string]any, file string) (secret, key string) {
	t.Helper()
	m, v, rel, ok := mountedVolume(t, workload, container, file)
	if !ok {
		return "", ""
	}
	dir := m["mountPath"]
	if _, sub := m["subPath"]; sub {
		t.Errorf("%s: %s is mounted with subPath: a renewed Secret would never show there", workload.GetName(), dir)
	}
	if m["readOnly"] != true {
		t.Errorf("%s: %s is not mounted read-only", workload.GetName(), dir)
	}
	secret, _, _ = unstructured.NestedString(v, "secret", "secretName")
	if secret == "" {
		t.Errorf("%s: %s (for %s) is volume %v, not a Secret", workload.GetName(), dir, file, v)
		return "", ""
	}
	mode, found := num(field(v, "secret", "defaultMode"))
	if !found {
		mode = 0o644 // the API's default
	}
	key = rel
	items, _, _ := unstructured.NestedSlice(v, "secret", "items")
	if len(items) > 0 {
		key = ""
		for _, item := range items {
			item := item.(map[string]any)
			if item["path"] == rel {
				key, _ = item["key"].(string)
				if m, ok := num(item["mode"]); ok {
					mode = m
				}
			}
		}
		if key == "" {
			t.Errorf("%s: Secret %s is mounted at %s without an item for %s", workload.GetName(), secret, dir, rel)
		}
	}
	if mode&0o007 != 0 {
		t.Errorf("%s: %s of Secret %s is mode %#o: readable by other users", workload.GetName(), file, secret, mode)
	}
	return secret, key
}

// checkSecretFile checks that the file a flag names is the given key of the given Secret.
func checkSecretFile(t *testing.T, workload *unstructured.Unstructured, container map[string]any, flagName, wantSecret, wantKey string) {
	t.Helper()
	file := mustFlag(t, containerArgs(container), flagName)
	if file == "" {
		return
	}
	if secret, key := secretFile(t, workload, container, file); secret != wantSecret || key != wantKey {
		t.Errorf("%s: --%s=%s is key %q of Secret %q, want %q of %q", workload.GetName(), flagName, file, key, secret, wantKey, wantSecret)
	}
}

// secretData is a key of a rendered Secret, decoded; it fails the test if the Secret or key is not there.
func secretData(t *testing.T, objs []*unstructured.Unstructured, secret, key string) []byte {
	t.Helper()
	s, _, _ := unstructured.NestedString(findObject(t, objs, "Secret", secret).Object, "data", key)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		t.Fatalf("Secret %s: data %s: %q (%v)", secret, key, s, err)
	}
	return b
}

// fileData is what a container reads from the file a flag names: the Secret key mounted there.
func fileData(t *testing.T, objs []*unstructured.Unstructured, workload *unstructured.Unstructured, container map[string]any, flagName string) []byte {
	t.Helper()
	secret, key := secretFile(t, workload, container, mustFlag(t, containerArgs(container), flagName))
	if secret == "" || key == "" {
		t.FailNow()
	}
	return secretData(t, objs, secret, key)
}

// checkSpread checks that a workload spreads its Pods across nodes: a topology spread constraint over
// kubernetes.io/hostname that counts its own Pods (a selector that matches none spreads nothing).
func checkSpread(t *testing.T, workload *unstructured.Unstructured) {
	t.Helper()
	constraints, _, _ := unstructured.NestedSlice(podSpec(t, workload), "topologySpreadConstraints")
	for _, c := range constraints {
		c := c.(map[string]any)
		if c["topologyKey"] != "kubernetes.io/hostname" {
			continue
		}
		if skew, _ := num(c["maxSkew"]); skew != 1 {
			t.Errorf("%s: spread over nodes with maxSkew %v, want 1", workload.GetName(), c["maxSkew"])
		}
		selector, _, _ := unstructured.NestedStringMap(c, "labelSelector", "matchLabels")
		selects(t, workload.GetName()+"'s topology spread constraint", selector, workload)
		return
	}
	t.Errorf("%s %s does not spread its Pods across nodes: topologySpreadConstraints %v", workload.GetKind(), workload.GetName(), constraints)
}
