package node

import (
	"strings"
	"testing"
)

// testInstall: what kubectl apply -k of artifacts/deploy (TestMain applied it) runs on a real node: etcd's
// three members on PersistentVolumes of the node's StorageClass, two cnat-apiserver and two cnat-controller
// replicas, each a real container of the images make images built, the controller's leader elected, and
// the APIServices Available through their Service (kube-proxy).
func testInstall(t *testing.T) {
	for _, c := range []struct {
		selector string
		want     int
		image    string
	}{
		{"app.kubernetes.io/name=cnat-etcd", 3, "registry.k8s.io/etcd:3.7.0-0"},
		{"app.kubernetes.io/name=cnat-apiserver", 2, "ghcr.io/programming-kubernetes/cnat-apiserver:local"},
		{"app.kubernetes.io/name=cnat-controller", 2, "ghcr.io/programming-kubernetes/cnat-controller:local"},
	} {
		out := kubectl.Run(t, "", "-n", "cnat-system", "get", "pods", "-l", c.selector, "-o",
			`jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.containerStatuses[0].ready} {.status.containerStatuses[0].image} {.status.containerStatuses[0].imageID} {.status.containerStatuses[0].containerID}{"\n"}{end}`)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != c.want {
			t.Errorf("%s: %d Pods, want %d:\n%s", c.selector, len(lines), c.want, out)
		}
		for _, line := range lines {
			f := strings.Fields(line)
			if len(f) != 6 || f[1] != "cnat-node" || f[2] != "true" || !strings.HasSuffix(f[3], c.image) ||
				!strings.HasPrefix(f[4], "sha256:") || !strings.HasPrefix(f[5], "containerd://") {
				t.Errorf("%s: want a ready container of %s run by containerd on cnat-node, got: %s", c.selector, c.image, line)
			}
		}
	}
	claims := kubectl.Run(t, "", "-n", "cnat-system", "get", "pvc", "-o",
		`jsonpath={range .items[*]}{.metadata.name} {.status.phase} {.spec.volumeName} {.spec.storageClassName}{"\n"}{end}`)
	for _, member := range []string{"data-cnat-etcd-0", "data-cnat-etcd-1", "data-cnat-etcd-2"} {
		if !strings.Contains(claims, member+" Bound node-volume-") || !strings.Contains(claims, " local\n") {
			t.Errorf("PVC %s is not bound to a local volume of the node:\n%s", member, claims)
		}
	}
	holder := kubectl.Run(t, "", "-n", "cnat-system", "get", "lease", "cnat-controller", "-o", "jsonpath={.spec.holderIdentity}")
	if !strings.HasPrefix(holder, "cnat-controller-") {
		t.Errorf("the controller's Lease is held by %q, not by one of its Pods", holder)
	}
	for _, version := range []string{"v1alpha1", "v1beta1"} {
		status := kubectl.Run(t, "", "get", "apiservice", version+".cnat.programming-kubernetes.info", "-o",
			`jsonpath={.status.conditions[?(@.type=="Available")].status}`)
		if status != "True" {
			t.Errorf("APIService %s Available=%q", version, status)
		}
	}
}
