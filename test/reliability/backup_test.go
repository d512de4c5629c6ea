package reliability

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/test/internal/etcdcluster"
	"github.com/programming-kubernetes/cnat/test/internal/ledger"
)

// TestBackupAndRestore takes a snapshot of a live three-member cluster with etcdctl, loses the cluster,
// restores the snapshot into a fresh cluster with etcdutl (docs/operations.md, the same commands) and starts
// cnat-apiserver on it: every At of the snapshot is back with its status, and a client that still holds a
// resourceVersion from after the snapshot is told 410 Gone (so it lists again) instead of being shown stale
// data or waiting for revisions that never come.
func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	d := newDeployment(t, 3)
	d.waitReady(d.start("a"))
	d.register()
	ns := namespace(t)
	ats := client(t).CnatV1beta1().Ats(ns)

	// Before the snapshot: Ats, half of them Running (status written through ats/status).
	backedUp := map[string]v1beta1.AtStatus{}
	for i := range 20 {
		at, err := ats.Create(ctx, ledger.NewAt(fmt.Sprintf("before-%02d", i)), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			now := metav1.NewTime(time.Now().Truncate(time.Second))
			at.Status = v1beta1.AtStatus{Phase: v1beta1.AtRunning, PodName: at.Name + "-pod", StartTime: &now}
			if at, err = ats.UpdateStatus(ctx, at, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		backedUp[at.Name] = at.Status
	}
	snapshot := filepath.Join(d.dir, "cnat-etcd-snapshot.db")
	if err := d.etcd.Snapshot(snapshot); err != nil {
		t.Fatal(err)
	}

	// After the snapshot: more writes, and a client that read them.
	for i := range 5 {
		if _, err := ats.Create(ctx, ledger.NewAt(fmt.Sprintf("after-%02d", i)), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	seen, err := ats.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// The cluster is lost: every member and the server go.
	d.replicas["a"].proc.Kill()
	d.etcd.Stop()

	restored, commands, err := etcdcluster.Restore(filepath.Join(d.dir, "restored"), snapshot, 3, etcdBinaries(),
		etcdcluster.RestoreOptions{BumpRevision: 1_000_000_000, MarkCompacted: true})
	for _, c := range commands {
		t.Log(c)
	}
	if err != nil {
		t.Fatal(err)
	}
	d.etcd = restored
	t.Cleanup(restored.Stop)
	d.waitReady(d.start("b"))

	list, err := ats.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]v1beta1.AtStatus{}
	for _, at := range list.Items {
		got[at.Name] = at.Status
	}
	for name, status := range backedUp {
		restoredStatus, ok := got[name]
		switch {
		case !ok:
			t.Errorf("At %s of the snapshot is missing after the restore", name)
		case restoredStatus.Phase != status.Phase || restoredStatus.PodName != status.PodName:
			t.Errorf("At %s: status %+v after the restore, want %+v", name, restoredStatus, status)
		}
	}
	if len(got) != len(backedUp) {
		t.Errorf("%d Ats after the restore, want the snapshot's %d (the later ones are gone with the cluster)", len(got), len(backedUp))
	}

	// A client that watched (or listed) after the snapshot resumes from a resourceVersion the restored
	// cluster never had: it must be told 410 Gone.
	w, err := ats.Watch(ctx, metav1.ListOptions{ResourceVersion: seen.ResourceVersion})
	if err == nil {
		select {
		case ev := <-w.ResultChan():
			status, isStatus := ev.Object.(*metav1.Status)
			if ev.Type != watch.Error || !isStatus || status.Code != http.StatusGone {
				t.Errorf("watch from resourceVersion %s after the restore: %s %v, want an error 410 Gone", seen.ResourceVersion, ev.Type, ev.Object)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("watch from resourceVersion %s after the restore: no event, want 410 Gone", seen.ResourceVersion)
		}
		w.Stop()
	} else if !apierrors.IsResourceExpired(err) && !apierrors.IsGone(err) {
		t.Errorf("watch from resourceVersion %s after the restore: %v, want 410 Gone", seen.ResourceVersion, err)
	}
}
