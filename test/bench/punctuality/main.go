// Command punctuality measures how punctual cnat-controller is under a steady stream of Ats while a large
// set of Ats waits, and what a waiting At costs it (issue #22, parts 1 and 2). It runs against a local
// control plane (hack/local-up.sh) with two cnat-controller replicas under leader election
// (hack/start-controller-replica.sh adds the second), and prints each figure next to its floor, measured in
// the same run, and its target. A benchmark that prints figures, not a test: the machine decides the numbers,
// and a figure means something only next to the floor of the same run.
//
// In order:
//  1. the bare-Pod throughput: a plain client creates Pods as fast as it can for a short while; the stream's
//     rate is a fraction of it (at most half), so that the stream measures punctuality, not saturation;
//  2. the waiting set: many Ats (100,000) due hours from now, created through the API by many workers;
//  3. the idle cost: the leader's CPU over a quiet window with them all waiting and none due, and its memory
//     (resident and Go heap) with them against before them: per waiting At;
//  4. the stream: N Ats due at each whole second (schedules have second precision) for minutes, in windows
//     that alternate with the floor's: a plain client that does, at the same kind of instants and with the
//     same number per second, the least work that starts an At (creates its Pod, writes its status Running),
//     open loop; lags are from each instant to the watch event that shows the Pod, and the At Running;
//  5. exactly one Pod per At of the stream, none for a waiting At.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/test/bench/internal/benchkube"
)

type options struct {
	pidDir            string
	waiting           int
	waitingIn         time.Duration
	waitingSpread     time.Duration
	createWorkers     int
	throughputFor     time.Duration
	throughputWorkers int
	rate              int
	rateFraction      float64
	window            time.Duration
	rounds            int
	idle              time.Duration
	settle            time.Duration
	cleanupWait       time.Duration
}

func main() {
	var o options
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster (an admin: it creates the Ats and watches)")
	floorKubeconfig := flag.String("floor-kubeconfig", floorKubeconfigDefault(), "kubeconfig of the bare-Pod throughput and the floor: cnat-controller's identity, so that kube-apiserver's priority and fairness queues their requests as it queues the controller's (an admin's are exempt)")
	flag.StringVar(&o.pidDir, "pid-dir", pidDirDefault(), "pid files of the control plane's components (<component>.pid): the controller replicas' CPU and memory")
	flag.IntVar(&o.waiting, "waiting", 100000, "Ats that wait (none due during the run)")
	flag.DurationVar(&o.waitingIn, "waiting-in", 2*time.Hour, "the first waiting At is due this long after the run starts")
	flag.DurationVar(&o.waitingSpread, "waiting-spread", 10*time.Hour, "the waiting Ats' schedules are spread over this long")
	flag.IntVar(&o.createWorkers, "create-workers", 64, "workers creating the waiting Ats")
	flag.DurationVar(&o.throughputFor, "throughput-for", 10*time.Second, "how long the bare-Pod throughput is measured")
	flag.IntVar(&o.throughputWorkers, "throughput-workers", 64, "workers of the bare-Pod throughput (cnat-controller's --workers)")
	flag.IntVar(&o.rate, "rate", 0, "Ats due per second in the stream; 0: --rate-fraction of the bare-Pod throughput")
	flag.Float64Var(&o.rateFraction, "rate-fraction", 0.05, "the stream's rate as a fraction of the bare-Pod throughput, when --rate is 0 (at most 0.5)")
	flag.DurationVar(&o.window, "window", 30*time.Second, "length of each window of the stream (the controller's, then the floor's)")
	flag.IntVar(&o.rounds, "rounds", 4, "rounds of windows: the controller's and the floor's alternate, each this many times")
	flag.DurationVar(&o.idle, "idle", 60*time.Second, "the quiet window over which the leader's CPU is measured")
	flag.DurationVar(&o.settle, "settle", 15*time.Second, "wait after the leader has queued every waiting At before the quiet window and memory")
	flag.DurationVar(&o.cleanupWait, "cleanup-wait", 10*time.Minute, "how long to wait for each of the benchmark's namespaces to be deleted at the end; 0 does not wait")
	flag.Parse()
	if err := run(*kubeconfig, *floorKubeconfig, o); err != nil {
		fmt.Fprintln(os.Stderr, "punctuality:", err)
		os.Exit(1)
	}
}

func floorKubeconfigDefault() string {
	if dir := os.Getenv("CP_RUN_DIR"); dir != "" {
		return dir + "/cnat/controller.kubeconfig"
	}
	return ""
}

func pidDirDefault() string {
	if dir := os.Getenv("CP_RUN_DIR"); dir != "" {
		return dir + "/pids"
	}
	return ""
}

// clients are the benchmark's: protobuf (as cnat-controller speaks) and no client-side rate limit, so that
// the client is never what holds a create or a floor back. The admin's set up and watch; the floor's act
// as the controller would, with its identity.
type clients struct {
	kube  kubernetes.Interface
	ats   versioned.Interface
	floor struct {
		kube kubernetes.Interface
		ats  versioned.Interface
	}
}

func newClients(kubeconfig, floorKubeconfig string) (clients, error) {
	var c clients
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return c, err
	}
	floorConfig, err := clientcmd.BuildConfigFromFlags("", floorKubeconfig)
	if err != nil {
		return c, fmt.Errorf("--floor-kubeconfig: %w", err)
	}
	config, floorConfig = benchkube.FloorConfig(config), benchkube.FloorConfig(floorConfig)
	// v1beta1's deprecation warning once, not once per request: 100,000 log lines cost this process CPU.
	config.WarningHandler = rest.NewWarningWriter(os.Stderr, rest.WarningWriterOptions{Deduplicate: true})
	floorConfig.WarningHandler = config.WarningHandler
	c.kube, c.ats = kubernetes.NewForConfigOrDie(config), versioned.NewForConfigOrDie(config)
	c.floor.kube, c.floor.ats = kubernetes.NewForConfigOrDie(floorConfig), versioned.NewForConfigOrDie(floorConfig)
	return c, nil
}

func run(kubeconfig, floorKubeconfig string, o options) error {
	ctx := context.Background()
	c, err := newClients(kubeconfig, floorKubeconfig)
	if err != nil {
		return err
	}

	replicas, err := findReplicas(ctx, c.kube, o.pidDir)
	if err != nil {
		return err
	}
	progress("cnat-controller replicas: leader %s, standing by: %s", replicas.leader.name, replicas.standbyNames())

	throughput, err := barePodThroughput(ctx, c, o.throughputFor, o.throughputWorkers)
	if err != nil {
		return err
	}
	rate, err := streamRate(o, throughput)
	if err != nil {
		return err
	}

	idle, err := measureIdle(ctx, c, o, replicas)
	if err != nil {
		return err
	}
	stream, err := runStream(ctx, c, o, rate)
	if err != nil {
		return err
	}
	// Last, so that nothing measured waits on it: a waiting At that got a Pod fired early.
	stream.waitingPods, err = podCount(ctx, c.kube, idle.namespace)
	if err != nil {
		return err
	}
	report(os.Stdout, o, replicas, throughput, rate, idle, stream)
	// Waited for (make bench runs other benchmarks after this one), up to --cleanup-wait.
	progress("deleting the benchmark's namespaces")
	for _, ns := range []string{stream.namespace, stream.floorNamespace, idle.namespace} {
		benchkube.DeleteNamespace(c.kube, ns, o.cleanupWait)
	}
	return nil
}

// streamRate is --rate, or the fraction of the bare-Pod throughput; never above half of it: the stream
// measures how punctual the controller is, not how it copes with more than the machine can do.
func streamRate(o options, throughput float64) (int, error) {
	rate := o.rate
	if rate == 0 {
		rate = max(1, int(throughput*o.rateFraction))
	}
	if float64(rate) > throughput/2 {
		return 0, fmt.Errorf("a stream of %d Ats per second is more than half the bare-Pod throughput of this run (%.0f Pods/s): lower --rate or --rate-fraction", rate, throughput)
	}
	return rate, nil
}

var start = time.Now()

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s: "+format+"\n", append([]any{time.Since(start).Round(time.Second)}, args...)...)
}
