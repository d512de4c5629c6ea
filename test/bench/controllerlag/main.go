// Command controllerlag measures how late cnat-controller acts: it creates many Ats due in the same second
// on a running cluster (hack/local-up.sh) and prints, from the watch events it receives, the lag from the
// schedule to each Pod's creation, to each At's status Running and, once the Pod has run its course on the
// simulated node (kwok: a second of run time), to each At's Succeeded. A benchmark that prints figures, not
// a test: the machine it runs on decides the numbers.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/controller"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/test/bench/internal/benchkube"
	"github.com/programming-kubernetes/cnat/test/bench/internal/proccpu"
	"github.com/programming-kubernetes/cnat/test/bench/internal/seen"
)

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster")
	count := flag.Int("ats", 1000, "Ats due in the same second")
	lead := flag.Duration("lead", 30*time.Second, "how far ahead the common schedule lies (time to create them all)")
	flag.StringVar(&pidDir, "pid-dir", pidDirDefault(), "pid files of the control plane's components (<component>.pid), for their CPU during the burst")
	flag.StringVar(&profileDir, "cpu-profile-dir", "", "if set, CPU profiles of kube-apiserver and cnat-apiserver during the burst are written here")
	flag.StringVar(&cnatURL, "cnat-url", os.Getenv("CNAT_APISERVER_URL"), "cnat-apiserver's own URL, for its profile")
	flag.IntVar(&floorWorkers, "floor-workers", 64, "workers of the Pod floor measured after the Ats (cnat-controller's --workers); 0 skips it")
	flag.Parse()
	if err := run(*kubeconfig, *count, *lead); err != nil {
		fmt.Fprintln(os.Stderr, "controllerlag:", err)
		os.Exit(1)
	}
}

var (
	pidDir, profileDir, cnatURL string
	floorWorkers                int
)

func pidDirDefault() string {
	if dir := os.Getenv("CP_RUN_DIR"); dir != "" {
		return dir + "/pids"
	}
	return ""
}

func run(kubeconfig string, count int, lead time.Duration) error {
	ctx := context.Background()
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	config.QPS, config.Burst = 1000, 1000
	// The clientset speaks v1beta1, deprecated since 1.1: its warning once, not once per At.
	config.WarningHandler = rest.NewWarningWriter(os.Stderr, rest.WarningWriterOptions{Deduplicate: true})
	kube := kubernetes.NewForConfigOrDie(config)
	// Protobuf, as cnat-controller speaks it: decoding the watch costs this process (which shares the cores
	// with what it measures) a ninth of JSON.
	ats := versioned.NewForConfigOrDie(benchkube.WithProtobuf(config))

	ns, err := benchkube.NewNamespace(ctx, kube, "bench-lag-")
	if err != nil {
		return err
	}
	// Deleting 1000 Ats and their Pods is work for the control plane: wait for it, so that it does not
	// weigh on whatever is measured next.
	defer benchkube.DeleteNamespace(kube, ns, 2*time.Minute)

	// Watch first, so that no event is missed; each event is timed when it arrives.
	watchCtx, stopWatches := context.WithCancel(ctx)
	defer stopWatches()
	podSeen, err := seen.Watch(watchCtx, func(rv string) (watch.Interface, error) {
		return kube.CoreV1().Pods(ns).Watch(watchCtx, metav1.ListOptions{LabelSelector: controller.AtLabel, ResourceVersion: rv})
	}, func(o runtime.Object) (string, bool) { return o.(*corev1.Pod).Labels[controller.AtLabel], true })
	if err != nil {
		return err
	}
	watchAts := func(phase v1beta1.AtPhase) (*seen.Times, error) {
		return seen.Watch(watchCtx, func(rv string) (watch.Interface, error) {
			return ats.CnatV1beta1().Ats(ns).Watch(watchCtx, metav1.ListOptions{ResourceVersion: rv})
		}, func(o runtime.Object) (string, bool) {
			at := o.(*v1beta1.At)
			return at.Name, at.Status.Phase == phase
		})
	}
	runningSeen, err := watchAts(v1beta1.AtRunning)
	if err != nil {
		return err
	}
	succeededSeen, err := watchAts(v1beta1.AtSucceeded)
	if err != nil {
		return err
	}

	schedule := time.Now().Add(lead).Truncate(time.Second)
	fmt.Printf("creating %d Ats due at %s in namespace %s\n", count, schedule.Format(time.RFC3339), ns)
	created := time.Now()
	if err := createAts(ctx, ats, ns, count, schedule); err != nil {
		return err
	}
	fmt.Printf("created in %.1fs; schedule in %.1fs\n", time.Since(created).Seconds(), time.Until(schedule).Seconds())
	if time.Now().After(schedule) {
		return fmt.Errorf("creating the Ats took past the schedule: raise -lead")
	}

	// Just before the schedule: what the burst costs starts here.
	time.Sleep(time.Until(schedule.Add(-100 * time.Millisecond)))
	cnatConfig := rest.CopyConfig(config)
	cnatConfig.Host = cnatURL // the cluster CA signed its serving certificate; it accepts the admin's certificate
	waitForProfiles := profileServers(profileDir, 5, map[string]*rest.Config{"kube-apiserver": config, "cnat-apiserver": cnatConfig})
	cpuBefore, burstStart := proccpu.Take(pidDir), time.Now()

	deadline := schedule.Add(5 * time.Minute)
	seen.Until(deadline, func() bool { return runningSeen.Count() == count && podSeen.Count() == count })
	cpuRunning, burst := proccpu.Take(pidDir), time.Since(burstStart)
	seen.Until(deadline, func() bool { return succeededSeen.Count() == count })
	cpuSucceeded, whole := proccpu.Take(pidDir), time.Since(burstStart)
	stopWatches()
	waitForProfiles()

	fmt.Printf("\n%d Ats due in the same second (%s)\n", count, schedule.Format(time.RFC3339))
	podLags, runningLags := podSeen.LagsSince(schedule), runningSeen.LagsSince(schedule)
	printLags("lag from schedule to", []lagRow{
		{"Pod created (watch)", podLags},
		{"At Running (watch)", runningLags},
		// It includes the Pod's simulated run time.
		{"At Succeeded (watch)", succeededSeen.LagsSince(schedule)},
	})
	cpuRunning.Since(cpuBefore).Print(os.Stdout, "from the schedule until every At was Running", burst, count)
	cpuSucceeded.Since(cpuBefore).Print(os.Stdout, "from the schedule until every At had Succeeded", whole, count)
	if len(podLags) < count || len(runningLags) < count {
		return fmt.Errorf("saw %d Pods and %d Ats Running of %d", len(podLags), len(runningLags), count)
	}
	if floorWorkers == 0 {
		return nil
	}
	podFloorP99, err := podFloor(ctx, config, count, floorWorkers)
	if err != nil {
		return err
	}
	runningFloorP99, err := runningFloor(ctx, config, count, floorWorkers)
	if err != nil {
		return err
	}
	printTargets(percentile(podLags, 0.99), percentile(runningLags, 0.99), podFloorP99, runningFloorP99)
	return nil
}

type lagRow struct {
	name string
	lags []time.Duration // sorted
}

func printLags(header string, rows []lagRow) {
	fmt.Printf("%-28s %6s %8s %8s %8s %8s\n", header, "seen", "p50", "p90", "p99", "max")
	for _, row := range rows {
		fmt.Printf("%-28s %6d %8s %8s %8s %8s\n", row.name, len(row.lags), fmtDur(percentile(row.lags, 0.5)),
			fmtDur(percentile(row.lags, 0.9)), fmtDur(percentile(row.lags, 0.99)), fmtDur(percentile(row.lags, 1)))
	}
}

// printTargets prints issue #14's targets as ratios of p99s of this run, and what the Running floor says of
// them: no controller can make its Ats Running sooner than the Running floor does.
func printTargets(pod, running, podFloor, runningFloor time.Duration) {
	fmt.Printf("\nTARGETS (issue #14), ratios of p99 lags of this run:\n")
	fmt.Printf("  %-54s %8s %8s  %s\n", "", "measured", "target", "verdict")
	for _, t := range []struct {
		name   string
		ratio  float64
		target float64 // 0: a figure, no target
	}{
		{"Pod created ÷ Pod floor", ratio(pod, podFloor), 1.3},
		{"At Running ÷ Pod floor", ratio(running, podFloor), 2.0},
		{"Running floor ÷ Pod floor (no controller can beat it)", ratio(runningFloor, podFloor), 0},
		{"At Running ÷ Running floor", ratio(running, runningFloor), 0},
	} {
		if t.target == 0 {
			fmt.Printf("  %-54s %8.2f %8s  %s\n", t.name, t.ratio, "-", "-")
			continue
		}
		verdict := "MISSED"
		if t.ratio <= t.target {
			verdict = "met"
		}
		fmt.Printf("  %-54s %8.2f %8s  %s\n", t.name, t.ratio, fmt.Sprintf("≤ %.1f", t.target), verdict)
	}
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return a.Seconds() / b.Seconds()
}

// createAts creates the Ats from 16 workers.
func createAts(ctx context.Context, ats versioned.Interface, ns string, count int, schedule time.Time) error {
	names := make(chan int)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range names {
				at := &v1beta1.At{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("at-%04d", i)},
					Spec:       v1beta1.AtSpec{Schedule: metav1.NewTime(schedule), Command: []string{"true"}, Image: "busybox"},
				}
				if _, err := ats.CnatV1beta1().Ats(ns).Create(ctx, at, metav1.CreateOptions{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < count; i++ {
		select {
		case names <- i:
		case err := <-errs:
			close(names)
			return err
		}
	}
	close(names)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func fmtDur(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }
