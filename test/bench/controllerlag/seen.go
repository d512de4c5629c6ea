package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// seenTimes records when a watch first delivered each object (by a key the caller derives; objects for which
// it says false are not recorded yet). A watch the server ends (it drops watchers too slow for it on a busy
// machine) is resumed from the last resourceVersion seen, so no event is missed.
type seenTimes struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func watchSeen(ctx context.Context, open func(rv string) (watch.Interface, error), key func(runtime.Object) (string, bool)) (*seenTimes, error) {
	w, err := open("")
	if err != nil {
		return nil, err
	}
	s := &seenTimes{seen: map[string]time.Time{}}
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

func (s *seenTimes) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// lagsSince returns, sorted, how long after start each object was seen.
func (s *seenTimes) lagsSince(start time.Time) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return lagsOf(s.seen, start)
}

// waitFor waits up to a minute until count objects were seen.
func (s *seenTimes) waitFor(count int, what string) error {
	waitUntil(time.Now().Add(time.Minute), func() bool { return s.count() >= count })
	if n := s.count(); n < count {
		return fmt.Errorf("saw %d of %d %s", n, count, what)
	}
	return nil
}
