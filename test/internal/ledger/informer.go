package ledger

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
)

// Informer is a client-go informer of the Ats of a namespace, as a controller runs one, that notes when it
// saw each At and how often it had to list again (a watch it could not resume).
type Informer struct {
	namespace string
	informer  cache.SharedIndexInformer
	lists     atomic.Int32
	watches   atomic.Int32

	mu   sync.Mutex
	seen map[string]seenAt
}

type seenAt struct {
	first time.Time
	seq   int
}

// StartInformer starts an informer of namespace's Ats (in v1beta1) until ctx ends, and waits for its first
// list.
func StartInformer(ctx context.Context, client versioned.Interface, namespace string) (*Informer, error) {
	return StartInformerOf(ctx, client, namespace, "")
}

// StartInformerOf is StartInformer in the given version of the At API ("": v1beta1).
func StartInformerOf(ctx context.Context, client versioned.Interface, namespace, version string) (*Informer, error) {
	inf := &Informer{namespace: namespace, seen: map[string]seenAt{}}
	ats := atsIn(client, namespace, version)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, options metav1.ListOptions) (runtime.Object, error) {
			inf.lists.Add(1)
			list, _, err := ats.list(ctx, options)
			return list, err
		},
		WatchFuncWithContext: func(ctx context.Context, options metav1.ListOptions) (watch.Interface, error) {
			// A watch that asks for the initial events is a list in the form of a watch (WatchList).
			if options.SendInitialEvents != nil && *options.SendInitialEvents {
				inf.lists.Add(1)
			}
			return ats.watch(ctx, options)
		},
	}
	inf.informer = cache.NewSharedIndexInformer(lw, ats.example, 0, cache.Indexers{})
	_, err := inf.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { inf.observe(obj) },
		UpdateFunc: func(_, obj any) { inf.observe(obj) },
	})
	if err != nil {
		return nil, err
	}
	go inf.informer.RunWithContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), inf.informer.HasSynced) {
		return nil, fmt.Errorf("informer of %s did not sync", namespace)
	}
	return inf, nil
}

func (inf *Informer) observe(obj any) {
	at, ok := obj.(object)
	if !ok {
		return
	}
	now := time.Now()
	inf.mu.Lock()
	defer inf.mu.Unlock()
	s, known := inf.seen[at.GetName()]
	if !known {
		s.first = now
	}
	if seq := Seq(at); seq > s.seq {
		s.seq = seq
	}
	inf.seen[at.GetName()] = s
}

// Relists is how many times the informer listed after its first list: each one a watch it could not resume
// from its last resourceVersion.
func (inf *Informer) Relists() int { return int(inf.lists.Load()) - 1 }

// Missing returns the acknowledged Ats (name → sequence) that the informer's cache does not hold, or holds at
// an older sequence.
func (inf *Informer) Missing(acked map[string]int) []string {
	var missing []string
	for name, seq := range acked {
		obj, exists, err := inf.informer.GetStore().GetByKey(inf.key(name))
		if err != nil || !exists || Seq(obj.(object)) < seq {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	return missing
}

func (inf *Informer) key(name string) string { return inf.namespace + "/" + name }

// WaitComplete waits until the informer holds every acknowledged At at its acknowledged sequence, and returns
// those it still lacks when timeout passes.
func (inf *Informer) WaitComplete(acked map[string]int, timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	for {
		missing := inf.Missing(acked)
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// LongestDelay is the longest time from the acknowledgement of a create to the informer seeing the At: a
// watch that broke and had to be re-established shows here.
func (inf *Informer) LongestDelay(l *Ledger) time.Duration {
	inf.mu.Lock()
	defer inf.mu.Unlock()
	var longest time.Duration
	for name, s := range inf.seen {
		acked, ok := l.AckedAt(name)
		if ok && s.first.Sub(acked) > longest {
			longest = s.first.Sub(acked)
		}
	}
	return longest
}
