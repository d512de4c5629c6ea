// Command scale puts many Ats in one namespace, 100,000 by default, through kube-apiserver's aggregator into
// cnat-apiserver, and as many of the same At as a CustomResourceDefinition of kube-apiserver, and prints side
// by side what that costs each server: memory (RSS and Go heap, per object), the time to restart and serve
// again, LIST of all of them (protobuf and JSON) and a watch fan-out. It runs on a local control plane
// (hack/local-up.sh), after apiserverload in `make bench`, or alone:
//
//	source _output/local-up/env && go run ./test/bench/scale --cnat-ats 20000 --crd-ats 5000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/test/bench/internal/atstore"
)

type options struct {
	kubeconfig, cnatURL, runDir, restartCommand string
	cnatAts, crdAts, workers, lists             int
	watchers, watchEvents                       int
	settle                                      time.Duration
	restartKubeAPIServer                        bool
}

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "admin kubeconfig of the control plane")
	flag.StringVar(&o.cnatURL, "cnat-url", os.Getenv("CNAT_APISERVER_URL"), "cnat-apiserver's own URL (its readiness, heap and metrics)")
	flag.StringVar(&o.runDir, "run-dir", os.Getenv("CP_RUN_DIR"), "local-up's run dir (pid files)")
	flag.StringVar(&o.restartCommand, "restart-command", "hack/restart-component.sh", "restarts a component of the control plane with the same command line; empty: no restarts (memory is measured from what the servers hold already)")
	flag.IntVar(&o.cnatAts, "cnat-ats", 100000, "Ats in cnat-apiserver (0: none)")
	// As many as cnat's: kube-apiserver holds 100,000 CRD objects in about 2 GiB here (19 KiB each, 2.9 GiB
	// at the peak of the JSON lists), a tenth of the shared machine's free memory. See docs/performance.md.
	flag.IntVar(&o.crdAts, "crd-ats", 100000, "Ats as CRD objects in kube-apiserver (0: none)")
	flag.IntVar(&o.workers, "workers", 32, "concurrent clients creating them")
	flag.IntVar(&o.lists, "lists", 3, "lists of all of them, per format (the p50 is printed)")
	flag.IntVar(&o.watchers, "watchers", 100, "watchers of the fan-out")
	flag.IntVar(&o.watchEvents, "watch-events", 500, "objects created while the watchers watch")
	flag.DurationVar(&o.settle, "settle", 15*time.Second, "wait before reading memory: controllers catch up, the watch cache's history ages")
	var m millionOptions
	var crdSteps string
	flag.IntVar(&m.ats, "million", 0, "the million-At mode instead: this many Ats loaded straight into etcd (etcdload), the CRD peer in --crd-steps (0: the mode of 100,000 created through the API)")
	flag.StringVar(&crdSteps, "crd-steps", "100000,250000", "million mode: counts of CRD objects loaded in turn, while kube-apiserver's RSS stays in --crd-rss-budget-mib (empty: no CRD peer)")
	flag.Float64Var(&m.crdBudgetMiB, "crd-rss-budget-mib", 8192, "million mode: the next CRD step is not loaded if kube-apiserver's RSS would pass this at its peak")
	flag.Float64Var(&m.killMiB, "rss-kill-mib", 10240, "million mode: a server whose RSS passes this is killed and the run aborted")
	flag.IntVar(&m.watchers, "million-watchers", 1000, "million mode: watchers of the namespace, directly on cnat-apiserver")
	flag.IntVar(&m.writeRate, "write-rate", 100, "million mode: Ats created per second while they watch")
	flag.DurationVar(&m.writeDuration, "write-duration", 30*time.Second, "million mode: how long they are created")
	flag.DurationVar(&m.warmUp, "warm-up", 80*time.Second, "million mode: Ats created at --write-rate before the second set of watchers opens (the watch cache's event history grows to the rate)")
	flag.IntVar(&m.loadWorkers, "load-workers", 8, "million mode: concurrent writers of the loader")
	flag.IntVar(&m.loadBatch, "load-batch", 100, "million mode: keys per etcd transaction of the loader (1: a revision per object, as the API writes them; etcd allows 128 by default)")
	flag.IntVar(&m.pages, "pages", 200, "million mode: pages of the paginated list timed, from the first (0: all; a list that outlasts etcd's compaction interval, 5 minutes, fails with 410 Gone)")
	flag.IntVar(&m.pageSize, "page-size", 500, "million mode: limit of the paginated list")
	flag.StringVar(&m.etcdURL, "etcd-url", os.Getenv("CP_ETCD_URL"), "million mode: the etcd of the control plane")
	flag.Parse()
	for s := range strings.SplitSeq(crdSteps, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			fmt.Fprintln(os.Stderr, "scale: --crd-steps:", err)
			os.Exit(2)
		}
		m.crdSteps = append(m.crdSteps, n)
	}
	if m.ats > 0 {
		if err := runMillionMode(context.Background(), o, m); err != nil {
			fmt.Fprintln(os.Stderr, "scale:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	base, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return err
	}
	base.QPS, base.Burst = -1, 0
	base.Timeout = 5 * time.Minute          // a list of 100,000 in JSON
	base.WarningHandler = rest.NoWarnings{} // v1beta1's deprecation, once per request
	kube := kubernetes.NewForConfigOrDie(base)
	dyn := dynamic.NewForConfigOrDie(base)
	jsonConfig := rest.CopyConfig(base)
	jsonConfig.ContentType = runtime.ContentTypeJSON
	protoConfig := atstore.WithProtobuf(base)
	direct := atstore.WithProtobuf(base)
	direct.Host = o.cnatURL
	cnatJSON := versioned.NewForConfigOrDie(jsonConfig).CnatV1beta1()
	cnatProto := versioned.NewForConfigOrDie(protoConfig).CnatV1beta1()
	id := strconv.FormatInt(time.Now().Unix(), 36)

	var subjects []subject
	if o.crdAts > 0 {
		if err := atstore.InstallCRD(ctx, dyn); err != nil {
			return err
		}
		ns := "scale-crd-" + id
		subjects = append(subjects, subject{
			name: "CRD", objects: o.crdAts, namespace: ns,
			server: server{component: "kube-apiserver", config: base},
			store:  func(ns string, n int) atstore.Store { return atstore.NewCRD(dyn, ns, n) },
			listers: map[string]func(string) atstore.Store{
				"JSON": func(ns string) atstore.Store { return atstore.NewCRD(dyn, ns, 0) },
			},
			ready:      readyz(base),
			dependents: []string{"cnat-controller"},
		})
	}
	if o.cnatAts > 0 {
		ns := "scale-cnat-" + id
		subjects = append(subjects, subject{
			name: "cnat", objects: o.cnatAts, namespace: ns,
			server: server{component: "cnat-apiserver", config: direct},
			store:  func(ns string, n int) atstore.Store { return atstore.NewCnat(cnatProto, ns, n) },
			listers: map[string]func(string) atstore.Store{
				"protobuf": func(ns string) atstore.Store { return atstore.NewCnat(cnatProto, ns, 0) },
				"JSON":     func(ns string) atstore.Store { return atstore.NewCnat(cnatJSON, ns, 0) },
			},
			ready: readyz(direct),
		})
	}

	// The CRD first: its restarts of kube-apiserver take every client of the control plane with them, and
	// cnat's figures are better read on a control plane that has settled since.
	measured := make([]*figures, len(subjects))
	for i, s := range subjects {
		if measured[i], err = measure(ctx, o, kube, s); err != nil {
			return err
		}
	}

	fmt.Printf("scale: Ats in one namespace, created by %d workers (protobuf where served), in %s\n\n",
		o.workers, time.Since(start).Round(time.Second))
	// cnat's column first.
	slices.Reverse(subjects)
	slices.Reverse(measured)
	printScale(os.Stdout, subjects, measured, o.lists)
	return nil
}

// runMillionMode connects to the servers and runs the million-At mode.
func runMillionMode(ctx context.Context, o options, m millionOptions) error {
	base, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return err
	}
	base.QPS, base.Burst = -1, 0
	base.Timeout = 10 * time.Minute
	// The benchmark's clientset speaks v1beta1, deprecated since 1.1: one warning per write would bury the
	// figures.
	base.WarningHandler = rest.NoWarnings{}
	direct := atstore.WithProtobuf(base)
	direct.Host = o.cnatURL
	watchConfig := rest.CopyConfig(direct)
	watchConfig.Timeout = 0 // watches last
	return runMillion(ctx, o, m, clients{
		kube: kubernetes.NewForConfigOrDie(base), dyn: dynamic.NewForConfigOrDie(base),
		base: base, direct: direct,
		cnatAgg: versioned.NewForConfigOrDie(atstore.WithProtobuf(base)),
		cnatDx:  versioned.NewForConfigOrDie(watchConfig),
	})
}

func (o options) pidDir() string {
	if o.runDir == "" {
		return ""
	}
	return o.runDir + "/pids"
}

// readyz is a check of the server's /readyz.
func readyz(config *rest.Config) func(context.Context) error {
	return func(ctx context.Context) error {
		client, err := rawClient(config)
		if err != nil {
			return err
		}
		return client.Get().AbsPath("/readyz").Do(ctx).Error()
	}
}
