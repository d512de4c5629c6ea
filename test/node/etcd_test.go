package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/test/internal/smoke"
)

// etcdctlIn is the docs' `E`: etcdctl in a member's container, through kubectl exec, with the member
// certificate (docs/operations.md, "Replacing an etcd member that lost its data").
func etcdctlIn(t *testing.T) string {
	t.Helper()
	block := docBlock(t, "docs/operations.md", "With member `cnat-etcd-1` lost")
	for line := range strings.Lines(block) {
		if strings.HasPrefix(line, "E=") {
			return strings.TrimSpace(line)
		}
	}
	t.Fatalf("docs/operations.md defines no E= before replacing a member:\n%s", block)
	return ""
}

// waitMemberReady waits for the Pod of an etcd member to be ready, another Pod than the one of uid gone.
func waitMemberReady(t *testing.T, member, gone string) {
	t.Helper()
	smoke.Eventually(t, 4*time.Minute, member+" back and ready", func() bool {
		out, err := kubectl.Try("", "-n", "cnat-system", "get", "pod", member, "-o",
			`jsonpath={.metadata.uid} {.status.containerStatuses[0].ready}`)
		f := strings.Fields(out)
		return err == nil && len(f) == 2 && f[0] != gone && f[1] == "true"
	})
}

// checkCluster: three members, every one started, and healthy, by the docs' own commands.
func checkCluster(t *testing.T) {
	t.Helper()
	e := etcdctlIn(t)
	smoke.Eventually(t, 2*time.Minute, "every etcd member healthy", func() bool {
		_, err := tryDoc(t.TempDir(), e+"\n$E endpoint health --cluster")
		return err == nil
	})
	members := runDoc(t, t.TempDir(), e+"\n$E member list -w table")
	if n := strings.Count(members, " started "); n != 3 {
		t.Errorf("want 3 started members:\n%s", members)
	}
}

// testEtcdPodDeleted: a member's Pod deleted under load (its volume kept): the StatefulSet recreates it on
// the same PersistentVolume, it rejoins with its data, nothing acknowledged is lost.
func testEtcdPodDeleted(t *testing.T) {
	_, run := underLoad(t, namespace(t))
	uid := kubectl.Run(t, "", "-n", "cnat-system", "get", "pod", "cnat-etcd-1", "-o", "jsonpath={.metadata.uid}")
	kubectl.Run(t, "", "-n", "cnat-system", "delete", "pod", "cnat-etcd-1")
	waitMemberReady(t, "cnat-etcd-1", uid)
	time.Sleep(phase(5*time.Second, 20*time.Second))
	t.Log(run.Finish("etcd member's Pod deleted, volume kept", ""))
	checkCluster(t)
}

// testEtcdMemberVolumeLost: a member's volume is lost (its data wiped, its Pod gone): the replacement
// procedure of docs/operations.md, run as written under load, brings a new member with an empty volume into
// the cluster; nothing acknowledged is lost, and the new member alone holds every At.
func testEtcdMemberVolumeLost(t *testing.T) {
	ns := namespace(t)
	c, run := underLoad(t, ns)

	// The disk is gone: what the member wrote disappears under it, and its Pod is recreated on the empty
	// volume, where it cannot start as a member of a new cluster.
	volume := kubectl.Run(t, "", "-n", "cnat-system", "get", "pvc", "data-cnat-etcd-1", "-o", "jsonpath={.spec.volumeName}")
	path := kubectl.Run(t, "", "get", "pv", volume, "-o", "jsonpath={.spec.local.path}")
	entries, err := filepath.Glob(filepath.Join(path, "*"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("the volume %s of cnat-etcd-1 (%s) holds nothing: %v", volume, path, err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(e); err != nil {
			t.Fatal(err)
		}
	}
	kubectl.Run(t, "", "-n", "cnat-system", "delete", "pod", "cnat-etcd-1", "--grace-period", "0", "--force")

	// The procedure, as written; the ID it needs is what its first command prints.
	e := etcdctlIn(t)
	members := runDoc(t, t.TempDir(), e+"\n$E member list")
	id := regexp.MustCompile(`(?m)^([0-9a-f]+), [a-z]+, cnat-etcd-1,`).FindStringSubmatch(members)
	if id == nil {
		t.Fatalf("no cnat-etcd-1 in the member list:\n%s", members)
	}
	block := strings.ReplaceAll(docBlock(t, "docs/operations.md", "With member `cnat-etcd-1` lost"), "<ID of cnat-etcd-1>", id[1])
	uid := kubectl.Run(t, "", "-n", "cnat-system", "get", "pod", "cnat-etcd-1", "--ignore-not-found", "-o", "jsonpath={.metadata.uid}")
	runProcedure(t, e, block)
	waitMemberReady(t, "cnat-etcd-1", uid)
	if now := kubectl.Run(t, "", "-n", "cnat-system", "get", "pvc", "data-cnat-etcd-1", "-o", "jsonpath={.spec.volumeName}"); now == volume {
		t.Errorf("cnat-etcd-1 is back on its old volume %s", volume)
	}
	time.Sleep(phase(5*time.Second, 20*time.Second))
	t.Log(run.Finish("etcd member's volume lost, member replaced as documented", ""))
	checkCluster(t)

	// The new member alone (a serializable read, without the others) holds every At of the namespace.
	ats, err := c.CnatV1beta1().Ats(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	count := e + fmt.Sprintf("\n${E/cnat-etcd-0/cnat-etcd-1} get --prefix --keys-only --consistency=s /registry/cnat.programming-kubernetes.info/ | grep -c /ats/%s/", ns)
	smoke.Eventually(t, time.Minute, "the new member holds every At", func() bool {
		out, err := tryDoc(t.TempDir(), count)
		return err == nil && strings.TrimSpace(out) == fmt.Sprint(len(ats.Items))
	})
}

// runProcedure runs the lines of a documented procedure one by one after the definition of E, retrying
// `member add` for up to 30 s as the docs say to (etcd adds a voting member only once the cluster has been
// healthy for a while).
func runProcedure(t *testing.T, e, block string) {
	t.Helper()
	for line := range strings.Lines(block) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "E=") {
			continue
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, err := tryDoc(t.TempDir(), e+"\n"+line)
			if err == nil {
				t.Logf("$ %s\n%s", line, out)
				break
			}
			if !strings.Contains(line, "member add") || time.Now().After(deadline) {
				t.Fatalf("%s: %v\n%s", line, err, out)
			}
			time.Sleep(time.Second)
		}
	}
}
