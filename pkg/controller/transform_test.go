package controller

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// mustTrim is what the informers cache of obj.
func mustTrim(t *testing.T, obj interface{}) interface{} {
	t.Helper()
	trimmed, err := TrimForCache(obj)
	if err != nil {
		t.Fatal(err)
	}
	return trimmed
}

func TestTrimForCacheKeepsWhatAnAtIsSyncedBy(t *testing.T) {
	at := newAt("a", now, v1beta1.AtRunning)
	at.ResourceVersion = "7"
	at.Labels = map[string]string{"team": "a"}
	at.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"spec":{}}`}
	at.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply,
		FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:spec":{"f:image":{}}}`)}}}
	at.Status.PodName = "a-x"

	want := at.DeepCopy()
	want.Annotations, want.ManagedFields = nil, nil
	got := mustTrim(t, at.DeepCopy())
	if !apiequality.Semantic.DeepEqual(got, want) {
		t.Errorf("trimmed At\n%+v\nwant\n%+v", got, want)
	}
	if again := mustTrim(t, got); !apiequality.Semantic.DeepEqual(again, want) {
		t.Errorf("trimming twice changed it again: %+v", again)
	}
}

func TestTrimForCacheKeepsWhatAPodIsFollowedBy(t *testing.T) {
	at := newAt("a", now, v1beta1.AtRunning)
	pod := NewPod(at)
	pod.UID, pod.ResourceVersion = "pod-uid", "9"
	pod.CreationTimestamp = metav1.NewTime(now)
	deleted := metav1.NewTime(now.Add(time.Minute))
	pod.DeletionTimestamp = &deleted
	pod.Annotations = map[string]string{"big": "value"}
	pod.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: ControllerName}}
	pod.Spec.NodeName = "node"
	pod.Status = corev1.PodStatus{
		Phase: corev1.PodFailed, Reason: "Evicted", Message: "low on memory",
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}},
		PodIP:      "10.0.0.1",
		ContainerStatuses: []corev1.ContainerStatus{{Name: "at", Image: "alpine:3.20", RestartCount: 0,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error", Message: "boom"}}}},
	}

	got := mustTrim(t, pod.DeepCopy()).(*corev1.Pod)
	if got.Name != pod.Name || got.Namespace != pod.Namespace || got.UID != pod.UID || got.ResourceVersion != "9" ||
		!got.CreationTimestamp.Equal(&pod.CreationTimestamp) || !got.DeletionTimestamp.Equal(pod.DeletionTimestamp) ||
		got.Labels[AtLabel] != "a" || !metav1.IsControlledBy(got, at) {
		t.Errorf("trimmed Pod lost what ties it to its At: %+v", got.ObjectMeta)
	}
	if got.Annotations != nil || got.ManagedFields != nil || !apiequality.Semantic.DeepEqual(got.Spec, corev1.PodSpec{}) ||
		got.Status.Conditions != nil || got.Status.PodIP != "" {
		t.Errorf("trimmed Pod kept what the controller never reads: %+v", got)
	}
	// What syncRunning and failureOf read says the same before and after.
	if got.Status.Phase != corev1.PodFailed || failureOf(got) != failureOf(pod) {
		t.Errorf("trimmed Pod's outcome %q / %q, want %q / %q", got.Status.Phase, failureOf(got), pod.Status.Phase, failureOf(pod))
	}
	if again := mustTrim(t, got); !apiequality.Semantic.DeepEqual(again, got) {
		t.Errorf("trimming twice changed it again: %+v", again)
	}
}

func TestTrimForCachePassesOthersUnchanged(t *testing.T) {
	tombstone := cache.DeletedFinalStateUnknown{Key: "ns/a", Obj: newAt("a", now, v1beta1.AtPending)}
	if got := mustTrim(t, tombstone); !apiequality.Semantic.DeepEqual(got, tombstone) {
		t.Errorf("tombstone changed: %+v", got)
	}
}
