package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/test/internal/localup"
	"github.com/programming-kubernetes/cnat/test/internal/smoke"
)

// testEtcdOperations: the etcd operations of docs/operations.md run as written against the installed
// members: the member list and the defragmentation of every member (kubectl exec etcdctl), a snapshot (a
// local etcdctl through a port-forward), and the restore of the whole cluster from it (hack/etcd-restore.sh):
// the Ats of the snapshot are back, those created after it are gone.
func testEtcdOperations(t *testing.T) {
	c, err := client()
	if err != nil {
		t.Fatal(err)
	}
	ns := namespace(t)
	ats := c.CnatV1beta1().Ats(ns)
	create := func(name string) {
		at := &v1beta1.At{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1beta1.AtSpec{
			Schedule: metav1.NewTime(time.Now().Add(24 * time.Hour)), Command: []string{"true"}}}
		if _, err := ats.Create(context.Background(), at, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		create(fmt.Sprintf("before-snapshot-%d", i))
	}

	e := etcdctlIn(t)
	if members := runDoc(t, t.TempDir(), e+"\n$E member list -w table"); strings.Count(members, " started ") != 3 {
		t.Errorf("member list: want 3 started members:\n%s", members)
	}
	defrag := runDoc(t, t.TempDir(), e+"\n"+docBlock(t, "docs/operations.md", "`TestInterpretWhatEtcdAnswers`"))
	if strings.Count(defrag, "Finished defragmenting etcd member") != 3 {
		t.Errorf("the defragmentation loop did not defragment three members:\n%s", defrag)
	}

	dir := t.TempDir()
	runDoc(t, dir, docBlock(t, "docs/operations.md", "## Snapshots and restore"))
	for i := range 3 {
		create(fmt.Sprintf("after-snapshot-%d", i))
	}
	// The docs run hack/etcd-restore.sh from the repository's root; the snapshot is in dir.
	if err := os.Symlink(filepath.Join(localup.Root(), "hack"), filepath.Join(dir, "hack")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out := runDoc(t, dir, docBlock(t, "docs/operations.md", "In the cluster, `hack/etcd-restore.sh`"))
	t.Logf("restore from the snapshot: %s\n%s", time.Since(start).Round(time.Second), out)
	smoke.Eventually(t, 2*time.Minute, "the APIServices Available again", func() bool {
		_, err := kubectl.Try("", "wait", "--for=condition=Available", "--timeout=1s", "apiservice/v1beta1.cnat.programming-kubernetes.info")
		return err == nil
	})
	var names []string
	smoke.Eventually(t, time.Minute, "the restored Ats listed", func() bool {
		list, err := ats.List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return false
		}
		names = names[:0]
		for _, at := range list.Items {
			names = append(names, at.Name)
		}
		return true
	})
	if want := "before-snapshot-0 before-snapshot-1 before-snapshot-2 before-snapshot-3 before-snapshot-4"; strings.Join(names, " ") != want {
		t.Errorf("after the restore: %v, want exactly the Ats of the snapshot: %s", names, want)
	}
	checkCluster(t)
}
