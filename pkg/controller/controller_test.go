package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	kubeinformers "k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/testutil"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	atfake "github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned/fake"
	atinformers "github.com/programming-kubernetes/cnat/pkg/generated/informers/externalversions"
)

var now = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	t          *testing.T
	atClient   *atfake.Clientset
	kubeClient *kubefake.Clientset
	ats        atinformers.SharedInformerFactory
	pods       kubeinformers.SharedInformerFactory
	clock      *clocktesting.FakeClock
	registry   metrics.KubeRegistry
	recorder   *record.FakeRecorder
	c          *Controller
}

// newFixture makes a controller over fake clients whose caches hold exactly the given objects: tests fill
// the caches themselves instead of running informers, so each sync sees a known state.
func newFixture(t *testing.T, ats []*v1beta1.At, pods []*corev1.Pod) *fixture {
	f := &fixture{t: t, clock: clocktesting.NewFakeClock(now), registry: metrics.NewKubeRegistry(),
		recorder: record.NewFakeRecorder(100)}
	var atObjects, podObjects []runtime.Object
	for _, a := range ats {
		atObjects = append(atObjects, a)
	}
	for _, p := range pods {
		podObjects = append(podObjects, p)
	}
	f.atClient = atfake.NewSimpleClientset(atObjects...)
	f.kubeClient = kubefake.NewSimpleClientset(podObjects...)
	f.ats = atinformers.NewSharedInformerFactory(f.atClient, 0)
	f.pods = kubeinformers.NewSharedInformerFactory(f.kubeClient, 0)
	c, err := New(f.atClient, f.kubeClient, f.ats.Cnat().V1beta1().Ats(), f.pods.Core().V1().Pods(), NewMetrics(f.registry.MustRegister), f.clock)
	if err != nil {
		t.Fatal(err)
	}
	c.recorder = f.recorder
	// The caches hold what the informers' transform keeps, as in cnat-controller: every test runs on it.
	for _, a := range ats {
		_ = f.ats.Cnat().V1beta1().Ats().Informer().GetIndexer().Add(mustTrim(t, a.DeepCopy()))
	}
	for _, p := range pods {
		_ = f.pods.Core().V1().Pods().Informer().GetIndexer().Add(mustTrim(t, p.DeepCopy()))
	}
	f.c = c
	t.Cleanup(c.queue.ShutDown)
	return f
}

func newAt(name string, schedule time.Time, phase v1beta1.AtPhase) *v1beta1.At {
	return &v1beta1.At{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("uid-" + name), Generation: 1},
		Spec: v1beta1.AtSpec{
			Schedule: metav1.NewTime(schedule),
			Command:  []string{"echo", "a b"},
			Image:    "alpine:3.20",
		},
		Status: v1beta1.AtStatus{Phase: phase},
	}
}

func (f *fixture) sync(key string) time.Duration {
	f.t.Helper()
	wait, err := f.c.sync(context.Background(), key)
	if err != nil {
		f.t.Fatalf("sync %s: %v", key, err)
	}
	return wait
}

func (f *fixture) at(name string) *v1beta1.At {
	f.t.Helper()
	at, err := f.atClient.CnatV1beta1().Ats("ns").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return at
}

func (f *fixture) podList() []corev1.Pod {
	f.t.Helper()
	list, err := f.kubeClient.CoreV1().Pods("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return list.Items
}

func runningWith(at *v1beta1.At, pod *corev1.Pod) *v1beta1.At {
	at = at.DeepCopy()
	at.Status.Phase = v1beta1.AtRunning
	at.Status.PodName = pod.Name
	start := metav1.NewTime(now)
	at.Status.StartTime = &start
	return at
}

func TestUntilDue(t *testing.T) {
	at := newAt("a", now.Add(90*time.Second), v1beta1.AtPending)
	if got := untilDue(at, now); got != 90*time.Second {
		t.Errorf("due in %v, want 90s", got)
	}
	if got := untilDue(at, now.Add(2*time.Minute)); got > 0 {
		t.Errorf("past schedule: due in %v, want now (≤ 0)", got)
	}
}

func TestPendingBeforeScheduleWaits(t *testing.T) {
	f := newFixture(t, []*v1beta1.At{newAt("later", now.Add(time.Hour), v1beta1.AtPending)}, nil)
	if wait := f.sync("ns/later"); wait != time.Hour {
		t.Errorf("requeue after %v, want 1h", wait)
	}
	if pods := f.podList(); len(pods) != 0 {
		t.Errorf("created %d Pods before the schedule", len(pods))
	}
	if phase := f.at("later").Status.Phase; phase != v1beta1.AtPending {
		t.Errorf("phase %s, want Pending", phase)
	}
}

func TestDueAtGetsItsPodAndRuns(t *testing.T) {
	at := newAt("due", now.Add(-2*time.Second), v1beta1.AtPending)
	f := newFixture(t, []*v1beta1.At{at}, nil)
	if wait := f.sync("ns/due"); wait != 0 {
		t.Errorf("requeue after %v for a due At", wait)
	}
	pods := f.podList()
	if len(pods) != 1 {
		t.Fatalf("%d Pods, want 1", len(pods))
	}
	pod := pods[0]
	owner := metav1.GetControllerOf(&pod)
	if owner == nil || owner.UID != at.UID || owner.Kind != "At" || owner.APIVersion != v1beta1.SchemeGroupVersion.String() ||
		owner.BlockOwnerDeletion == nil || !*owner.BlockOwnerDeletion {
		t.Errorf("owner reference %+v", owner)
	}
	if !strings.HasPrefix(pod.Name, "due-") || len(pod.Name) != len("due-")+5 || pod.Labels[AtLabel] != "due" {
		t.Errorf("pod name %q labels %v", pod.Name, pod.Labels)
	}
	if c := pod.Spec.Containers; len(c) != 1 || c[0].Image != "alpine:3.20" || strings.Join(c[0].Command, "|") != "echo|a b" ||
		pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("pod spec %+v", pod.Spec)
	}

	// The first pass only creates the Pod and queues the At again: its second pass comes behind every At
	// already due, so that a burst has all its Pods made before any status write.
	if got := f.at("due"); got.Status.Phase != v1beta1.AtPending || len(f.recorder.Events) != 0 {
		t.Errorf("after the Pod's creation: status %+v, %d events; want Pending and none", got.Status, len(f.recorder.Events))
	}
	if n := f.c.queue.Len(); n != 1 {
		t.Errorf("queue holds %d keys, want the At queued again for its status", n)
	}
	// The second pass writes the status without waiting for the Pod cache: with the Pod its create returned.
	if wait := f.sync("ns/due"); wait != 0 {
		t.Errorf("requeue after %v for a due At", wait)
	}
	if pods := f.podList(); len(pods) != 1 {
		t.Fatalf("%d Pods after the second pass, want 1", len(pods))
	}

	got := f.at("due")
	started := meta.FindStatusCondition(got.Status.Conditions, ConditionStarted)
	if got.Status.Phase != v1beta1.AtRunning || got.Status.PodName != pod.Name || got.Status.StartTime == nil ||
		got.Status.ObservedGeneration != 1 || started == nil || started.Status != metav1.ConditionTrue || started.Reason != ReasonPodCreated {
		t.Errorf("status %+v", got.Status)
	}
	expectEvent(t, f.recorder, "Normal PodCreated")
	if err := testutil.GatherAndCompare(f.registry, strings.NewReader(`
# HELP cnat_controller_ats_started_total [ALPHA] Ats whose Pod the controller created.
# TYPE cnat_controller_ats_started_total counter
cnat_controller_ats_started_total 1
`), "cnat_controller_ats_started_total"); err != nil {
		t.Error(err)
	}
}

// TestPodsFirst: Ats due together get all their Pods before the first status write: each first pass queues
// its At again behind the others.
func TestPodsFirst(t *testing.T) {
	a, b := newAt("a", now.Add(-time.Second), v1beta1.AtPending), newAt("b", now.Add(-time.Second), v1beta1.AtPending)
	f := newFixture(t, []*v1beta1.At{a, b}, nil)
	f.c.queue.Add("ns/a")
	f.c.queue.Add("ns/b")
	f.c.processNextItem(context.Background())
	f.c.processNextItem(context.Background())
	if pods := f.podList(); len(pods) != 2 || f.at("a").Status.Phase != v1beta1.AtPending || f.at("b").Status.Phase != v1beta1.AtPending {
		t.Fatalf("after two passes: %d Pods, phases %q %q; want both Pods and both Ats still Pending", len(pods), f.at("a").Status.Phase, f.at("b").Status.Phase)
	}
	f.c.processNextItem(context.Background())
	f.c.processNextItem(context.Background())
	for _, name := range []string{"a", "b"} {
		if got := f.at(name); got.Status.Phase != v1beta1.AtRunning ||
			meta.FindStatusCondition(got.Status.Conditions, ConditionStarted).Reason != ReasonPodCreated {
			t.Errorf("At %s after its second pass: %+v", name, got.Status)
		}
	}
	if pods := f.podList(); len(pods) != 2 {
		t.Errorf("%d Pods, want one per At", len(pods))
	}
}

func TestExistingPodIsAdoptedNotDuplicated(t *testing.T) {
	at := newAt("crashed", now.Add(-time.Minute), v1beta1.AtPending)
	existing := NewPod(at)
	existing.CreationTimestamp = metav1.NewTime(now.Add(-50 * time.Second))

	// In the cache (the controller restarted after creating the Pod, before writing the status).
	f := newFixture(t, []*v1beta1.At{at}, []*corev1.Pod{existing})
	f.sync("ns/crashed")
	if pods := f.podList(); len(pods) != 1 {
		t.Fatalf("%d Pods, want the one that existed", len(pods))
	}
	got := f.at("crashed")
	if got.Status.Phase != v1beta1.AtRunning || got.Status.PodName != existing.Name ||
		meta.FindStatusCondition(got.Status.Conditions, ConditionStarted).Reason != ReasonPodAdopted {
		t.Errorf("status %+v", got.Status)
	}

	// Only in the API, not yet in the cache: create answers AlreadyExists and the Pod is read and adopted.
	f = newFixture(t, []*v1beta1.At{at}, nil)
	if _, err := f.kubeClient.CoreV1().Pods("ns").Create(context.Background(), existing, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.sync("ns/crashed")
	if pods := f.podList(); len(pods) != 1 {
		t.Fatalf("%d Pods, want the one that existed", len(pods))
	}
	if got := f.at("crashed"); got.Status.PodName != existing.Name ||
		meta.FindStatusCondition(got.Status.Conditions, ConditionStarted).Reason != ReasonPodAdopted {
		t.Errorf("status %+v", got.Status)
	}

	// Created by this run's first pass, synced again before the Pod cache saw it: its own, not adopted.
	f = newFixture(t, []*v1beta1.At{at}, nil)
	f.sync("ns/crashed")
	f.sync("ns/crashed")
	if pods := f.podList(); len(pods) != 1 {
		t.Fatalf("%d Pods, want one", len(pods))
	}
	if got := f.at("crashed"); got.Status.Phase != v1beta1.AtRunning ||
		meta.FindStatusCondition(got.Status.Conditions, ConditionStarted).Reason != ReasonPodCreated {
		t.Errorf("status %+v, want Running with reason %s", got.Status, ReasonPodCreated)
	}
}

func TestForeignPodWithTheNameIsNotAdopted(t *testing.T) {
	at := newAt("victim", now.Add(-time.Minute), v1beta1.AtPending)
	foreign := NewPod(at)
	foreign.OwnerReferences = nil
	f := newFixture(t, []*v1beta1.At{at}, []*corev1.Pod{foreign})
	if _, err := f.c.sync(context.Background(), "ns/victim"); err == nil || !strings.Contains(err.Error(), "not controlled by At victim") {
		t.Errorf("sync: %v, want an error about the foreign Pod", err)
	}
	if phase := f.at("victim").Status.Phase; phase != v1beta1.AtPending {
		t.Errorf("phase %s, want Pending", phase)
	}
}

func TestPodOutcomes(t *testing.T) {
	at := newAt("runs", now.Add(-time.Minute), v1beta1.AtPending)
	pod := NewPod(at)
	tests := []struct {
		name      string
		podStatus *corev1.PodStatus // nil: the Pod is gone
		phase     v1beta1.AtPhase
		complete  metav1.ConditionStatus
		reason    string
		message   string
		event     string
	}{
		{"succeeded", &corev1.PodStatus{Phase: corev1.PodSucceeded}, v1beta1.AtSucceeded, metav1.ConditionTrue, ReasonPodSucceeded, "succeeded", "Normal PodSucceeded"},
		{"failed", &corev1.PodStatus{Phase: corev1.PodFailed, ContainerStatuses: []corev1.ContainerStatus{{Name: "at",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error"}}}}},
			v1beta1.AtFailed, metav1.ConditionFalse, ReasonPodFailed, "container at exited with code 3 (Error)", "Warning PodFailed"},
		{"evicted", &corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted", Message: "low memory"},
			v1beta1.AtFailed, metav1.ConditionFalse, ReasonPodFailed, "Evicted: low memory", "Warning PodFailed"},
		{"deleted while running", nil, v1beta1.AtFailed, metav1.ConditionFalse, ReasonPodDeleted, "was deleted before it finished", "Warning PodDeleted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var pods []*corev1.Pod
			if tc.podStatus != nil {
				p := pod.DeepCopy()
				p.Status = *tc.podStatus
				pods = append(pods, p)
			}
			f := newFixture(t, []*v1beta1.At{runningWith(at, pod)}, pods)
			f.clock.Step(3 * time.Second)
			f.sync("ns/runs")
			got := f.at("runs")
			complete := meta.FindStatusCondition(got.Status.Conditions, ConditionComplete)
			if got.Status.Phase != tc.phase || complete == nil || complete.Status != tc.complete || complete.Reason != tc.reason ||
				!strings.Contains(complete.Message, tc.message) {
				t.Errorf("status %+v, condition %+v", got.Status, complete)
			}
			if got.Status.CompletionTime == nil || !got.Status.CompletionTime.Time.Equal(now.Add(3*time.Second)) {
				t.Errorf("completionTime %v", got.Status.CompletionTime)
			}
			expectEvent(t, f.recorder, tc.event)
			if err := testutil.GatherAndCompare(f.registry, strings.NewReader(`
# HELP cnat_controller_ats_finished_total [ALPHA] Ats that reached a final phase, by outcome (Succeeded, Failed).
# TYPE cnat_controller_ats_finished_total counter
cnat_controller_ats_finished_total{outcome="`+string(tc.phase)+`"} 1
`), "cnat_controller_ats_finished_total"); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestRunningPodStillRunningOrOnlyInTheAPI(t *testing.T) {
	at := newAt("busy", now.Add(-time.Minute), v1beta1.AtPending)
	pod := NewPod(at)
	pod.Status.Phase = corev1.PodRunning
	// In the cache and running: nothing changes.
	f := newFixture(t, []*v1beta1.At{runningWith(at, pod)}, []*corev1.Pod{pod})
	f.sync("ns/busy")
	if phase := f.at("busy").Status.Phase; phase != v1beta1.AtRunning {
		t.Errorf("phase %s, want Running", phase)
	}
	// Not yet in the cache but in the API: not mistaken for deleted.
	f = newFixture(t, []*v1beta1.At{runningWith(at, pod)}, nil)
	if _, err := f.kubeClient.CoreV1().Pods("ns").Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.sync("ns/busy")
	if phase := f.at("busy").Status.Phase; phase != v1beta1.AtRunning {
		t.Errorf("phase %s, want Running", phase)
	}
}

func TestDeletedAndFinishedAtsAreLeftAlone(t *testing.T) {
	done := newAt("done", now.Add(-time.Hour), v1beta1.AtSucceeded)
	f := newFixture(t, []*v1beta1.At{done}, nil)
	f.sync("ns/done")
	f.sync("ns/deleted-before-its-time")
	if pods := f.podList(); len(pods) != 0 {
		t.Errorf("%d Pods for a finished or deleted At", len(pods))
	}
	if actions := f.atClient.Actions(); len(actions) != 0 {
		t.Errorf("wrote to the API: %v", actions)
	}
}

// TestScheduleRequeue: an At due later is queued again when its time comes, not before.
func TestScheduleRequeue(t *testing.T) {
	f := newFixture(t, []*v1beta1.At{newAt("soon", now.Add(30*time.Second), v1beta1.AtPending)}, nil)
	f.c.queue.Add("ns/soon")
	f.c.processNextItem(context.Background())
	if n := f.c.queue.Len(); n != 0 {
		t.Fatalf("queue holds %d items before the schedule", n)
	}
	f.clock.Step(29 * time.Second)
	time.Sleep(50 * time.Millisecond)
	if n := f.c.queue.Len(); n != 0 {
		t.Fatalf("queue holds %d items 1s before the schedule", n)
	}
	f.clock.Step(time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for f.c.queue.Len() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := f.c.queue.Len(); n != 1 {
		t.Fatalf("queue holds %d items at the schedule, want the At", n)
	}
}

func TestPodEventsEnqueueTheirAt(t *testing.T) {
	at := newAt("owner", now, v1beta1.AtPending)
	f := newFixture(t, nil, nil)
	f.c.enqueueOwner(NewPod(at))
	stranger := NewPod(at)
	stranger.OwnerReferences[0].Kind = "ReplicaSet"
	stranger.OwnerReferences[0].APIVersion = "apps/v1"
	f.c.enqueueOwner(stranger)
	if n := f.c.queue.Len(); n != 1 {
		t.Fatalf("queue holds %d keys, want only the At's", n)
	}
	if key, _ := f.c.queue.Get(); key != "ns/owner" {
		t.Errorf("queued %q", key)
	}
}

func TestPodNameIsStablePerAt(t *testing.T) {
	a := newAt("x", now, v1beta1.AtPending)
	b := a.DeepCopy()
	b.UID = "another-uid"
	if podName(a) != podName(a.DeepCopy()) {
		t.Error("pod name differs between calls for one At")
	}
	if podName(a) == podName(b) {
		t.Error("a re-created At (new UID) gets the old Pod's name")
	}
	long := newAt(strings.Repeat("n", 250), now, v1beta1.AtPending)
	if n := podName(long); len(n) > 63 {
		t.Errorf("pod name of %d characters", len(n))
	}
}

func expectEvent(t *testing.T, recorder *record.FakeRecorder, prefix string) {
	t.Helper()
	select {
	case e := <-recorder.Events:
		if !strings.HasPrefix(e, prefix) {
			t.Errorf("event %q, want %q…", e, prefix)
		}
	case <-time.After(time.Second):
		t.Errorf("no event %q", prefix)
	}
}

// An At that has just started is synced again (its Pod's event) while the cache still shows it Pending: the
// controller must not write over that version a second time (the API would refuse it with a conflict), and
// must act again once the cache shows a newer version.
func TestOwnStatusWriteIsNotRedoneFromAStaleCache(t *testing.T) {
	at := newAt("fresh", now.Add(-time.Second), v1beta1.AtPending)
	at.ResourceVersion = "5"
	f := newFixture(t, []*v1beta1.At{at}, nil)
	f.sync("ns/fresh") // creates the Pod
	pod := f.podList()[0]
	_ = f.pods.Core().V1().Pods().Informer().GetIndexer().Add(&pod)
	f.sync("ns/fresh") // writes the status over version 5
	if updates := filterActions(f.atClient.Actions(), "update"); len(updates) != 1 {
		t.Fatalf("%d status writes once the Pod was in the cache, want 1", len(updates))
	}
	f.atClient.ClearActions()
	f.kubeClient.ClearActions()

	// The At cache still holds version 5, Pending; the Pod cache has the Pod.
	f.sync("ns/fresh")
	if actions := append(f.atClient.Actions(), f.kubeClient.Actions()...); len(actions) != 0 {
		t.Errorf("synced a version it had written over: %d requests, first %v", len(actions), actions[0])
	}

	// Someone else's version 6 (still Pending in this made-up history) is acted on again.
	other := at.DeepCopy()
	other.ResourceVersion = "6"
	_ = f.ats.Cnat().V1beta1().Ats().Informer().GetIndexer().Update(other)
	f.sync("ns/fresh")
	if updates := filterActions(f.atClient.Actions(), "update"); len(updates) != 1 {
		t.Errorf("%d status writes for a version it had not written over, want 1", len(updates))
	}

	// A deleted At is forgotten.
	f.c.forgetAt(cache.DeletedFinalStateUnknown{Key: "ns/fresh", Obj: other})
	if _, ok := f.c.ownWrites.versions.Load(other.UID); ok {
		t.Error("the record of a deleted At was kept")
	}
}

func filterActions(actions []k8stesting.Action, verb string) []k8stesting.Action {
	var matched []k8stesting.Action
	for _, a := range actions {
		if a.GetVerb() == verb {
			matched = append(matched, a)
		}
	}
	return matched
}
