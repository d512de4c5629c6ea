package main

import (
	"context"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/test/bench/internal/atstore"
	"github.com/programming-kubernetes/cnat/test/bench/internal/etcdload"
	"github.com/programming-kubernetes/cnat/test/bench/internal/procmem"
	"github.com/programming-kubernetes/cnat/test/bench/internal/workload"
)

// millionOptions are the flags of the million-At mode.
type millionOptions struct {
	ats                    int
	crdSteps               []int
	crdBudgetMiB, killMiB  float64
	watchers, writeRate    int
	writeDuration, warmUp  time.Duration
	loadWorkers, loadBatch int
	pageSize, pages        int
	etcdURL                string
}

// The key layouts the servers write: --etcd-prefix (local-up: /cnat) + /<group>/<resource>/<namespace>/<name>
// for cnat-apiserver, /registry/<group>/<resource>/<namespace>/<name> for kube-apiserver's custom resources.
const (
	cnatEtcdPrefix = "/cnat/cnat.programming-kubernetes.info/ats"
	crdEtcdPrefix  = "/registry/crd.cnat.programming-kubernetes.info/ats"
)

// The dependents the million mode stops while it runs: their informers would hold every At too (the
// controller's cache, the garbage collector's metadata informer), and they are not what it measures.
var informerHolders = []string{"cnat-controller", "kube-controller-manager"}

// clients are the ways the million mode reaches the servers.
type clients struct {
	kube            kubernetes.Interface
	dyn             dynamic.Interface
	base, direct    *rest.Config
	cnatAgg, cnatDx versioned.Interface
	etcd            *clientv3.Client
}

// crdStep is the CRD peer holding count objects, after a restart of kube-apiserver.
type crdStep struct {
	count       int
	restart     restartTimes
	listable    time.Duration // from its start until a list of all of them answered (not 429)
	with        memory
	peakMiB     float64 // kube-apiserver's highest RSS during its start and the list
	listJSON    time.Duration
	listedBytes int64
}

// millionFigures are what the million mode measured.
type millionFigures struct {
	ats                int
	load               time.Duration
	sameAsAPI          string
	before, after      memory
	peakStartMiB       float64
	restartEmpty       restartTimes
	checkTime          time.Duration // start → stored versions checked, with them
	restart            restartTimes
	lists, directLists []time.Duration
	listBytes          int64
	pages              workload.Result
	cacheLists, etcdLs float64
	fanOut, fanOutCold watchFigures
	crdFanOutCold      watchFigures // the CRD peer's watchers, kube-apiserver just restarted
	floor              watchFigures
	etcdDBMiB          float64
	crdBefore          memory
	crd                []crdStep
	crdStopped         string // why the CRD peer stopped before a million
	peakCnatMiB        float64
}

// runMillion is the million-At mode: the CRD peer in steps, then cnat-apiserver with a million Ats, both
// loaded into etcd directly (etcdload), each server restarted on them and measured.
func runMillion(ctx context.Context, o options, m millionOptions, c clients) error {
	if o.restartCommand == "" || o.runDir == "" {
		return fmt.Errorf("the million mode restarts servers: it needs --restart-command and --run-dir")
	}
	etcd, err := clientv3.New(clientv3.Config{Endpoints: []string{m.etcdURL}, DialTimeout: 10 * time.Second,
		MaxCallRecvMsgSize: 64 << 20, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	defer func() { _ = etcd.Close() }()
	c.etcd = etcd

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	guard := newWatchdog(o.pidDir(), m.killMiB, cancel)
	go guard.run(ctx, "cnat-apiserver", "kube-apiserver", "etcd")

	for _, holder := range informerHolders {
		if err := stopComponent(o.pidDir(), holder); err != nil {
			return err
		}
	}
	defer func() {
		for _, holder := range informerHolders {
			if err := restartCommand(context.Background(), o.restartCommand, holder); err != nil {
				progress("starting %s again: %v", holder, err)
			}
		}
	}()

	id := strconv.FormatInt(time.Now().Unix(), 36)
	f := &millionFigures{ats: m.ats}
	if len(m.crdSteps) > 0 {
		if err := millionCRD(ctx, o, m, c, guard, "million-crd-"+id, f); err != nil {
			return withCause(ctx, err)
		}
	}
	if err := millionCnat(ctx, o, m, c, guard, "million-cnat-"+id, f); err != nil {
		return withCause(ctx, err)
	}
	printMillion(os.Stdout, m, f)
	return nil
}

// withCause is err, or the watchdog's reason when it cancelled the run.
func withCause(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil && cause != context.Canceled {
		return cause
	}
	return err
}

func createNamespace(ctx context.Context, kube kubernetes.Interface, ns string) error {
	_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// encoderFor is the loader's encoder of objects like the template, the object the server created through its
// API and stored at key.
func encoderFor[E etcdload.Encoder](ctx context.Context, etcd *clientv3.Client, key string, newEncoder func([]byte) (E, error)) (E, error) {
	var none E
	resp, err := etcd.Get(ctx, key)
	if err != nil {
		return none, err
	}
	if len(resp.Kvs) != 1 {
		return none, fmt.Errorf("no %s in etcd", key)
	}
	return newEncoder(resp.Kvs[0].Value)
}

// millionCRD loads the CRD peer in steps, restarting kube-apiserver on each and listing them, and stops
// before kube-apiserver's RSS would pass the budget.
func millionCRD(ctx context.Context, o options, m millionOptions, c clients, guard *watchdog, ns string, f *millionFigures) error {
	if err := atstore.InstallCRD(ctx, c.dyn); err != nil {
		return err
	}
	if err := createNamespace(ctx, c.kube, ns); err != nil {
		return err
	}
	kubeServer := server{component: "kube-apiserver", config: c.base}
	crd := subject{name: "CRD", namespace: ns, server: kubeServer,
		store: func(ns string, n int) atstore.Store { return atstore.NewCRD(c.dyn, ns, n) }, ready: readyz(c.base)}
	// A fresh kube-apiserver first: "before" is what it holds without them.
	if _, err := crd.restart(ctx, o); err != nil {
		return err
	}
	var err error
	if f.crdBefore, err = kubeServer.settledMemory(ctx, o.pidDir(), o.settle); err != nil {
		return err
	}
	if err := crd.store(ns, 1).Create(ctx, 0); err != nil {
		return fmt.Errorf("CRD: the template: %w", err)
	}
	// The same watchers as cnat's cold ones, on kube-apiserver as restarted: what k8s.io/apiserver's watch
	// cache does with them when it has seen no writes, nothing of cnat's in the way. In a namespace of their
	// own, deleted after: the loader creates only what is absent.
	progress("CRD: %d watchers, cold", m.watchers)
	watchNs := ns + "-watch"
	if err := createNamespace(ctx, c.kube, watchNs); err != nil {
		return err
	}
	target := watchTarget{name: "CRD", config: c.base, path: "/apis/" + atstore.CRDResource.GroupVersion().String() + "/namespaces/" + watchNs + "/ats",
		resource: atstore.CRDResource.Resource, pidDir: o.pidDir(), store: func(objects int) atstore.Store { return crd.store(watchNs, objects) }}
	f.crdFanOutCold, _, err = watchUnderWrites(ctx, target, m, 0, 0)
	if _, err := etcdload.DeletePrefix(context.Background(), c.etcd, path.Join(crdEtcdPrefix, watchNs)+"/"); err != nil {
		progress("CRD: deleting the watchers' objects: %v", err)
	}
	if err != nil {
		return err
	}
	enc, err := encoderFor(ctx, c.etcd, path.Join(crdEtcdPrefix, ns, atstore.ObjectName(0)), etcdload.NewCRD)
	if err != nil {
		return err
	}
	defer func() {
		// Gone from etcd, and from kube-apiserver's memory at its next start.
		if _, err := etcdload.DeletePrefix(context.Background(), c.etcd, path.Join(crdEtcdPrefix, ns)+"/"); err != nil {
			progress("CRD: deleting the loaded objects: %v", err)
		}
		progress("CRD: restarting kube-apiserver without them")
		if _, err := crd.restart(context.Background(), o); err != nil {
			progress("CRD: %v", err)
		}
	}()

	loaded := 1
	for i, count := range m.crdSteps {
		progress("CRD: loading %d into etcd", count)
		if err := etcdload.Load(ctx, c.etcd, enc, path.Join(crdEtcdPrefix, ns), atstore.ObjectName, loaded, count, m.loadWorkers, m.loadBatch,
			func(done int, rate float64) { progress("CRD: %d of %d loaded (%.0f/s)", done, count, rate) }); err != nil {
			return fmt.Errorf("CRD: load: %w", err)
		}
		loaded = count
		step := crdStep{count: count}
		guard.resetPeak("kube-apiserver")
		if step.restart, err = crd.restart(ctx, o); err != nil {
			return err
		}
		// Listed first, memory read after: kube-apiserver serves a watch while the CRD's watch cache is still
		// (re)initializing, and its memory would be read half-filled.
		progress("CRD: %d loaded, kube-apiserver restarted; listing them in JSON", count)
		served := time.Now()
		items, n, took, err := listCount(ctx, c.base, "/apis/"+atstore.CRDResource.GroupVersion().String()+"/namespaces/"+ns+"/ats", "application/json")
		if err != nil {
			return fmt.Errorf("CRD: list: %w", err)
		}
		step.listJSON, step.listedBytes = took, n
		step.listable = step.restart.serving + time.Since(served)
		if err := atstore.MustCount(items, count); err != nil {
			return fmt.Errorf("CRD: %w", err)
		}
		if step.with, err = kubeServer.settledMemory(ctx, o.pidDir(), o.settle); err != nil {
			return err
		}
		progress("CRD: %d held, RSS %.0f MiB", count, step.with.rssMiB)
		step.peakMiB = guard.peak("kube-apiserver")
		f.crd = append(f.crd, step)
		// The next step's peak, if the peak grows with the objects as it did from none to these.
		if i+1 < len(m.crdSteps) {
			next := m.crdSteps[i+1]
			predicted := f.crdBefore.rssMiB + (step.peakMiB-f.crdBefore.rssMiB)*float64(next)/float64(count)
			if predicted > m.crdBudgetMiB {
				f.crdStopped = fmt.Sprintf("stopped at %d: %d would take kube-apiserver's RSS to about %.0f MiB at its peak, past the %.0f MiB budget",
					count, next, predicted, m.crdBudgetMiB)
				progress("CRD: %s", f.crdStopped)
				return nil
			}
		}
	}
	f.crdStopped = "the last of --crd-steps"
	return nil
}

// millionCnat loads the Ats with cnat-apiserver stopped, starts it on them and measures it.
func millionCnat(ctx context.Context, o options, m millionOptions, c clients, guard *watchdog, ns string, f *millionFigures) error {
	if err := createNamespace(ctx, c.kube, ns); err != nil {
		return err
	}
	cnatServer := server{component: "cnat-apiserver", config: c.direct}
	s := subject{name: "cnat", namespace: ns, server: cnatServer,
		store: func(ns string, n int) atstore.Store { return atstore.NewCnat(c.cnatAgg.CnatV1beta1(), ns, n) },
		ready: readyz(c.direct)}
	var err error
	if f.restartEmpty, err = s.restart(ctx, o); err != nil {
		return err
	}
	if f.before, err = cnatServer.settledMemory(ctx, o.pidDir(), o.settle); err != nil {
		return err
	}
	// The template: created through the aggregator, as a user does.
	if err := s.store(ns, 1).Create(ctx, 0); err != nil {
		return fmt.Errorf("cnat: the template: %w", err)
	}
	dir := path.Join(cnatEtcdPrefix, ns)
	enc, err := encoderFor(ctx, c.etcd, path.Join(dir, atstore.ObjectName(0)), etcdload.NewCnat)
	if err != nil {
		return err
	}
	defer func() {
		progress("cnat: deleting the loaded Ats from etcd, restarting cnat-apiserver without them")
		if _, err := etcdload.DeletePrefix(context.Background(), c.etcd, dir+"/"); err != nil {
			progress("cnat: %v", err)
		}
		if _, err := s.restart(context.Background(), o); err != nil {
			progress("cnat: %v", err)
		}
	}()

	// Stopped while loading: it would otherwise take a million watch events (and their history) while the
	// loader and etcd need the cores.
	if err := stopComponent(o.pidDir(), "cnat-apiserver"); err != nil {
		return err
	}
	progress("cnat: loading %d Ats into etcd", m.ats)
	began := time.Now()
	if err := etcdload.Load(ctx, c.etcd, enc, dir, atstore.ObjectName, 1, m.ats, m.loadWorkers, m.loadBatch,
		func(done int, rate float64) { progress("cnat: %d of %d loaded (%.0f/s)", done, m.ats, rate) }); err != nil {
		return fmt.Errorf("cnat: load: %w", err)
	}
	f.load = time.Since(began)
	if status, err := c.etcd.Status(ctx, m.etcdURL); err == nil {
		f.etcdDBMiB = float64(status.DbSize) / (1 << 20)
	}

	guard.resetPeak("cnat-apiserver")
	progress("cnat: starting cnat-apiserver on %d Ats", m.ats)
	if f.restart, err = s.restart(ctx, o); err != nil {
		return err
	}
	f.peakStartMiB = guard.peak("cnat-apiserver")
	if f.after, err = cnatServer.settledMemory(ctx, o.pidDir(), o.settle); err != nil {
		return err
	}
	progress("cnat: RSS %.0f MiB, heap %.0f MiB", f.after.rssMiB, f.after.heapMiB)
	if f.checkTime, err = startToCheck(o.runDir); err != nil {
		return err
	}
	// A heap profile of the server holding them, for what a held At is made of.
	if client, err := rawClient(c.direct); err == nil {
		if profile, err := client.Get().AbsPath("/debug/pprof/heap").DoRaw(ctx); err == nil {
			name := path.Join(o.runDir, "cnat-apiserver-heap-million.pprof")
			if err := os.WriteFile(name, profile, 0o644); err == nil {
				progress("cnat: heap profile in %s", name)
			}
		}
	}
	if f.sameAsAPI, err = compareLoaded(ctx, c.cnatAgg, ns, m.ats-1); err != nil {
		return err
	}

	// LIST of all, protobuf, through the aggregator.
	for range o.lists {
		items, n, took, err := listCount(ctx, c.base, "/apis/cnat.programming-kubernetes.info/v1beta1/namespaces/"+ns+"/ats", "application/vnd.kubernetes.protobuf")
		if err != nil {
			return fmt.Errorf("cnat: list: %w", err)
		}
		f.lists = append(f.lists, took)
		f.listBytes = n
		if err := atstore.MustCount(items, m.ats); err != nil {
			return fmt.Errorf("cnat: %w", err)
		}
		progress("cnat: listed %d (%d MiB of protobuf) in %s", items, n>>20, seconds(took))
	}

	// The same list directly from cnat-apiserver: what the aggregator's proxying adds.
	for range o.lists {
		items, _, took, err := listCount(ctx, c.direct, "/apis/cnat.programming-kubernetes.info/v1beta1/namespaces/"+ns+"/ats", "application/vnd.kubernetes.protobuf")
		if err != nil {
			return fmt.Errorf("cnat: list directly: %w", err)
		}
		if err := atstore.MustCount(items, m.ats); err != nil {
			return fmt.Errorf("cnat: %w", err)
		}
		f.directLists = append(f.directLists, took)
		progress("cnat: listed %d directly in %s", items, seconds(took))
	}

	// Pages of 500, through the aggregator; where each was served from, by cnat-apiserver's metrics.
	beforeMetrics, err := metricsText(ctx, c.direct)
	if err != nil {
		return err
	}
	if f.pages, err = paginate(ctx, c.cnatAgg, ns, m.pageSize, m.pages, m.ats); err != nil {
		return err
	}
	afterMetrics, err := metricsText(ctx, c.direct)
	if err != nil {
		return err
	}
	f.cacheLists = metricSum(afterMetrics, "apiserver_cache_list_total", "ats") - metricSum(beforeMetrics, "apiserver_cache_list_total", "ats")
	f.etcdLs = metricSum(afterMetrics, "apiserver_storage_list_total", `resource="ats"`, `storage="etcd"`) -
		metricSum(beforeMetrics, "apiserver_storage_list_total", `resource="ats"`, `storage="etcd"`)

	// The watchers on the server as restarted (its watch cache has seen no writes yet), then after a
	// warm-up at the write rate, then the floor.
	next := m.ats
	target := watchTarget{name: "cnat", config: c.direct, path: "/apis/cnat.programming-kubernetes.info/v1beta1/namespaces/" + ns + "/ats",
		protobuf: true, resource: "ats", pidDir: o.pidDir(),
		store: func(objects int) atstore.Store { return atstore.NewCnat(c.cnatDx.CnatV1beta1(), ns, objects) }}
	progress("cnat: %d watchers, cold", m.watchers)
	if f.fanOutCold, next, err = watchUnderWrites(ctx, target, m, next, 0); err != nil {
		return err
	}
	if f.fanOut, _, err = watchUnderWrites(ctx, target, m, next, m.warmUp); err != nil {
		return err
	}
	progress("cnat: the floor: %d watchers of a bare TLS server", m.watchers)
	if f.floor, err = watchFloor(ctx, m, int(f.listBytes/int64(m.ats))+16); err != nil {
		return err
	}
	f.peakCnatMiB = guard.peak("cnat-apiserver")
	return nil
}

// watchdog reads the RSS of the servers every quarter second, keeps each one's peak, and kills a server
// whose RSS passes the limit (a machine shared with others must not run out of memory), cancelling the run.
type watchdog struct {
	pidDir   string
	limitMiB float64
	cancel   context.CancelCauseFunc
	mu       sync.Mutex
	peaks    map[string]float64
}

func newWatchdog(pidDir string, limitMiB float64, cancel context.CancelCauseFunc) *watchdog {
	return &watchdog{pidDir: pidDir, limitMiB: limitMiB, cancel: cancel, peaks: map[string]float64{}}
}

func (w *watchdog) run(ctx context.Context, components ...string) {
	ticker := time.NewTicker(250 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		for _, component := range components {
			rss, err := procmem.RSSMiB(w.pidDir, component)
			if err != nil {
				continue // stopped, or restarting
			}
			w.mu.Lock()
			w.peaks[component] = max(w.peaks[component], rss)
			w.mu.Unlock()
			if rss > w.limitMiB {
				_ = signalComponent(w.pidDir, component, syscall.SIGKILL)
				w.cancel(fmt.Errorf("%s's RSS passed %.0f MiB (%.0f MiB): killed, run aborted", component, w.limitMiB, rss))
				return
			}
		}
	}
}

func (w *watchdog) resetPeak(component string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.peaks[component] = 0
}

func (w *watchdog) peak(component string) float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peaks[component]
}

func componentPID(pidDir, component string) (int, error) {
	b, err := os.ReadFile(path.Join(pidDir, component+".pid"))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func signalComponent(pidDir, component string, sig syscall.Signal) error {
	pid, err := componentPID(pidDir, component)
	if err != nil {
		return err
	}
	return syscall.Kill(pid, sig)
}

// stopComponent stops a process of the control plane (SIGTERM, SIGKILL after a minute) and waits until it
// is gone; the restart command starts it again.
func stopComponent(pidDir, component string) error {
	pid, err := componentPID(pidDir, component)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return nil // gone already
	}
	deadline := time.Now().Add(time.Minute)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	progress("stopped %s", component)
	return nil
}
