// Package seen times watch events as they arrive: the benchmarks' lags are from an instant (a schedule, the
// start of a burst) to the moment a watch delivers an object's change, which is when a client can know of
// it (an object's creationTimestamp has second precision only).
package seen

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// Times records when a watch first delivered each object (by a key the caller derives; objects for which it
// says false are not recorded yet). A watch the server ends (it drops watchers too slow for it on a busy
// machine) is resumed from the last resourceVersion seen, so no event is missed.
type Times struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// Watch opens the watch (open("") first, open(rv) to resume) and records its events until ctx ends.
func Watch(ctx context.Context, open func(rv string) (watch.Interface, error), key func(runtime.Object) (string, bool)) (*Times, error) {
	w, err := open("")
	if err != nil {
		return nil, err
	}
	s := &Times{seen: map[string]time.Time{}}
	go func() {
		rv := ""
		for ctx.Err() == nil {
			for e := range w.ResultChan() {
				if e.Type != watch.Added && e.Type != watch.Modified {
					continue
				}
				now := time.Now()
				obj, err := meta.Accessor(e.Object)
				if err != nil {
					continue
				}
				rv = obj.GetResourceVersion()
				if k, ok := key(e.Object); ok {
					s.mu.Lock()
					if _, dup := s.seen[k]; !dup {
						s.seen[k] = now
					}
					s.mu.Unlock()
				}
			}
			if w, err = open(rv); err != nil {
				return
			}
		}
	}()
	return s, nil
}

// Count is how many objects were seen.
func (s *Times) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// All is a copy of what was seen: key → when.
func (s *Times) All() map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.seen)
}

// LagsSince returns, sorted, how long after start each object was seen.
func (s *Times) LagsSince(start time.Time) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	lags := make([]time.Duration, 0, len(s.seen))
	for _, t := range s.seen {
		lags = append(lags, t.Sub(start))
	}
	slices.Sort(lags)
	return lags
}

// WaitFor waits up to a minute until count objects were seen; what names them in the error.
func (s *Times) WaitFor(count int, what string) error {
	Until(time.Now().Add(time.Minute), func() bool { return s.Count() >= count })
	if n := s.Count(); n < count {
		return fmt.Errorf("saw %d of %d %s", n, count, what)
	}
	return nil
}

// Until polls done every 10ms until it is true or the deadline has passed.
func Until(deadline time.Time, done func() bool) {
	for !done() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}
