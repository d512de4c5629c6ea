package controller

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
)

// ownWrites remembers, per At, the resourceVersion the At had when this controller last wrote its status
// over it. The informer's cache shows such a write a little later, and meanwhile the At may be synced again:
// every At that starts is, because its new Pod's event requeues it while the cache still shows it Pending.
// Acting on that version again would only send a write the API refuses with a conflict (a wasted request
// through the aggregator, then an error requeue with backoff): a cached At still at the recorded version is
// skipped, and the informer's update, which comes, requeues it.
type ownWrites struct {
	versions sync.Map // types.UID → resourceVersion written over
}

// wrote records a successful status write over this version of the At. Without a resourceVersion (fake
// clients) nothing can be compared, and nothing is recorded.
func (w *ownWrites) wrote(over *v1beta1.At) {
	if over.ResourceVersion != "" {
		w.versions.Store(over.UID, over.ResourceVersion)
	}
}

// outdated tells whether the cached At is a version this controller has already written over. Any other
// version means the cache has moved on: the record is dropped.
func (w *ownWrites) outdated(cached *v1beta1.At) bool {
	version, ok := w.versions.Load(cached.UID)
	if !ok {
		return false
	}
	if version.(string) == cached.ResourceVersion {
		return true
	}
	w.versions.CompareAndDelete(cached.UID, version)
	return false
}

// forget drops the record of a deleted At.
func (w *ownWrites) forget(uid types.UID) {
	w.versions.Delete(uid)
}
