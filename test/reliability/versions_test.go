package reliability

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/test/internal/ledger"
	"github.com/programming-kubernetes/cnat/test/internal/releases"
)

const (
	atGroup = "cnat.programming-kubernetes.info"
	// shortShutdownDelay is the replicas' shutdown delay in the short form (shutdownDelay in the long one).
	shortShutdownDelay = "5s"
)

// TestMixedVersionRollout upgrades two replicas of the previous release's binary to the current one under
// load in every version clients use, one replica at a time, in the order docs/versions.md gives: first the
// binary (emulating the previous release), then the emulation to 1.1, then — once both replicas serve v1 —
// the APIService of v1 and clients of v1; a rollback of one replica to the previous binary and back while
// the storage version has not moved; then 1.2, where it moves, and past which the previous binary refuses
// to start. Nothing acknowledged may be lost, no request may fail, no field of any At may be dropped by a
// replica that does not know it, and discovery through the aggregator never shows a version vanish once
// seen.
func TestMixedVersionRollout(t *testing.T) {
	requireHandover(t)
	previous := previousBinary(t)
	d := newDeployment(t, 1)
	ro := &rollout{d: d, live: map[string]*replica{}}
	for _, slot := range []string{"a", "b"} {
		ro.live[slot] = d.startBin(slot+"0-release-"+releases.Previous, previous, d.port)
		ro.slowest = max(ro.slowest, d.waitReady(ro.live[slot]))
	}
	// 1.0 does not serve v1: an APIService for it would be unavailable.
	d.register("v1beta1", "v1alpha1")
	c := quietClient(t)
	disc := watchDiscovery(t)

	shape := ledger.Shape{Informers: 1, Writers: 2, Updaters: 2, PerWorker: 5}
	runs := map[string]*ledger.Run{}
	order := []string{"v1beta1", "v1alpha1"}
	for _, v := range order {
		runs[v] = ledger.StartRun(t, c, versionNamespace(t, v), shape.InVersion(v))
	}
	witnessNS := versionNamespace(t, "witness")
	witnesses := createWitnesses(t, c, witnessNS, 4)
	dwell := func() { time.Sleep(phase(2*time.Second, 15*time.Second)) }
	step := func(name string) {
		t.Logf("%s: step %s done", time.Now().Format("15:04:05.000"), name)
		touchWitnesses(t, c, witnessNS, witnesses, name)
		dwell()
	}
	dwell()

	current := env.cnatBin
	ro.replace("a", "emulating-1.0", current, "--emulated-version", "cnat=1.0")
	ro.replace("b", "emulating-1.0", current, "--emulated-version", "cnat=1.0")
	step("binary")
	ro.replace("a", "emulating-1.1", current, "--emulated-version", "cnat=1.1")
	step("a at 1.1")
	ro.replace("b", "emulating-1.1", current, "--emulated-version", "cnat=1.1")
	step("b at 1.1")
	// Rollback while the storage version has not moved: the previous binary, and back.
	ro.replace("a", "rollback-"+releases.Previous, previous)
	step("a rolled back")
	ro.replace("a", "emulating-1.1", current, "--emulated-version", "cnat=1.1")
	step("a at 1.1 again")
	ro.waitTerminated()

	// Both replicas serve v1: its APIService, then its clients.
	disc.mark("v1 APIService created")
	d.register("v1", "v1beta1", "v1alpha1")
	runs["v1"] = ledger.StartRun(t, c, versionNamespace(t, "v1"), shape.InVersion("v1"))
	order = append(order, "v1")
	step("v1 registered")

	ro.replace("a", "1.2", current)
	step("a at 1.2")
	ro.replace("b", "1.2", current)
	step("b at 1.2")
	ro.waitTerminated()

	// Past the move of the storage version: the previous binary refuses to start, naming it.
	refusePastTheMove(t, d, previous)
	dwell()

	disc.stop()
	for _, v := range order {
		row := runs[v].Finish("mixed-version rollout 1.0→1.2, "+v+" clients", "")
		row.StartToReady = ro.slowest
		report(t, row)
		if row.Failed > 0 {
			t.Errorf("%s: %d requests failed during the rollout, want 0", v, row.Failed)
		}
	}
	for _, err := range ro.errs {
		t.Error(err)
	}
	checkWitnesses(t, c, witnessNS, witnesses, "b at 1.2")
	for _, v := range order {
		ledger.CheckReadAlike(t, c, runs[v].Namespace(), v)
	}
	disc.check(t)
}

// previousBinary is the previous release's cnat-apiserver, built from its commit if it is not there.
func previousBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(releases.Dir(env.root, releases.Previous), "cnat-apiserver")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	build := exec.Command("hack/build-release.sh", releases.Previous)
	build.Dir = env.root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("hack/build-release.sh %s: %v\n%s", releases.Previous, err, out)
	}
	return bin
}

// rollout replaces the replicas of slots one at a time as a Deployment with a surge of one does: the new
// replica started and ready, then the old one terminated (gracefully; the next replacement starts while it
// drains, the next termination waits for it).
type rollout struct {
	d       *deployment
	live    map[string]*replica
	n       int
	pending chan struct{}
	slowest time.Duration
	mu      sync.Mutex
	errs    []error
}

func (ro *rollout) replace(slot, label, bin string, flags ...string) {
	t := ro.d.t
	t.Helper()
	ro.n++
	if !*longForm {
		// A rollout of eight replacements: the short form shortens the shutdown delay to fit make test.
		flags = append(flags, "--shutdown-delay-duration", shortShutdownDelay)
	}
	r := ro.d.startBin(fmt.Sprintf("%s%d-%s", slot, ro.n, label), bin, ro.d.port, flags...)
	ro.slowest = max(ro.slowest, ro.d.waitReady(r))
	ro.waitTerminated()
	old := ro.live[slot]
	ro.live[slot] = r
	t.Logf("%s: SIGTERM to replica %s", time.Now().Format("15:04:05.000"), old.name)
	done := make(chan struct{})
	ro.pending = done
	go func() {
		defer close(done)
		if err := old.proc.Terminate(60 * time.Second); err != nil {
			ro.mu.Lock()
			ro.errs = append(ro.errs, fmt.Errorf("replica %s after SIGTERM: %v (log %s)", old.name, err, old.proc.LogPath))
			ro.mu.Unlock()
		}
	}()
}

func (ro *rollout) waitTerminated() {
	if ro.pending != nil {
		<-ro.pending
		ro.pending = nil
	}
}

// refusePastTheMove starts the previous release's binary as a third process on the deployment's etcd (its
// own port): it must exit non-zero, name the stored version it cannot read, and never listen.
func refusePastTheMove(t *testing.T, d *deployment, previous string) {
	t.Helper()
	port := freePort(t)
	r := d.startBin("refused-"+releases.Previous, previous, port)
	// k8s.io/apiserver binds its listener while it builds its configuration, before the check: the kernel
	// completes TCP handshakes on it, nothing answers them. What counts is that no request is answered.
	probe := &http.Client{Timeout: 200 * time.Millisecond, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}}
	url := fmt.Sprintf("https://127.0.0.1:%d/readyz", port)
	bound, answered := false, ""
	deadline := time.After(90 * time.Second)
	for running := true; running; {
		select {
		case <-r.proc.Done():
			running = false
		case <-deadline:
			r.proc.Kill()
			t.Fatalf("the %s binary still runs 90s after its start on Ats stored in v1 (log %s)", releases.Previous, r.proc.LogPath)
		case <-time.After(50 * time.Millisecond):
			if conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 50*time.Millisecond); err == nil {
				conn.Close()
				bound = true
			}
			if resp, err := probe.Get(url); err == nil {
				resp.Body.Close()
				answered = resp.Status
			}
		}
	}
	if r.proc.Err() == nil {
		t.Errorf("the %s binary exited 0 on Ats stored in v1, want a refusal", releases.Previous)
	}
	if answered != "" {
		t.Errorf("the %s binary answered a request (%s) before it refused", releases.Previous, answered)
	}
	t.Logf("the %s binary's port accepted TCP connections before it refused: %v; answered a request: no", releases.Previous, bound)
	log, err := os.ReadFile(r.proc.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"stored as " + atGroup + "/v1 (e.g.", "Run a release that serves " + atGroup + "/v1"} {
		if !strings.Contains(string(log), part) {
			t.Errorf("the refusal of the %s binary does not say %q (log %s)", releases.Previous, part, r.proc.LogPath)
		}
	}
	t.Logf("%s: the %s binary refused after %s: %v", time.Now().Format("15:04:05.000"), releases.Previous,
		time.Since(r.started).Round(time.Millisecond), r.proc.Err())
}

// quietClient is client without client-go's log line for every deprecation warning.
func quietClient(t *testing.T) versioned.Interface {
	t.Helper()
	config := adminConfig(t)
	config.QPS, config.Burst = -1, 0
	config.WarningHandler = rest.NoWarnings{}
	return versioned.NewForConfigOrDie(config)
}

func adminConfig(t *testing.T) *rest.Config {
	t.Helper()
	config, err := clientcmd.BuildConfigFromFlags("", env.vars["KUBECONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	return config
}

// versionNamespace creates a namespace of the test for one version's clients.
func versionNamespace(t *testing.T, suffix string) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())) + "-" + suffix
	if _, err := env.kubectl("", "create", "namespace", name); err != nil {
		t.Fatal(err)
	}
	return name
}

// The witnesses: Ats written in v1beta1 with what v1alpha1 cannot express (an argv that is not a shell line,
// an image, a status beyond the phase), then changed through v1alpha1 after every step, by whichever
// replica answers.
const witnessImage = "registry.example/cnat/witness:1.0"

func createWitnesses(t *testing.T, c versioned.Interface, ns string, n int) []*v1beta1.At {
	t.Helper()
	ctx := context.Background()
	var out []*v1beta1.At
	for i := range n {
		at := ledger.NewAt(fmt.Sprintf("witness-%d", i))
		at.Spec.Command = []string{"echo", "an argv", "not a shell line"}
		at.Spec.Image = witnessImage
		created, err := c.CnatV1beta1().Ats(ns).Create(ctx, at, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		start := metav1.NewTime(time.Now().Truncate(time.Second))
		created.Status = v1beta1.AtStatus{Phase: v1beta1.AtRunning, PodName: created.Name + "-pod", StartTime: &start}
		updated, err := c.CnatV1beta1().Ats(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, updated)
	}
	return out
}

const stepAnnotation = "reliability.cnat.programming-kubernetes.info/step"

// touchWitnesses writes step into every witness through v1alpha1 (a read-modify-write).
func touchWitnesses(t *testing.T, c versioned.Interface, ns string, witnesses []*v1beta1.At, step string) {
	t.Helper()
	ctx := context.Background()
	for _, w := range witnesses {
		at, err := c.CnatV1alpha1().Ats(ns).Get(ctx, w.Name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("witness %s at step %q: v1alpha1 get: %v", w.Name, step, err)
			continue
		}
		if at.Annotations == nil {
			at.Annotations = map[string]string{}
		}
		at.Annotations[stepAnnotation] = step
		if _, err := c.CnatV1alpha1().Ats(ns).Update(ctx, at, metav1.UpdateOptions{}); err != nil {
			t.Errorf("witness %s at step %q: v1alpha1 update: %v", w.Name, step, err)
		}
	}
}

// checkWitnesses reads every witness in each version: v1beta1 and v1 show every field written, v1alpha1
// keeps what it cannot show in its bookkeeping annotations, and the last step written through v1alpha1 is
// there.
func checkWitnesses(t *testing.T, c versioned.Interface, ns string, witnesses []*v1beta1.At, lastStep string) {
	t.Helper()
	ctx := context.Background()
	for _, w := range witnesses {
		b, err := c.CnatV1beta1().Ats(ns).Get(ctx, w.Name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("witness %s: %v", w.Name, err)
			continue
		}
		if !reflect.DeepEqual(b.Spec, w.Spec) || !reflect.DeepEqual(b.Status, w.Status) {
			t.Errorf("witness %s changed through the rollout:\nspec   %+v\nwant   %+v\nstatus %+v\nwant   %+v", w.Name, b.Spec, w.Spec, b.Status, w.Status)
		}
		if b.Annotations[stepAnnotation] != lastStep {
			t.Errorf("witness %s: step %q, want %q (the last write through v1alpha1)", w.Name, b.Annotations[stepAnnotation], lastStep)
		}
		one, err := c.CnatV1().Ats(ns).Get(ctx, w.Name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("witness %s in v1: %v", w.Name, err)
		} else if !ledger.SameJSON(t, one.Spec, b.Spec) || !ledger.SameJSON(t, one.Status, b.Status) {
			t.Errorf("witness %s: v1 shows %+v %+v, v1beta1 %+v %+v", w.Name, one.Spec, one.Status, b.Spec, b.Status)
		}
		alpha, err := c.CnatV1alpha1().Ats(ns).Get(ctx, w.Name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("witness %s in v1alpha1: %v", w.Name, err)
			continue
		}
		for _, a := range []string{cnat.CommandAnnotation, cnat.ImageAnnotation, cnat.StatusAnnotation} {
			if alpha.Annotations[a] == "" {
				t.Errorf("witness %s in v1alpha1 lacks %s", w.Name, a)
			}
		}
	}
}

// discoveryWatch polls kube-apiserver's discovery of the group — aggregated (/apis) and plain
// (/apis/<group>) — and notes every change of the versions it shows.
type discoveryWatch struct {
	client *http.Client
	host   string
	quit   chan struct{}
	done   chan struct{}

	mu       sync.Mutex
	current  map[string][]string             // endpoint → versions, as last seen
	seen     map[string]map[string]time.Time // endpoint → version → first seen
	vanished []string
	marks    map[string]time.Time
	polls    int
	errors   []string
}

var discoveryEndpoints = map[string]string{
	"aggregated /apis": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
	"/apis/" + atGroup: "application/json",
}

func watchDiscovery(t *testing.T) *discoveryWatch {
	t.Helper()
	config := adminConfig(t)
	hc, err := rest.HTTPClientFor(config)
	if err != nil {
		t.Fatal(err)
	}
	hc.Timeout = 10 * time.Second
	w := &discoveryWatch{client: hc, host: strings.TrimSuffix(config.Host, "/"), quit: make(chan struct{}), done: make(chan struct{}),
		current: map[string][]string{}, seen: map[string]map[string]time.Time{}, marks: map[string]time.Time{}}
	go func() {
		defer close(w.done)
		for {
			w.poll(t)
			select {
			case <-w.quit:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(w.stop)
	return w
}

func (w *discoveryWatch) mark(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.marks[name] = time.Now()
}

func (w *discoveryWatch) stop() {
	select {
	case <-w.quit:
	default:
		close(w.quit)
	}
	<-w.done
}

func (w *discoveryWatch) poll(t *testing.T) {
	for endpoint, accept := range discoveryEndpoints {
		path := strings.TrimPrefix(endpoint, "aggregated ")
		versions, err := w.get(path, accept, endpoint != "/apis/"+atGroup)
		now := time.Now()
		w.mu.Lock()
		w.polls++
		if err != nil {
			w.errors = append(w.errors, fmt.Sprintf("%s %s: %v", now.Format("15:04:05.000"), endpoint, err))
			w.mu.Unlock()
			continue
		}
		if !slices.Equal(versions, w.current[endpoint]) {
			t.Logf("%s: discovery %s: %v", now.Format("15:04:05.000"), endpoint, versions)
		}
		w.current[endpoint] = versions
		if w.seen[endpoint] == nil {
			w.seen[endpoint] = map[string]time.Time{}
		}
		for v := range w.seen[endpoint] {
			if !slices.Contains(versions, v) {
				w.vanished = append(w.vanished, fmt.Sprintf("%s %s: %s vanished (shows %v)", now.Format("15:04:05.000"), endpoint, v, versions))
			}
		}
		for _, v := range versions {
			if _, ok := w.seen[endpoint][v]; !ok {
				w.seen[endpoint][v] = now
			}
		}
		w.mu.Unlock()
	}
}

// get reads the group's versions from one discovery endpoint.
func (w *discoveryWatch) get(path, accept string, aggregated bool) ([]string, error) {
	req, err := http.NewRequest(http.MethodGet, w.host+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNotFound && !aggregated {
		return nil, nil // the group is gone: every version vanished
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%d %s", resp.StatusCode, body)
	}
	var versions []string
	if aggregated {
		if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "apidiscovery.k8s.io") {
			return nil, fmt.Errorf("answered %s, not aggregated discovery", ct)
		}
		var list struct {
			Items []struct {
				Metadata struct{ Name string }
				Versions []struct{ Version string }
			}
		}
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, err
		}
		for _, g := range list.Items {
			if g.Metadata.Name == atGroup {
				for _, v := range g.Versions {
					versions = append(versions, v.Version)
				}
			}
		}
		return versions, nil
	}
	var group struct {
		Versions []struct{ Version string }
	}
	if err := json.Unmarshal(body, &group); err != nil {
		return nil, err
	}
	for _, v := range group.Versions {
		versions = append(versions, v.Version)
	}
	return versions, nil
}

// check: no version vanished once seen, v1 appeared only after its APIService was created, no poll failed.
func (w *discoveryWatch) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	t.Logf("discovery: %d polls, %d failed, %d vanishings", w.polls, len(w.errors), len(w.vanished))
	for i, v := range w.vanished {
		if i < 10 {
			t.Errorf("discovery: %s", v)
		}
	}
	for i, e := range w.errors {
		if i < 10 {
			t.Errorf("discovery failed: %s", e)
		}
	}
	created, ok := w.marks["v1 APIService created"]
	for endpoint, seen := range w.seen {
		first, shown := seen["v1"]
		switch {
		case !shown:
			t.Errorf("discovery %s never showed v1", endpoint)
		case ok && first.Before(created):
			t.Errorf("discovery %s showed v1 at %s, before its APIService was created (%s)", endpoint,
				first.Format("15:04:05.000"), created.Format("15:04:05.000"))
		case ok:
			t.Logf("discovery %s: v1 shown %s after its APIService was created", endpoint, first.Sub(created).Round(time.Millisecond))
		}
	}
}

// TestMixedVersionWrongOrder is the order docs/versions.md warns against, measured rather than asserted (it
// runs with -long only): v1's APIService created while one replica still runs as 1.0 and the other as 1.1.
// It logs how often the aggregator found the APIService of v1 available and unavailable, and what discovery
// showed of v1.
func TestMixedVersionWrongOrder(t *testing.T) {
	if !*longForm {
		t.Skip("an experiment: -long only")
	}
	d := newDeployment(t, 1)
	d.waitReady(d.start("a-emulating-1.0", "--emulated-version", "cnat=1.0"))
	d.waitReady(d.start("b-emulating-1.1", "--emulated-version", "cnat=1.1"))
	d.register("v1beta1", "v1alpha1")
	disc := watchDiscovery(t)
	time.Sleep(5 * time.Second)
	disc.mark("v1 APIService created")
	apply := fmt.Sprintf("source hack/lib/control-plane.sh; source hack/lib/cnat.sh; export KUBECONFIG=%q; cnat_register %d v1 v1beta1 v1alpha1 || true",
		env.vars["KUBECONFIG"], d.port)
	if err := env.command("bash", "-c", apply).Run(); err != nil {
		t.Log(err)
	}
	var last string
	transitions := 0
	for end := time.Now().Add(phase(0, 90*time.Second)); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		out, _ := env.kubectl("", "get", "apiservice", "v1."+atGroup, "-o",
			`jsonpath={.status.conditions[?(@.type=="Available")].status} {.status.conditions[?(@.type=="Available")].reason}`)
		if out != last {
			transitions++
			t.Logf("%s: APIService v1.%s Available: %s", time.Now().Format("15:04:05.000"), atGroup, out)
			last = out
		}
	}
	disc.stop()
	// What v1's clients meet: lists of v1 through the aggregator, 10 at a time (the aggregator opens more
	// than one connection to the replicas).
	c := quietClient(t)
	answers := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 20 {
				_, err := c.CnatV1().Ats("default").List(context.Background(), metav1.ListOptions{})
				answer := "200"
				if err != nil {
					answer = err.Error()
				}
				mu.Lock()
				answers[answer]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	disc.mu.Lock()
	defer disc.mu.Unlock()
	t.Logf("APIService v1: %d changes of Available in 90s; discovery: %d polls, %d vanishings, e.g. %v; 200 lists of v1: %v",
		transitions, disc.polls, len(disc.vanished), disc.vanished[:min(5, len(disc.vanished))], answers)
}
