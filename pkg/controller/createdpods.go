package controller

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// createdPods remembers, per At, the Pod this controller created for it while its status does not say so
// yet.
//
// A due At's Pod is created first and its status written in a second pass through the queue: the first pass
// queues the At again right after the create, behind every At already queued. When many Ats fall due in the
// same second the queue holds all of them, so every Pod is created before the first status write or event
// competes with the Pod creations for the API servers' CPU; when one falls due alone, its second pass comes
// at once. The second pass takes the Pod from here when the Pod cache has not seen it yet (it need not wait
// for the Pod's informer event: that would add a watch delivery to every At's Running), and tells PodCreated
// from PodAdopted (a Pod found after a restart) by it; after a restart between the two passes the record is
// gone and the Pod is reported adopted, which is what it then is.
type createdPods struct {
	pods sync.Map // types.UID of the At → *corev1.Pod as its create returned it
}

func (c *createdPods) remember(uid types.UID, pod *corev1.Pod) { c.pods.Store(uid, pod) }

// pod is the Pod created for the At, nil if none is remembered.
func (c *createdPods) pod(uid types.UID) *corev1.Pod {
	if pod, ok := c.pods.Load(uid); ok {
		return pod.(*corev1.Pod)
	}
	return nil
}

// forget drops the record once the status tells, or the At is gone.
func (c *createdPods) forget(uid types.UID) { c.pods.Delete(uid) }
