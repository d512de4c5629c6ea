package e2e

import (
	"context"
	goflag "flag"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	cnatv1 "github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/test/internal/ledger"
	"github.com/programming-kubernetes/cnat/test/internal/storagemigration"
)

var longForm = goflag.Bool("long", false, "TestStorageMigration: more Ats, a longer load, its figures printed")

// atKeys is where cnat-apiserver (hack/lib/cnat.sh: --etcd-prefix /cnat on the control plane's etcd) keeps Ats.
const atKeys = "/cnat/" + group + "/ats/"

// TestStorageMigration: kube-controller-manager's storage version migrator rewrites every stored At into the
// storage version (v1 from cnat 1.2, protobuf) while writers create and update Ats and informers watch them, all
// through kube-apiserver's aggregator. The Ats of the test's namespace are first rewritten behind the server
// in etcd as the book stored them (v1alpha1, JSON): a migration rewrites only what the server would now
// encode differently (an unchanged encoding is no write, docs/versions.md), which is what every stored At is
// once the storage version moves. Then every At key in etcd is read: each is in the storage version, and each
// of the namespace was written again after it was made stale; no acknowledged write is lost, no request
// failed, no 409 reached a writer (updaters retry one as read-modify-write clients do, counted), and the
// informers hold every acknowledged write.
func TestStorageMigration(t *testing.T) {
	objects, loadBefore := 40, 2*time.Second
	if *longForm {
		objects, loadBefore = 2000, 10*time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ns := namespace(t)
	config, err := clientcmd.BuildConfigFromFlags("", env["KUBECONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	config.QPS, config.Burst = -1, 0
	config.WarningHandler = rest.NoWarnings{} // v1alpha1 is deprecated: one warning per create otherwise
	ats := versioned.NewForConfigOrDie(config)
	kube := kubernetes.NewForConfigOrDie(config)
	etcd, err := clientv3.New(clientv3.Config{Endpoints: []string{env["CP_ETCD_URL"]}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()

	createAts(ctx, t, ats, ns, objects)
	before, err := ats.CnatV1beta1().Ats(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	run := ledger.StartRun(t, ats, ns, ledger.Shape{Informers: 2, Writers: 2, Updaters: 2, PerWorker: rate.Limit(5), RetryConflicts: true})
	time.Sleep(loadBefore)

	// Every At of the namespace as the book stored it; the writers' new ones come in the storage version.
	keys, _, err := storagemigration.Read(ctx, etcd, atKeys+ns+"/")
	if err != nil {
		t.Fatal(err)
	}
	staleAt := map[string]int64{} // key → revision of its stale write
	for _, k := range keys {
		rev, ok, err := storagemigration.Stale(ctx, etcd, k, storagemigration.BookStorage())
		if err != nil {
			t.Fatal(err)
		}
		if ok { // else an updater wrote it just now: it stays as the server wrote it
			staleAt[k.Key] = rev
		}
	}
	if len(staleAt) < objects {
		t.Fatalf("%d of %d keys made stale, want at least the %d Ats no updater touches", len(staleAt), len(keys), objects)
	}

	// The migration, as docs/versions.md gives it.
	name := "ats-" + ns
	startRev := revision(ctx, t, etcd)
	started := time.Now()
	kubectl(t, storagemigration.Manifest(name, storagemigration.Ats), "create", "-f", "-")
	t.Cleanup(func() { _, _ = kubectlErr("", "delete", "storageversionmigration", name, "--wait=false") })
	svm, err := storagemigration.Wait(ctx, kube, name)
	if err != nil {
		t.Fatal(err)
	}
	waited := time.Since(started)
	// The check docs/versions.md gives (storagemigration.Wait has seen it: kubectl returns at once).
	kubectl(t, "", "wait", "--for=condition=Succeeded", "storageversionmigration/"+name, "--timeout=30s")
	t.Logf("migration %s succeeded after %s (%s by its conditions): %s", name, waited.Round(time.Millisecond),
		storagemigration.Duration(svm), storagemigration.Conditions(svm))
	row := run.Finish("storage migration", "")

	// Every At key of the cluster, as etcd holds it now.
	keys, _, err = storagemigration.Read(ctx, etcd, atKeys)
	if err != nil {
		t.Fatal(err)
	}
	storage := cnatv1.SchemeGroupVersion.String()
	var notStorage, notRewritten []string
	rewrittenDuring, byMigrator := 0, 0
	for _, k := range keys {
		if k.MediaType != storagemigration.Protobuf || k.APIVersion != storage || k.Kind != "At" {
			notStorage = append(notStorage, fmt.Sprintf("%s (%s %s %s)", k.Key, k.MediaType, k.APIVersion, k.Kind))
		}
		if rev, ok := staleAt[k.Key]; ok && k.ModRevision <= rev {
			notRewritten = append(notRewritten, k.Key)
		} else if ok && strings.HasPrefix(k.Key, atKeys+ns+"/m-") {
			byMigrator++ // the load never writes the test's own Ats: only the migrator did
		}
		if k.ModRevision > startRev {
			rewrittenDuring++
		}
	}
	if len(notStorage) > 0 {
		t.Errorf("%d of %d At keys not in the storage version (protobuf, %s), e.g. %v", len(notStorage), len(keys), storage, notStorage[:min(5, len(notStorage))])
	}
	if len(notRewritten) > 0 {
		t.Errorf("%d of %d stale keys not written since, e.g. %v", len(notRewritten), len(staleAt), notRewritten[:min(5, len(notRewritten))])
	}
	if row.Failed > 0 {
		t.Errorf("%d requests failed (%d in doubt):\n%s", row.Failed, row.InDoubt, run.Ledger.Summary())
	}
	// The Ats the load never touched read as they did before they were made stale and migrated.
	after, err := ats.CnatV1beta1().Ats(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	compareAts(t, before.Items, after.Items)

	figures := fmt.Sprintf("storage migration: %d At keys (%d made stale, %d of them rewritten by the migrator alone, "+
		"%d keys written since the migration began), migration %s; %s; %d updates' 409s retried",
		len(keys), len(staleAt), byMigrator, rewrittenDuring, waited.Round(time.Millisecond), row, run.Ledger.ConflictsRetried())
	t.Log(figures)
	if *longForm {
		fmt.Println(figures)
	}
}

// createAts creates n Ats in ns, every other one in v1alpha1 (the book's version), the rest in v1beta1, due in
// a day (no controller runs them during the test).
func createAts(ctx context.Context, t *testing.T, client versioned.Interface, ns string, n int) {
	t.Helper()
	schedule := metav1.NewTime(time.Now().Add(24 * time.Hour).Truncate(time.Second))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	names := make(chan int)
	for range min(n, 8) {
		wg.Go(func() {
			for i := range names {
				name := fmt.Sprintf("m-%05d", i)
				var err error
				if i%2 == 0 {
					_, err = client.CnatV1alpha1().Ats(ns).Create(ctx, &v1alpha1.At{ObjectMeta: metav1.ObjectMeta{Name: name},
						Spec: v1alpha1.AtSpec{Schedule: schedule.UTC().Format(time.RFC3339), Command: "echo " + name}}, metav1.CreateOptions{})
				} else {
					_, err = client.CnatV1beta1().Ats(ns).Create(ctx, &v1beta1.At{ObjectMeta: metav1.ObjectMeta{Name: name},
						Spec: v1beta1.AtSpec{Schedule: schedule, Command: []string{"echo", name}}}, metav1.CreateOptions{})
				}
				if err != nil {
					errs <- fmt.Errorf("creating At %s: %w", name, err)
				}
			}
		})
	}
	for i := range n {
		names <- i
	}
	close(names)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// compareAts checks that the Ats of before (the test's own, m-*) have the same spec, status, labels and
// annotations in after.
func compareAts(t *testing.T, before, after []v1beta1.At) {
	t.Helper()
	now := map[string]v1beta1.At{}
	for _, at := range after {
		now[at.Name] = at
	}
	for _, was := range before {
		if !strings.HasPrefix(was.Name, "m-") {
			continue
		}
		is, ok := now[was.Name]
		switch {
		case !ok:
			t.Errorf("At %s is gone", was.Name)
		case !equality.Semantic.DeepEqual(was.Spec, is.Spec) || !equality.Semantic.DeepEqual(was.Status, is.Status) ||
			!equality.Semantic.DeepEqual(was.Labels, is.Labels) || !equality.Semantic.DeepEqual(was.Annotations, is.Annotations) ||
			was.UID != is.UID || !was.CreationTimestamp.Equal(&is.CreationTimestamp):
			t.Errorf("At %s changed:\nbefore %+v\nafter  %+v", was.Name, was, is)
		}
	}
}

// revision is etcd's current revision.
func revision(ctx context.Context, t *testing.T, etcd *clientv3.Client) int64 {
	t.Helper()
	resp, err := etcd.Get(ctx, "/", clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header.Revision
}
