package reliability

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/controller"
	cnatv1beta1 "github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/typed/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/test/internal/auditevents"
	"github.com/programming-kubernetes/cnat/test/internal/gobuild"
	"github.com/programming-kubernetes/cnat/test/internal/partition"
	"github.com/programming-kubernetes/cnat/test/internal/pki"
	"github.com/programming-kubernetes/cnat/test/internal/process"
)

// Leader election of the fenced controller's replicas: short, so that a failover fits a short test. The
// leader gives up (renew deadline after its last renewal, cnat-controller's own watchdog) before the others
// may take the Lease (lease duration after they saw that renewal); the 3 s between the two is what a leader
// process on a starved machine may fall behind its timers without acting after the takeover.
const (
	fenceLeaseDuration = 6 * time.Second
	fenceRenewDeadline = 3 * time.Second
	fenceRetryPeriod   = 500 * time.Millisecond

	// An At falls due every fenceAtEvery, each created fenceAtLead before its schedule (schedules have whole
	// seconds: four fall due each second).
	fenceAtEvery = 250 * time.Millisecond
	fenceAtLead  = 2 * time.Second

	fenceRestartDelay = fenceLeaseDuration + 4*fenceRetryPeriod

	// fenceGroup is the replicas' group (their certificates' O), bound to the controller's RBAC; only its
	// requests are audited (fenceAuditPolicy).
	fenceGroup = "fence-controllers"
)

const fenceAuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  userGroups: ["` + fenceGroup + `"]
- level: None
`

func (cp *controlPlane) auditPolicy() string {
	return filepath.Join(cp.runDir, "fence-audit-policy.yaml")
}
func (cp *controlPlane) auditLog() string {
	return filepath.Join(cp.runDir, "kube-apiserver-audit.log")
}

// TestFencedLeaderCutOff cuts the controller's leader off from kube-apiserver (its network link down; the
// process runs on) while an At falls due every 250 ms: the other replica takes the Lease, the old leader
// writes nothing after that (kube-apiserver's audit log says who wrote what), also once the link is up
// again, and every At gets exactly one Pod.
func TestFencedLeaderCutOff(t *testing.T) {
	s := newFenceScenario(t, "fence-cut")
	s.run("leader cut off from kube-apiserver", func() {
		if err := s.replicas[0].link.Cut(); err != nil {
			t.Fatal(err)
		}
	}, func() {
		if err := s.replicas[0].link.Heal(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestFencedLeaderKilled kills the leader (kill -9) under the same stream of due Ats: the other replica takes
// over within the lease duration (+ retry period), every At gets exactly one Pod.
func TestFencedLeaderKilled(t *testing.T) {
	s := newFenceScenario(t, "fence-kill")
	s.run("kill -9 of the leader", func() { s.replicas[0].kill() }, nil)
}

type fenceScenario struct {
	t         *testing.T
	ns, lease string
	dir       string
	kube      kubernetes.Interface
	replicas  []*fenceReplica

	mu  sync.Mutex
	ats map[string]time.Time // At name → schedule
}

// fenceReplica is one cnat-controller replica in its own network namespace, started again when it exits
// (as its Deployment would).
type fenceReplica struct {
	t      *testing.T
	name   string
	link   *partition.Link
	args   []string
	logDir string

	mu      sync.Mutex
	proc    *process.Process
	exits   []time.Time
	starts  int
	stopped bool
}

var (
	controllerBinOnce sync.Once
	controllerBin     string
	controllerBinErr  error
)

func cnatControllerBinary(t *testing.T) string {
	t.Helper()
	controllerBinOnce.Do(func() {
		dir := filepath.Join(env.runDir, "bin")
		controllerBinErr = gobuild.Build(dir, "./cmd/cnat-controller")
		controllerBin = filepath.Join(dir, "cnat-controller")
	})
	if controllerBinErr != nil {
		t.Fatalf("building cnat-controller: %v", controllerBinErr)
	}
	return controllerBin
}

// newFenceScenario starts a cnat-apiserver (one etcd member) registered with kube-apiserver, and two
// controller replicas, each in its network namespace with a client certificate of its own (CN fence-a,
// fence-b) bound to the controller's RBAC; fence-a leads the Lease cnat-system/<lease>.
func newFenceScenario(t *testing.T, lease string) *fenceScenario {
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root: it creates network namespaces and veth pairs (ip netns, ip link)")
	}
	bin := cnatControllerBinary(t)
	d := newDeployment(t, 1)
	d.waitReady(d.start("a"))
	d.register()
	s := &fenceScenario{t: t, ns: namespace(t), lease: lease, dir: d.dir, ats: map[string]time.Time{}}
	// Without kube-controller-manager nothing creates the namespace's default ServiceAccount, and the
	// ServiceAccount admission refuses Pods without it.
	if out, err := env.kubectl("", "create", "serviceaccount", "default", "-n", s.ns); err != nil {
		t.Fatal(out, err)
	}
	config, err := clientcmd.BuildConfigFromFlags("", env.vars["KUBECONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	s.kube = kubernetes.NewForConfigOrDie(config)
	if out, err := env.kubectl("", "apply", "-f", filepath.Join(env.root, "artifacts/deploy/controller/rbac.yaml")); err != nil {
		t.Fatal(out, err)
	}
	if out, err := env.kubectl(fenceRBAC, "apply", "-f", "-"); err != nil {
		t.Fatal(out, err)
	}
	apiserver, err := url.Parse(env.vars["CP_APISERVER_URL"])
	if err != nil {
		t.Fatal(err)
	}
	ca, err := pki.LoadCA(env.vars["CP_CA_CERT"], env.vars["CP_CA_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"fence-a", "fence-b"} {
		link := partition.New(t, name, i+1)
		forward := partition.Forward(t, link.HostIP, apiserver.Host)
		pair, err := ca.Issue(filepath.Join(s.dir, "pki"), name, name, []string{fenceGroup}, pki.Client)
		if err != nil {
			t.Fatal(err)
		}
		kubeconfig := filepath.Join(s.dir, name+".kubeconfig")
		if err := os.WriteFile(kubeconfig, []byte(fmt.Sprintf(fenceKubeconfig, forward, env.vars["CP_CA_CERT"], pair.CertFile, pair.KeyFile)), 0o600); err != nil {
			t.Fatal(err)
		}
		r := &fenceReplica{t: t, name: name, link: link, logDir: filepath.Join(s.dir, "logs"), args: []string{
			"--kubeconfig", kubeconfig, "--bind-address", "127.0.0.1:8080", "-v", "2",
			"--leader-elect-resource-name", lease,
			"--leader-elect-lease-duration", fenceLeaseDuration.String(),
			"--leader-elect-renew-deadline", fenceRenewDeadline.String(),
			"--leader-elect-retry-period", fenceRetryPeriod.String(),
		}}
		t.Cleanup(r.stop)
		r.start(bin)
		s.replicas = append(s.replicas, r)
		if i == 0 {
			s.waitForHolder(name, 60*time.Second)
		}
	}
	return s
}

// The kubeconfig of a replica: kube-apiserver through the forwarder on the host end of its link, its
// serving certificate checked for the name localhost (one of its SANs).
const fenceKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://%s
    certificate-authority: %s
    tls-server-name: localhost
users:
- name: replica
  user:
    client-certificate: %s
    client-key: %s
contexts:
- name: local
  context: {cluster: local, user: replica}
current-context: local
`

// fenceRBAC gives the replicas' group what the controller's ServiceAccount has.
const fenceRBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ` + fenceGroup + `}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cnat-controller}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: ` + fenceGroup + `}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ` + fenceGroup + `, namespace: cnat-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cnat-controller-leader-election}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: ` + fenceGroup + `}]
`

func (r *fenceReplica) start(bin string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	// A new identity for each start, as the default (hostname_uuid) is: a restarted replica does not
	// resume the Lease of the process before it.
	r.starts++
	identity := fmt.Sprintf("%s_%d", r.name, r.starts)
	name, args := r.link.Command(bin, append(slices.Clone(r.args), "--leader-elect-identity", identity)...)
	proc, err := process.Start(r.name, r.logDir, name, args...)
	if err != nil {
		r.t.Errorf("starting %s: %v", r.name, err)
		return
	}
	r.proc = proc
	go func() {
		<-proc.Done()
		r.mu.Lock()
		r.exits = append(r.exits, time.Now())
		stopped := r.stopped
		r.mu.Unlock()
		if !stopped {
			// Started again once the other replica had the time to take the Lease over: otherwise either
			// may win it, and the audit log, which tells replicas by their certificate, could not tell the
			// old leader from a restarted one that won.
			r.t.Logf("%s: %s exited (%v); starting it again in %s", time.Now().Format("15:04:05.000"), r.name, proc.Err(), fenceRestartDelay)
			time.Sleep(fenceRestartDelay)
			r.start(bin)
		}
	}()
}

func (r *fenceReplica) kill() {
	r.mu.Lock()
	proc := r.proc
	r.mu.Unlock()
	r.t.Logf("%s: kill -9 of %s", time.Now().Format("15:04:05.000"), r.name)
	proc.Kill()
}

func (r *fenceReplica) stop() {
	r.mu.Lock()
	r.stopped = true
	proc := r.proc
	r.mu.Unlock()
	if proc != nil && proc.Running() {
		proc.Kill()
	}
}

func (r *fenceReplica) exitsAfter(when time.Time) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(r.exits), func(e time.Time) bool { return e.Before(when) })
}

// holder is the Lease's holder as kube-apiserver has it ("" when unknown).
func (s *fenceScenario) holder() string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	lease, err := s.kube.CoordinationV1().Leases("cnat-system").Get(ctx, s.lease, metav1.GetOptions{})
	if err != nil || lease.Spec.HolderIdentity == nil {
		return ""
	}
	return *lease.Spec.HolderIdentity
}

func (s *fenceScenario) waitForHolder(identity string, within time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for !strings.HasPrefix(s.holder(), identity+"_") {
		if time.Now().After(deadline) {
			s.t.Fatalf("%s did not hold the Lease %s within %s (holder %q)", identity, s.lease, within, s.holder())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stream creates an At due every fenceAtEvery until stop is closed.
func (s *fenceScenario) stream(ats cnatv1beta1.AtInterface, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	ticker := time.NewTicker(fenceAtEvery)
	defer ticker.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-ticker.C:
		}
		at := &v1beta1.At{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("at-%05d", i)},
			Spec: v1beta1.AtSpec{Schedule: metav1.NewTime(time.Now().Add(fenceAtLead)), Image: "busybox:1.36",
				Command: []string{"true"}},
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		created, err := ats.Create(ctx, at, metav1.CreateOptions{})
		cancel()
		if err != nil {
			s.t.Errorf("creating At %s: %v", at.Name, err)
			continue
		}
		s.mu.Lock()
		s.ats[created.Name] = created.Spec.Schedule.Time
		s.mu.Unlock()
	}
}

// run: the stream of due Ats, fault (at which fence-a leads), fence-b takes over, heal (if any) while Ats
// still fall due, then every At's Pod counted and kube-apiserver's audit log read.
func (s *fenceScenario) run(scenario string, fault, heal func()) {
	t := s.t
	begin := time.Now()
	stop, done := make(chan struct{}), make(chan struct{})
	go s.stream(client(t).CnatV1beta1().Ats(s.ns), stop, done)
	defer func() {
		select {
		case <-done:
		default:
			close(stop)
			<-done
		}
	}()
	time.Sleep(phase(6*time.Second, 30*time.Second))

	faultAt := time.Now()
	t.Logf("%s: %s (fence-a leads)", faultAt.Format("15:04:05.000"), scenario)
	fault()
	s.waitForHolder("fence-b", fenceLeaseDuration+10*fenceRetryPeriod+10*time.Second)
	t.Logf("%s: fence-b holds the Lease", time.Now().Format("15:04:05.000"))
	time.Sleep(phase(4*time.Second, 20*time.Second))
	var healAt time.Time
	if heal != nil {
		healAt = time.Now()
		heal()
		t.Logf("%s: healed", healAt.Format("15:04:05.000"))
	}
	time.Sleep(phase(8*time.Second, 30*time.Second))
	close(stop)
	<-done

	// Every At created is due within fenceAtLead; its Pod follows.
	s.mu.Lock()
	ats := s.ats
	s.mu.Unlock()
	podsOf := s.waitForPods(len(ats), fenceAtLead+20*time.Second)
	time.Sleep(time.Second) // the last audit events written

	events, err := auditevents.ReadLog(env.auditLog())
	if err != nil {
		t.Fatal(err)
	}
	f := s.figures(scenario, events, ats, podsOf, begin, faultAt, healAt)
	reportFence(t, f)

	if f.missed > 0 || f.duplicates > 0 {
		t.Errorf("%d Ats without a Pod, %d with more than one, want 0 and 0", f.missed, f.duplicates)
	}
	if f.takeover <= 0 {
		t.Errorf("no Lease write by fence-b after the fault in kube-apiserver's audit log")
	} else if bound := fenceLeaseDuration + 3*fenceRetryPeriod + time.Second; f.takeover > bound {
		t.Errorf("fence-b took over %s after the fault, want within the lease duration and retry periods (%s)", f.takeover, bound)
	}
	for _, w := range f.oldLeaderWrites {
		t.Errorf("fence-a wrote after fence-b took the Lease: %s", w)
	}
	if heal != nil && len(s.replicas[0].exitsAfter(faultAt)) == 0 {
		t.Errorf("fence-a did not exit on losing the Lease")
	}
}

// waitForPods waits until n Ats have a Pod, and returns the Pods' names by At.
func (s *fenceScenario) waitForPods(n int, within time.Duration) map[string][]string {
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		pods, err := s.kube.CoreV1().Pods(s.ns).List(ctx, metav1.ListOptions{LabelSelector: controller.AtLabel})
		cancel()
		podsOf := map[string][]string{}
		if err == nil {
			for _, p := range pods.Items {
				at := p.Labels[controller.AtLabel]
				podsOf[at] = append(podsOf[at], p.Name)
			}
		}
		if len(podsOf) >= n || time.Now().After(deadline) {
			return podsOf
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type fenceFigures struct {
	scenario             string
	ats, missed          int
	duplicates           int
	takeover, gap        time.Duration // from the fault: Lease taken by fence-b; its first Pod
	lagBefore, lagDuring []time.Duration
	lagAfter             []time.Duration
	// oldLeaderWrites are the writes (any verb but get, list, watch, any answer) of fence-a that
	// kube-apiserver received after the takeover; oldLeaderRequests counts its requests of any kind then
	// (the restarted replica reads the Lease as a candidate).
	oldLeaderWrites   []string
	oldLeaderRequests int
}

func succeeded(e auditv1.Event) bool {
	return e.Stage == auditv1.StageResponseComplete && e.ResponseStatus != nil && e.ResponseStatus.Code < 300
}

// figures reads kube-apiserver's audit events of this scenario: the Pods created (by whom, when), the status
// writes, the Lease writes.
func (s *fenceScenario) figures(scenario string, events []auditv1.Event, ats map[string]time.Time, podsOf map[string][]string, begin, faultAt, healAt time.Time) fenceFigures {
	f := fenceFigures{scenario: scenario, ats: len(ats)}
	for name := range ats {
		switch n := len(podsOf[name]); {
		case n == 0:
			f.missed++
		case n > 1:
			f.duplicates++
		}
	}
	var takeoverAt time.Time
	var ours []auditv1.Event
	for _, e := range events {
		if e.ObjectRef == nil || e.RequestReceivedTimestamp.Time.Before(begin) {
			continue
		}
		if e.ObjectRef.Resource == "leases" && e.ObjectRef.Name == s.lease {
			if takeoverAt.IsZero() && e.User.Username == "fence-b" && succeeded(e) && (e.Verb == "update" || e.Verb == "create") &&
				e.RequestReceivedTimestamp.After(faultAt) {
				takeoverAt = e.RequestReceivedTimestamp.Time
			}
			ours = append(ours, e)
		} else if e.ObjectRef.Namespace == s.ns {
			ours = append(ours, e)
		}
	}
	if takeoverAt.IsZero() {
		return f
	}
	f.takeover = takeoverAt.Sub(faultAt)

	atOfPod := map[string]string{}
	for at, pods := range podsOf {
		for _, p := range pods {
			atOfPod[p] = at
		}
	}
	var firstNewPod time.Time
	createdAt := map[string]time.Time{}
	for _, e := range ours {
		// Any write that reaches kube-apiserver from fence-a after the takeover counts, whatever the answer:
		// kube-apiserver received it, so it may have been applied (a Pod create answered 504 because the
		// client had gone may still have been stored). Reads (the restarted replica's Lease gets) do not.
		if e.User.Username == "fence-a" && !e.RequestReceivedTimestamp.Time.Before(takeoverAt) {
			f.oldLeaderRequests++
			if !slices.Contains([]string{"get", "list", "watch"}, e.Verb) {
				code := int32(0)
				if e.ResponseStatus != nil {
					code = e.ResponseStatus.Code
				}
				f.oldLeaderWrites = append(f.oldLeaderWrites, fmt.Sprintf("%s %s %s/%s received at %s, answered %d (the takeover at %s, heal at %s)",
					e.Verb, e.ObjectRef.Resource, e.ObjectRef.Namespace, e.ObjectRef.Name,
					e.RequestReceivedTimestamp.Format("15:04:05.000"), code, takeoverAt.Format("15:04:05.000"), clockOrNone(healAt)))
			}
		}
		if succeeded(e) && e.ObjectRef.Resource == "pods" && e.Verb == "create" {
			if at, ok := atOfPod[e.ObjectRef.Name]; ok {
				createdAt[at] = e.StageTimestamp.Time
			}
			if e.User.Username == "fence-b" && firstNewPod.IsZero() && e.RequestReceivedTimestamp.After(faultAt) {
				firstNewPod = e.StageTimestamp.Time
			}
		}
	}
	if !firstNewPod.IsZero() {
		f.gap = firstNewPod.Sub(faultAt)
	}
	for at, schedule := range ats {
		created, ok := createdAt[at]
		if !ok {
			continue
		}
		lag := created.Sub(schedule)
		switch {
		case schedule.Before(faultAt):
			f.lagBefore = append(f.lagBefore, lag)
		case firstNewPod.IsZero() || !schedule.After(firstNewPod):
			f.lagDuring = append(f.lagDuring, lag)
		default:
			f.lagAfter = append(f.lagAfter, lag)
		}
	}
	return f
}

func clockOrNone(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.Format("15:04:05.000")
}

var (
	fenceRowsMu sync.Mutex
	fenceRows   []fenceFigures
)

func reportFence(t *testing.T, f fenceFigures) {
	t.Logf("%s: %d Ats, %d missed, %d duplicate Pods; takeover %s, failover gap %s; lag p50/p99/max before %s, during %s, after %s; fence-a after the takeover: %d requests, %d writes",
		f.scenario, f.ats, f.missed, f.duplicates, f.takeover.Round(time.Millisecond), f.gap.Round(time.Millisecond),
		lagSummary(f.lagBefore), lagSummary(f.lagDuring), lagSummary(f.lagAfter), f.oldLeaderRequests, len(f.oldLeaderWrites))
	fenceRowsMu.Lock()
	defer fenceRowsMu.Unlock()
	fenceRows = append(fenceRows, f)
}

// lagSummary is p50/p99/max of the lags (Pod created − schedule).
func lagSummary(lags []time.Duration) string {
	if len(lags) == 0 {
		return "-"
	}
	sorted := slices.Clone(lags)
	slices.Sort(sorted)
	at := func(q float64) time.Duration {
		return sorted[max(0, int(math.Ceil(q*float64(len(sorted))))-1)].Round(10 * time.Millisecond)
	}
	return fmt.Sprintf("%s/%s/%s (%d)", at(0.5), at(0.99), sorted[len(sorted)-1].Round(10*time.Millisecond), len(sorted))
}

// printFenceTable writes the fenced controller's figures, a line per scenario.
func printFenceTable() string {
	fenceRowsMu.Lock()
	defer fenceRowsMu.Unlock()
	if len(fenceRows) == 0 {
		return ""
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "controller failover\tAts\tmissed\tduplicate\ttakeover\tgap\tlag p50/p99/max (n) before\tduring\tafter\told leader's writes after takeover (any answer)")
	for _, f := range fenceRows {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%d\n", f.scenario, f.ats, f.missed, f.duplicates,
			f.takeover.Round(10*time.Millisecond), f.gap.Round(10*time.Millisecond),
			lagSummary(f.lagBefore), lagSummary(f.lagDuring), lagSummary(f.lagAfter), len(f.oldLeaderWrites))
	}
	_ = w.Flush()
	return b.String()
}
