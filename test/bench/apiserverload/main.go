// Command apiserverload compares cnat-apiserver with the same At as a CustomResourceDefinition of
// kube-apiserver (the peer), with etcd alone (the floor), with the null backend (the ceiling of any
// aggregated server: discovery and a map, test/bench/nullbackend) and with k8s.io/sample-apiserver (the
// reference aggregated server of the k8s.io/apiserver cnat is built on), on one local control plane
// (hack/local-up.sh), in one run: create, get, list, update, delete with concurrent workers, watch fan-out,
// CPU per operation by process, and memory. It prints tables, the targets among them; run it through
// `make bench` (hack/bench.sh).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/programming-kubernetes/cnat/test/bench/internal/atstore"
	"github.com/programming-kubernetes/cnat/test/bench/internal/proccpu"
	"github.com/programming-kubernetes/cnat/test/bench/internal/procmem"
	"github.com/programming-kubernetes/cnat/test/bench/internal/workload"
)

type options struct {
	kubeconfig, cnatURL, nullURL, etcdURL, runDir string
	sample                                        bool
	backends                                      string
	workers, small, objects                       int
	smallLists, largeLists                        int
	watchers, watchEvents                         int
	profileDir, profileBackends, profileServers   string
	profileSeconds                                int
	cpuRounds, cpuChunk                           int
}

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", os.Getenv("KUBECONFIG"), "admin kubeconfig of the control plane")
	flag.StringVar(&o.cnatURL, "cnat-url", os.Getenv("CNAT_APISERVER_URL"), "cnat-apiserver's own URL, for the direct client")
	flag.StringVar(&o.nullURL, "null-url", os.Getenv("NULL_BACKEND_URL"), "the null backend's own URL, for its direct client; without it, no null backend")
	flag.BoolVar(&o.sample, "sample-apiserver", os.Getenv("SAMPLE_APISERVER_URL") != "", "measure k8s.io/sample-apiserver's Flunders too (the generic server's path without cnat's code; CP_SAMPLE_APISERVER=true of local-up)")
	flag.StringVar(&o.etcdURL, "etcd-url", os.Getenv("CP_ETCD_URL"), "the control plane's etcd, for the floor")
	flag.StringVar(&o.runDir, "run-dir", os.Getenv("CP_RUN_DIR"), "local-up's run dir (pid files, for CPU and memory)")
	flag.StringVar(&o.backends, "backends", "", "comma-separated backends to run (default all: crd, etcd, cnat-agg-json, cnat-agg-proto, cnat-direct, null-agg-json, null-agg-proto, null-direct, sample-agg-json)")
	flag.IntVar(&o.workers, "workers", 16, "concurrent clients per workload")
	flag.IntVar(&o.small, "small", 2000, "objects of the first list (and of get and update)")
	flag.IntVar(&o.objects, "objects", 10000, "objects of the second list (and of delete, and for memory)")
	flag.IntVar(&o.smallLists, "small-lists", 64, "lists of the small namespace")
	flag.IntVar(&o.largeLists, "large-lists", 32, "lists of the large namespace")
	flag.IntVar(&o.watchers, "watchers", 100, "watchers of the fan-out")
	flag.IntVar(&o.watchEvents, "watch-events", 500, "objects created while the watchers watch")
	flag.IntVar(&o.cpuRounds, "cpu-rounds", 8, "rounds of the alternating CPU measurement of the CPU targets (0: none, the targets from the workloads)")
	flag.IntVar(&o.cpuChunk, "cpu-chunk", 250, "calls per backend and verb in each round of the alternating CPU measurement")
	flag.StringVar(&o.profileDir, "cpu-profile-dir", "", "if set, CPU profiles during the create of the last objects and the large list")
	flag.IntVar(&o.profileSeconds, "cpu-profile-seconds", 10, "length of each CPU profile")
	flag.StringVar(&o.profileBackends, "profile-backends", cnatDirect, "comma-separated backends whose workloads are profiled")
	flag.StringVar(&o.profileServers, "profile-servers", "cnat-apiserver", "comma-separated servers profiled: cnat-apiserver, kube-apiserver")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "apiserverload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	base, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return err
	}
	base.QPS, base.Burst = -1, 0
	base.Timeout = 2 * time.Minute
	// Once each: sample-apiserver's v1alpha1 Flunder (its storage version, measured without conversion)
	// warns that it is deprecated on every call.
	base.WarningHandler = rest.NewWarningWriter(os.Stderr, rest.WarningWriterOptions{Deduplicate: true})
	kube := kubernetes.NewForConfigOrDie(base)
	dyn := dynamic.NewForConfigOrDie(base)
	if err := atstore.InstallCRD(ctx, dyn); err != nil {
		return err
	}
	etcd, err := clientv3.New(clientv3.Config{Endpoints: []string{o.etcdURL}, DialTimeout: 10 * time.Second})
	if err != nil {
		return err
	}
	defer etcd.Close()
	value, err := storedAt(runtime.ContentTypeProtobuf)
	if err != nil {
		return err
	}
	backends, err := allBackends(o, base, dyn, etcd, value)
	if err != nil {
		return err
	}
	servers := map[string]*rest.Config{}
	for _, name := range strings.Split(o.profileServers, ",") {
		switch name {
		case "cnat-apiserver":
			servers[name] = direct(base, o.cnatURL)
		case "kube-apiserver":
			servers[name] = base
		default:
			return fmt.Errorf("--profile-servers: %q is not a server this can profile", name)
		}
	}
	profiler := newProfiler(o.profileDir, o.profileSeconds, strings.Split(o.profileBackends, ","), servers)

	names := make([]string, len(backends))
	results := map[string]map[string]workload.Result{}
	cpu := cpuCosts{}
	fanOuts := map[string]workload.FanOut{}
	memory := map[string][2]float64{} // backend: RSS before its objects, RSS with them (MiB)
	workloads := []string{"create", "get", fmt.Sprintf("list %d", o.small), "update", fmt.Sprintf("list %d", o.objects), "delete"}
	for _, w := range workloads {
		results[w] = map[string]workload.Result{}
	}
	start := time.Now()
	// Namespaces of this run only: an earlier run on the same control plane may have left objects behind.
	run := strconv.FormatInt(start.Unix(), 36)
	createNamespace := func(ns string) error {
		_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	}
	namespaceOf := func(b backend) string { return "bench-" + b.name + "-" + run }
	for i, b := range backends {
		names[i] = b.name
		namespace := namespaceOf(b)
		for _, ns := range []string{namespace, namespace + "-watch", namespace + "-cpu"} {
			if err := createNamespace(ns); err != nil {
				return err
			}
		}
		before, _ := procmem.RSSMiB(o.pidDir(), b.component)
		s := b.newStore(namespace, o.objects)
		profile := profiler.forBackend(b.name)
		fmt.Fprintf(os.Stderr, "%s: %s\n", time.Since(start).Round(time.Second), b.name)

		// measured runs a workload and adds what it cost each process to cpu[workload][backend].
		measured := func(name string, from, to int, op func(context.Context, int) error) (workload.Result, error) {
			before := proccpu.Take(o.pidDir())
			r, err := workload.Run(ctx, o.workers, from, to, op)
			cpu.add(name, b.name, proccpu.Take(o.pidDir()).Since(before), r.Ops())
			return r, err
		}
		created, err := measured("create", 0, o.small, s.Create)
		if err != nil {
			return fmt.Errorf("%s create: %w", b.name, err)
		}
		if results["get"][b.name], err = measured("get", 0, o.small, s.Get); err != nil {
			return fmt.Errorf("%s get: %w", b.name, err)
		}
		if results[workloads[2]][b.name], err = measured(workloads[2], 0, o.smallLists, listing(s, o.small)); err != nil {
			return fmt.Errorf("%s list: %w", b.name, err)
		}
		if results["update"][b.name], err = measured("update", 0, o.small, s.Update); err != nil {
			return fmt.Errorf("%s update: %w", b.name, err)
		}
		stop := profile("create")
		more, err := measured("create", o.small, o.objects, s.Create)
		stop()
		if err != nil {
			return fmt.Errorf("%s create: %w", b.name, err)
		}
		results["create"][b.name] = workload.Merge(created, more)
		stop = profile("list")
		results[workloads[4]][b.name], err = measured(workloads[4], 0, o.largeLists, listing(s, o.objects))
		stop()
		if err != nil {
			return fmt.Errorf("%s list: %w", b.name, err)
		}
		after, _ := procmem.RSSMiB(o.pidDir(), b.component)
		memory[b.name] = [2]float64{before, after}
		if results["delete"][b.name], err = measured("delete", 0, o.objects, s.Delete); err != nil {
			return fmt.Errorf("%s delete: %w", b.name, err)
		}
		if b.noWatch {
			continue
		}
		if fanOuts[b.name], err = workload.WatchFanOut(ctx, b.newStore(namespace+"-watch", o.watchEvents), o.watchers, 0, o.watchEvents, o.workers, 60*time.Second); err != nil {
			return fmt.Errorf("%s watch: %w", b.name, err)
		}
	}

	fmt.Fprintf(os.Stderr, "%s: the CPU targets' backends, alternating\n", time.Since(start).Round(time.Second))
	alternating, err := measureAlternating(ctx, backends, func(b backend) string { return namespaceOf(b) + "-cpu" },
		o.workers, o.cpuRounds, o.cpuChunk, o.pidDir())
	if err != nil {
		return err
	}

	fmt.Printf("%d workers, %d objects (lists of %d and %d), %d watchers × %d events, in %s\n\n",
		o.workers, o.objects, o.small, o.objects, o.watchers, o.watchEvents, time.Since(start).Round(time.Second))
	printTable(os.Stdout, workloads, names, results)
	fmt.Println()
	printFanOut(os.Stdout, names, fanOuts)
	fmt.Println()
	cpu.print(os.Stdout, workloads, names)
	fmt.Println()
	fmt.Printf("memory (VmRSS, MiB) with %d objects:\n", o.objects)
	for _, b := range backends {
		if m, ok := memory[b.name]; ok && b.component != "" {
			fmt.Printf("  %-16s %-15s %7.0f before, %7.0f with them: %+7.0f\n", b.name, b.component, m[0], m[1], m[1]-m[0])
		}
	}
	fmt.Println()
	printCeiling(os.Stdout, workloads, results)
	fmt.Println()
	printProxyCost(os.Stdout, workloads, cpu)
	fmt.Println()
	targetCPU := sequentialRatio(cpu)
	if alternating.measured() {
		alternating.print(os.Stdout)
		fmt.Println()
		targetCPU = alternating.ratio
		fmt.Println("(the CPU targets below: from the alternating rounds)")
	}
	printTargets(os.Stdout, evaluateTargets(results, targetCPU))
	return nil
}

func (o options) pidDir() string {
	if o.runDir == "" {
		return ""
	}
	return o.runDir + "/pids"
}

// listing is a list that must return exactly want objects.
func listing(s atstore.Store, want int) func(context.Context, int) error {
	return func(ctx context.Context, _ int) error {
		got, err := s.List(ctx)
		if err != nil {
			return err
		}
		return atstore.MustCount(got, want)
	}
}
