package controller

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// createdPods remembers the Ats whose Pod this controller created and whose status does not say so yet.
//
// A due At's Pod is created first and its status written later, when the Pod's informer event brings the
// At back through the queue: when many Ats fall due in the same second, the queue holds all of them, and
// every Pod is created before the first status write or event competes with the Pod creations for the API
// servers' CPU. The status then tells PodCreated from PodAdopted (a Pod found after a restart) by this
// record; after a restart between the two steps the record is gone and the Pod is reported adopted, which
// is what it then is.
type createdPods struct {
	ats sync.Map // types.UID of the At → struct{}
}

func (c *createdPods) remember(uid types.UID) { c.ats.Store(uid, struct{}{}) }

func (c *createdPods) created(uid types.UID) bool {
	_, ok := c.ats.Load(uid)
	return ok
}

// forget drops the record once the status tells, or the At is gone.
func (c *createdPods) forget(uid types.UID) { c.ats.Delete(uid) }
