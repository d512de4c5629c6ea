package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/programming-kubernetes/cnat/test/internal/smoke"
)

// testAggregatorCutOffFromOneReplica: while writers, updaters and informers use the API through the
// aggregator, one of the two cnat-apiserver Pods is cut off the network — the host side of its veth on the
// node's bridge cnat0 set down: kube-apiserver (on the host), the kubelet's probes and etcd reach it no more,
// and nothing it sends gets out — and healed after a while. What the aggregator does meanwhile is what the
// test measures: which requests stall or fail and for how long, when the kubelet's readiness probe takes the
// Pod out of the EndpointSlice and kube-proxy's rules, and when every request goes to the other replica.
//
// It asserts: nothing acknowledged is lost and every informer ends with every acknowledged write; the Pod
// leaves the EndpointSlice and kube-proxy's rules within the bound of its readinessProbe (cutBound); every
// request that failed or stalled was sent before that bound, and none after it, the heal included; a cut
// shorter than the liveness probe allows restarts nothing; after the heal the Pod is Ready again, back in
// kube-proxy's rules, and serves. The figures are in docs/operations.md ("The aggregator cut off from one
// replica").
func testAggregatorCutOffFromOneReplica(t *testing.T) {
	core := coreClient(t)
	probe := readinessProbe(t, core)
	bound := cutBound(probe)
	// Short: one cut of 20 s. Long: three of 45 s, one replica, the other, the first again; within the
	// liveness probe's six failures (period 10 s, timeout 5 s: 55 s at the earliest), so no restart.
	cycles, cut := 1, 20*time.Second
	if *longForm {
		cycles, cut = 3, 45*time.Second
	}
	ns := namespace(t)
	trace := &requestTrace{}
	c, err := clientWith(trace.wrap)
	if err != nil {
		t.Fatal(err)
	}
	// Four informers, not two: each watch has a connection of its own to one replica, and a watch on the
	// replica cut off is what this part must see (all four on the other one: 1 run in 16).
	shape := nodeLoad
	shape.Informers = 4
	run := startLoad(t, c, ns, shape)
	var figures []cutFigures
	for i := range cycles {
		pods := apiserverPods(t, core)
		victim, survivor := pods[i%2], pods[(i+1)%2]
		figures = append(figures, cutOff(t, core, victim, survivor, cut, probe))
		time.Sleep(phase(5*time.Second, 20*time.Second))
	}
	row := run.Finish(fmt.Sprintf("aggregator cut off from 1 of 2 replicas %s", cut), "")
	t.Log(row)
	// Every request has been answered now: each cut's figures are those of the requests in flight at it or
	// sent after it, answered before the next cut.
	for i := range figures {
		until := time.Now()
		if i+1 < len(figures) {
			until = figures[i+1].cutAt
		}
		figures[i].requests(trace.between(figures[i].cutAt, until), bound)
		t.Log(figures[i])
	}
	reportRow(row)
	reportCutOff(figures...)
	// An informer whose watch was on the replica cut off sees nothing from the cut to the heal.
	for i, inf := range run.Informers {
		t.Logf("informer %d: longest delay from a create to its event %s, %d relists", i, inf.LongestDelay(run.Ledger).Round(time.Millisecond), inf.Relists())
	}

	for _, f := range figures {
		if len(f.failedLate) > 0 {
			t.Errorf("cut of %s: %d requests failed that were sent after the replica had to be out of the Service (%s after the cut), e.g. %s",
				f.pod, len(f.failedLate), bound, f.failedLate[0])
		}
		if len(f.stalledLate) > 0 {
			t.Errorf("cut of %s: %d requests stalled (over %s) that were sent after the replica had to be out of the Service (%s after the cut), e.g. %s",
				f.pod, len(f.stalledLate), f.stall, bound, f.stalledLate[0])
		}
	}
}

// cutFigures is what one cut of one replica showed.
type cutFigures struct {
	pod, ip, veth string
	// conns is how many connections from the node (the aggregator's, a probe's) the replica had at the cut.
	conns         int
	cutAt, healAt time.Time
	// After the cut: the Pod's Ready condition False, its endpoint not ready in the EndpointSlice, its
	// address gone from kube-proxy's rules. After the heal: each back. Zero: not seen.
	unready, endpointOut, rulesOut time.Duration
	ready, endpointIn, rulesIn     time.Duration
	// stall is how long a request waiting across the heal must have taken to count as stalled: the readiness
	// probe's timeout (one sent a moment before the heal is no stalled one).
	stall time.Duration
	// restarted: the kubelet restarted its container meanwhile (the liveness probe failed too).
	restarted bool
	// Requests (each attempt of client-go) in flight at the cut or sent from it on: those that failed (an error or a 5xx) and
	// those that stalled; the longest of those; when the last affected one was sent (after it, every request
	// went to the other replica); and the affected ones sent after the bound, which must be none.
	sent, failed, stalled   int
	longest, lastAffected   time.Duration
	failedLate, stalledLate []string
}

func (f cutFigures) String() string {
	return fmt.Sprintf("cut of %s (%s, %s, %d connections from the node) for %s: not Ready after %s, out of the EndpointSlice after %s, out of kube-proxy's rules after %s; "+
		"%d requests in flight at the cut or sent after, %d failed, %d stalled over %s, the longest %s, the last affected one sent %s after the cut; "+
		"after the heal: Ready %s, in the EndpointSlice %s, in kube-proxy's rules %s later",
		f.pod, f.ip, f.veth, f.conns, f.healAt.Sub(f.cutAt).Round(time.Second), sec(f.unready), sec(f.endpointOut), sec(f.rulesOut),
		f.sent, f.failed, f.stalled, f.stall, sec(f.longest), sec(f.lastAffected), sec(f.ready), sec(f.endpointIn), sec(f.rulesIn))
}

func sec(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// requests fills the request figures from the attempts in flight at the cut or sent since.
func (f *cutFigures) requests(attempts []attempt, bound time.Duration) {
	for _, a := range attempts {
		if a.watch {
			continue
		}
		f.sent++
		took := a.end.Sub(a.start)
		failed := a.err != nil || a.code >= 500
		// Stalled: waiting across the heal, and longer than the kubelet lets a probe take.
		stalled := a.start.Before(f.healAt) && a.end.After(f.healAt) && took > f.stall
		if failed {
			f.failed++
		}
		if stalled {
			f.stalled++
		}
		if !failed && !stalled {
			continue
		}
		if took > f.longest {
			f.longest = took
		}
		if since := a.start.Sub(f.cutAt); since > f.lastAffected {
			f.lastAffected = since
		}
		// Sent after the replica had to be out of the Service: before the heal, or after it.
		if a.start.After(f.cutAt.Add(bound)) {
			if failed {
				f.failedLate = append(f.failedLate, a.String())
			} else {
				f.stalledLate = append(f.stalledLate, a.String())
			}
		}
	}
}

// cutBound is how long after a cut a replica is out of the Service at the latest: the kubelet's last
// successful probe may have ended just before the cut; the next starts within a period, and each failed one
// takes the timeout, failureThreshold of them in a row (a probe that times out delays the next one to its
// end); then the Pod's status is written, the EndpointSlice controller updates the slice and kube-proxy
// rewrites its rules, at most its minSyncPeriod (1 s) after the change, allowed 2 s in all.
func cutBound(p *corev1.Probe) time.Duration {
	return time.Duration(p.PeriodSeconds)*time.Second + probeFails(p) + 2*time.Second
}

// probeFails is how long a probe takes to fail failureThreshold times in a row from the start of the first
// failure, each failure a timeout.
func probeFails(p *corev1.Probe) time.Duration {
	period := time.Duration(p.PeriodSeconds) * time.Second
	timeout := time.Duration(p.TimeoutSeconds) * time.Second
	return time.Duration(p.FailureThreshold-1)*max(period, timeout) + timeout
}

// cutOff cuts one replica off for a while, watches the Pod, the EndpointSlice and kube-proxy's rules, heals
// it, and waits for it to serve again.
func cutOff(t *testing.T, core kubernetes.Interface, victim, survivor corev1.Pod, cut time.Duration, probe *corev1.Probe) cutFigures {
	t.Helper()
	ip := victim.Status.PodIP
	veth := hostVeth(t, victim.Name)
	bound := cutBound(probe)
	f := cutFigures{pod: victim.Name, ip: ip, veth: veth, stall: time.Duration(probe.TimeoutSeconds) * time.Second}
	watch := watchReplica(core, victim.Name, ip)
	defer watch.stop()

	f.conns = nodeConnections(t, ip)
	t.Logf("at the cut: %d connections to %s, %d to %s", f.conns, victim.Name, nodeConnections(t, survivor.Status.PodIP), survivor.Name)
	healed := false
	t.Cleanup(func() {
		if !healed {
			_ = exec.Command("ip", "link", "set", veth, "up").Run()
		}
	})
	f.cutAt = time.Now()
	setLink(t, veth, "down")
	time.Sleep(cut)
	f.healAt = time.Now()
	setLink(t, veth, "up")
	healed = true

	smoke.Eventually(t, 2*time.Minute, victim.Name+" Ready, in the EndpointSlice and in kube-proxy's rules again", func() bool {
		s := watch.now()
		return s.ready && s.endpoint && s.rules
	})
	f.unready, f.endpointOut, f.rulesOut = watch.firstFalse(f.cutAt, f.healAt)
	f.ready, f.endpointIn, f.rulesIn = watch.firstTrue(f.healAt)
	if f.endpointOut == 0 || f.endpointOut > bound {
		t.Errorf("%s left the EndpointSlice %s after the cut, want within %s (its readinessProbe)", victim.Name, sec(f.endpointOut), bound)
	}
	if f.rulesOut == 0 || f.rulesOut > bound {
		t.Errorf("%s left kube-proxy's rules %s after the cut, want within %s (its readinessProbe)", victim.Name, sec(f.rulesOut), bound)
	}
	if now := apiserverPod(t, core, victim.Name); podRestarts(now) != podRestarts(victim) {
		f.restarted = true
		// The liveness probe's last failure ends that long after the cut at the earliest.
		if earliest := probeFails(now.Spec.Containers[0].LivenessProbe); cut < earliest {
			t.Errorf("%s: its container was restarted during a cut of %s, shorter than its liveness probe allows (%s)", victim.Name, cut, earliest)
		}
	}
	servesDirectly(t, ip)
	servesDirectly(t, survivor.Status.PodIP)
	return f
}

// ---------------------------------------------------------------- the replica's state, as seen by the cluster

// replicaState is the cut replica as the cluster sees it at one moment.
type replicaState struct {
	at                     time.Time
	ready, endpoint, rules bool
}

// replicaWatch polls a replica's Ready condition, its endpoint's ready condition in the Service's
// EndpointSlices and its address in kube-proxy's NAT rules, every 200 ms.
type replicaWatch struct {
	mu     sync.Mutex
	states []replicaState
	cancel context.CancelFunc
	done   chan struct{}
}

func watchReplica(core kubernetes.Interface, pod, ip string) *replicaWatch {
	ctx, cancel := context.WithCancel(context.Background())
	w := &replicaWatch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			s := replicaState{at: time.Now()}
			if p, err := core.CoreV1().Pods("cnat-system").Get(ctx, pod, metav1.GetOptions{}); err == nil {
				s.ready = podReady(p)
			}
			if slices, err := core.DiscoveryV1().EndpointSlices("cnat-system").List(ctx, metav1.ListOptions{
				LabelSelector: "kubernetes.io/service-name=cnat-apiserver"}); err == nil {
				for _, slice := range slices.Items {
					for _, e := range slice.Endpoints {
						if len(e.Addresses) > 0 && e.Addresses[0] == ip && e.Conditions.Ready != nil && *e.Conditions.Ready {
							s.endpoint = true
						}
					}
				}
			}
			if out, err := exec.Command("iptables-save", "-t", "nat").Output(); err == nil {
				s.rules = strings.Contains(string(out), "--to-destination "+ip+":")
			}
			w.mu.Lock()
			w.states = append(w.states, s)
			w.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *replicaWatch) stop() { w.cancel(); <-w.done }

func (w *replicaWatch) now() replicaState {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.states) == 0 {
		return replicaState{}
	}
	return w.states[len(w.states)-1]
}

// firstFalse is how long after from each of ready, endpoint and rules was first seen false, before until.
func (w *replicaWatch) firstFalse(from, until time.Time) (ready, endpoint, rules time.Duration) {
	return w.first(from, until, false)
}

// firstTrue is how long after from each was first seen true again.
func (w *replicaWatch) firstTrue(from time.Time) (ready, endpoint, rules time.Duration) {
	return w.first(from, time.Now(), true)
}

func (w *replicaWatch) first(from, until time.Time, want bool) (ready, endpoint, rules time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.states {
		if s.at.Before(from) || s.at.After(until) {
			continue
		}
		if ready == 0 && s.ready == want {
			ready = s.at.Sub(from)
		}
		if endpoint == 0 && s.endpoint == want {
			endpoint = s.at.Sub(from)
		}
		if rules == 0 && s.rules == want {
			rules = s.at.Sub(from)
		}
	}
	return ready, endpoint, rules
}

// ---------------------------------------------------------------- the node's links

// hostVeth is the host side of the veth of a cnat-system Pod, found by the commands of docs/operations.md
// (those before the cut): the peer, on the bridge cnat0, of eth0 in the Pod's network namespace (one of the
// CNI plugins', cni-*). Nothing but a link of the node's bridge is ever cut.
func hostVeth(t *testing.T, pod string) string {
	t.Helper()
	block := strings.ReplaceAll(docBlock(t, "docs/operations.md", "How the test cuts"), "<pod>", pod)
	find, _, ok := strings.Cut(block, "ip link set")
	if !ok {
		t.Fatalf("docs/operations.md: no ip link set after finding the veth:\n%s", block)
	}
	veth := strings.TrimSpace(runDoc(t, t.TempDir(), find+`echo "$veth"`))
	if out, err := exec.Command("ip", "-o", "link", "show", "dev", veth).Output(); err != nil || !strings.Contains(string(out), " master cnat0 ") {
		t.Fatalf("the docs' commands found %q for %s, not a link of the bridge cnat0: %v %s", veth, pod, err, out)
	}
	return veth
}

// podNetns is the network namespace (one of the CNI plugins', cni-*) whose eth0 has address ip.
func podNetns(t *testing.T, ip string) string {
	t.Helper()
	namespaces, _ := filepath.Glob("/run/netns/cni-*")
	for _, path := range namespaces {
		ns := filepath.Base(path)
		addr, err := exec.Command("ip", "-n", ns, "-o", "-4", "addr", "show", "dev", "eth0").Output()
		if err == nil && strings.Contains(string(addr), " "+ip+"/") {
			return ns
		}
	}
	t.Fatalf("no network namespace of the node holds %s", ip)
	return ""
}

// nodeConnections counts the TCP connections established to port 8443 of the Pod with address ip, in the
// Pod's network namespace: all from the node (kube-apiserver's aggregator, a probe of the kubelet), as no
// Pod talks to cnat-apiserver but through kube-apiserver.
func nodeConnections(t *testing.T, ip string) int {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", podNetns(t, ip), "ss", "-Htn", "state", "established",
		"( sport = :8443 )").Output()
	if err != nil {
		t.Fatalf("ss in the Pod's namespace: %v", err)
	}
	return strings.Count(string(out), "\n")
}

// setLink sets a link of the node's bridge up or down.
func setLink(t *testing.T, veth, state string) {
	t.Helper()
	if out, err := exec.Command("ip", "link", "set", veth, state).CombinedOutput(); err != nil {
		t.Fatalf("ip link set %s %s: %v: %s", veth, state, err, out)
	}
}

// ---------------------------------------------------------------- the replicas

func coreClient(t *testing.T) kubernetes.Interface {
	t.Helper()
	config, err := adminConfig()
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(config)
}

// apiserverPods are the two cnat-apiserver Pods, both Ready, by name.
func apiserverPods(t *testing.T, core kubernetes.Interface) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	smoke.Eventually(t, 2*time.Minute, "two cnat-apiserver Pods Ready", func() bool {
		list, err := core.CoreV1().Pods("cnat-system").List(context.Background(), metav1.ListOptions{
			LabelSelector: "app.kubernetes.io/name=cnat-apiserver"})
		if err != nil || len(list.Items) != 2 {
			return false
		}
		pods = list.Items
		return podReady(&pods[0]) && podReady(&pods[1])
	})
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	return pods
}

func apiserverPod(t *testing.T, core kubernetes.Interface, name string) corev1.Pod {
	t.Helper()
	p, err := core.CoreV1().Pods("cnat-system").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return *p
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func podRestarts(p corev1.Pod) int32 {
	var n int32
	for _, s := range p.Status.ContainerStatuses {
		n += s.RestartCount
	}
	return n
}

// readinessProbe is cnat-apiserver's readiness probe, as installed.
func readinessProbe(t *testing.T, core kubernetes.Interface) *corev1.Probe {
	t.Helper()
	d, err := core.AppsV1().Deployments("cnat-system").Get(context.Background(), "cnat-apiserver", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := d.Spec.Template.Spec.Containers[0].ReadinessProbe
	if p == nil {
		t.Fatal("cnat-apiserver has no readinessProbe")
	}
	return p
}

// servesDirectly lists Ats from a replica at its Pod's address, bypassing the Service and the aggregator, as
// the aggregator does: with the front-proxy client certificate and the user in X-Remote-User.
func servesDirectly(t *testing.T, ip string) {
	t.Helper()
	pki := filepath.Join(runDir, "pki")
	cert, err := tls.LoadX509KeyPair(filepath.Join(pki, "front-proxy-client.crt"), filepath.Join(pki, "front-proxy-client.key"))
	if err != nil {
		t.Fatal(err)
	}
	// The serving CA of hack/deploy-certs.sh: the APIService's caBundle.
	bundle, err := base64.StdEncoding.DecodeString(kubectl.Run(t, "", "get", "apiservice", "v1beta1.cnat.programming-kubernetes.info",
		"-o", "jsonpath={.spec.caBundle}"))
	roots := x509.NewCertPool()
	if err != nil || !roots.AppendCertsFromPEM(bundle) {
		t.Fatalf("the APIService's caBundle holds no certificate: %v", err)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		Certificates: []tls.Certificate{cert}, RootCAs: roots, ServerName: "cnat-apiserver.cnat-system.svc"}}}
	defer client.CloseIdleConnections()
	url := "https://" + ip + ":8443/apis/cnat.programming-kubernetes.info/v1beta1/ats?limit=1"
	smoke.Eventually(t, time.Minute, "the replica at "+ip+" serves a list of Ats", func() bool {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("X-Remote-User", "cnat-node-test")
		req.Header.Set("X-Remote-Group", "system:masters")
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// ---------------------------------------------------------------- the requests, as client-go sent them

// attempt is one HTTP request of client-go (each retry is one more): when it was sent and answered, and how.
type attempt struct {
	start, end time.Time
	method     string
	path       string
	watch      bool
	code       int
	err        error
}

func (a attempt) String() string {
	outcome := fmt.Sprint(a.code)
	if a.err != nil {
		outcome = a.err.Error()
	}
	return fmt.Sprintf("%s %s sent %s, answered after %s: %s", a.method, a.path, a.start.Format("15:04:05.000"),
		a.end.Sub(a.start).Round(time.Millisecond), outcome)
}

// requestTrace records every request of a clientset.
type requestTrace struct {
	mu       sync.Mutex
	attempts []attempt
}

func (r *requestTrace) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		a := attempt{start: time.Now(), method: req.Method, path: req.URL.Path, watch: req.URL.Query().Get("watch") == "true"}
		resp, err := rt.RoundTrip(req)
		a.end, a.err = time.Now(), err
		if resp != nil {
			a.code = resp.StatusCode
		}
		r.mu.Lock()
		r.attempts = append(r.attempts, a)
		r.mu.Unlock()
		return resp, err
	})
}

// between returns the attempts in flight at from or sent after it, and answered by until: those still in
// flight then belong to what comes at until (the next cut).
func (r *requestTrace) between(from, until time.Time) []attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []attempt
	for _, a := range r.attempts {
		if a.end.After(from) && !a.end.After(until) {
			out = append(out, a)
		}
	}
	return out
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// ---------------------------------------------------------------- the table

var (
	cutRowsMu sync.Mutex
	cutRows   []cutFigures
)

// reportCutOff adds cuts to the table TestMain prints at the end.
func reportCutOff(f ...cutFigures) {
	cutRowsMu.Lock()
	defer cutRowsMu.Unlock()
	cutRows = append(cutRows, f...)
}

// printCutTable writes the cuts' figures as a table.
func printCutTable(w *strings.Builder) {
	cutRowsMu.Lock()
	defer cutRowsMu.Unlock()
	if len(cutRows) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "replica cut off\tconns\tcut s\tnot ready s\tendpoint out s\trules out s\tsent\tfailed\tstalled\tlongest s\tlast affected sent s\trestarted\tready again s\t")
	for _, f := range cutRows {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%t\t%s\t\n", f.pod, f.conns, f.healAt.Sub(f.cutAt).Seconds(), num(f.unready),
			num(f.endpointOut), num(f.rulesOut), f.sent, f.failed, f.stalled, num(f.longest), num(f.lastAffected), f.restarted, num(f.ready))
	}
	_ = tw.Flush()
}

func num(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", d.Seconds())
}
