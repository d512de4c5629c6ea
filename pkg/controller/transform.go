package controller

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// TrimForCache is the informers' transform (cache.TransformFunc; informer factory WithTransform): it drops,
// before an object is cached, what the controller never reads, as kube-controller-manager drops
// managedFields from its caches. The controller caches every At, most of them waiting for hours, so what an
// At holds in the cache is what a waiting At costs it; and every Pod of an At, kept until its At is
// deleted.
//
//   - An At keeps its name, namespace, UID, resourceVersion, generation, spec and status: everything sync
//     reads, and what a status write sends. It loses managedFields (one entry per writer, its field set
//     included) and annotations (kubectl apply's last-applied-configuration: the whole object again). A
//     status write without them changes neither: ats/status takes everything but the status from the stored
//     At, and the API server keeps the stored managedFields when a write sends none.
//   - A Pod keeps what identifies it and ties it to its At (name, namespace, UID, resourceVersion, creation
//     and deletion time, labels, owner references) and the status fields that say how it ended (phase,
//     reason, message, each container's name and termination). Its spec, its conditions and the rest go.
//
// Anything else (a tombstone, another type) passes unchanged. It is idempotent, and changes the object in
// place: the informer hands it a freshly decoded object no one else holds.
func TrimForCache(obj interface{}) (interface{}, error) {
	switch o := obj.(type) {
	case *v1beta1.At:
		o.ManagedFields = nil
		o.Annotations = nil
	case *corev1.Pod:
		return trimPod(o), nil
	}
	return obj, nil
}

func trimPod(pod *corev1.Pod) *corev1.Pod {
	trimmed := &corev1.Pod{
		TypeMeta: pod.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name:              pod.Name,
			Namespace:         pod.Namespace,
			UID:               pod.UID,
			ResourceVersion:   pod.ResourceVersion,
			CreationTimestamp: pod.CreationTimestamp,
			DeletionTimestamp: pod.DeletionTimestamp,
			Labels:            pod.Labels,
			OwnerReferences:   pod.OwnerReferences,
		},
		Status: corev1.PodStatus{Phase: pod.Status.Phase, Reason: pod.Status.Reason, Message: pod.Status.Message},
	}
	for _, s := range pod.Status.ContainerStatuses {
		trimmed.Status.ContainerStatuses = append(trimmed.Status.ContainerStatuses,
			corev1.ContainerStatus{Name: s.Name, State: corev1.ContainerState{Terminated: s.State.Terminated}})
	}
	return trimmed
}
