// Package ledger puts load on the At API the way users do — writers creating Ats, updaters changing them,
// informers watching — and keeps a ledger of every request and its answer, so that a test can tell, after
// faults, what the server acknowledged and whether any of it is lost.
package ledger

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Op is a kind of request.
type Op string

const (
	Create Op = "create"
	Get    Op = "get"
	Update Op = "update"
)

// Failure is a request that returned an error to its client (after client-go's own retries).
type Failure struct {
	When time.Time
	Op   Op
	Name string
	// Code is the HTTP status, 0 when no answer came (a connection error or a timeout of the client).
	Code    int32
	Message string
}

// Ambiguous tells whether the client cannot know if the write was applied: no answer, a server error (5xx),
// which may come after the write was done, or 409 Conflict. The load's writers and updaters never compete
// for an At, so a 409 means client-go retried a write (after a 503/504 with Retry-After) that had been
// applied after all. Other 4xx say the write was not applied.
func (f Failure) Ambiguous() bool {
	return f.Op != Get && (f.Code == 0 || f.Code >= 500 || f.Code == 409)
}

// Anonymous tells whether the request was refused as unauthenticated or forbidden: the writers are the
// cluster admin, so a ready server never answers them 401 or 403.
func (f Failure) Anonymous() bool { return f.Code == 401 || f.Code == 403 }

// Ledger records requests and their outcome. It is safe for concurrent use.
type Ledger struct {
	mu sync.Mutex
	// acked holds the acknowledged writes: for each At the time its create was answered and the highest
	// sequence number an acknowledged update wrote into it.
	acked    map[string]*ackedAt
	attempts map[Op]int
	// writesAcked counts acknowledged creates and updates; lastAck is when the last was answered.
	writesAcked int
	lastAck     time.Time
	failures    []Failure
	windows     []Window
	// conflictsRetried counts the 409s that updaters retried (Load.RetryConflicts): never surfaced to them.
	conflictsRetried int
}

type ackedAt struct {
	created time.Time
	seq     int
}

// Window is a named span of time of a scenario (a fault): failures are counted per window.
type Window struct {
	Name       string
	Start, End time.Time
}

// New returns an empty ledger.
func New() *Ledger {
	return &Ledger{acked: map[string]*ackedAt{}, attempts: map[Op]int{}}
}

// Record notes the outcome of one request. For an acknowledged create, name is now known to exist; for an
// acknowledged update, it holds at least seq.
func (l *Ledger) Record(op Op, name string, seq int, answered time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts[op]++
	if err != nil {
		l.failures = append(l.failures, newFailure(op, name, answered, err))
		return
	}
	if op != Get {
		l.writesAcked++
		if answered.After(l.lastAck) {
			l.lastAck = answered
		}
	}
	switch op {
	case Create:
		l.acked[name] = &ackedAt{created: answered}
	case Update:
		if a := l.acked[name]; a != nil && seq > a.seq {
			a.seq = seq
		}
	}
}

func newFailure(op Op, name string, when time.Time, err error) Failure {
	f := Failure{When: when, Op: op, Name: name, Message: err.Error()}
	var status apierrors.APIStatus
	var netErr net.Error
	switch {
	case errors.As(err, &status):
		f.Code = status.Status().Code
		// An answer that is no Status (the aggregator's own 503s) keeps its text in the causes.
		if details := status.Status().Details; details != nil {
			for _, cause := range details.Causes {
				f.Message += " [" + cause.Message + "]"
			}
		}
	case errors.As(err, &netErr):
		f.Code = 0
	}
	return f
}

// RecordConflictRetried notes a 409 Conflict that an updater retried (read again, wrote again) instead of
// taking it as its answer.
func (l *Ledger) RecordConflictRetried() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conflictsRetried++
}

// ConflictsRetried is how many 409 Conflicts updaters retried.
func (l *Ledger) ConflictsRetried() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conflictsRetried
}

// MarkWindow names a span of time (a fault) whose failures the report counts apart.
func (l *Ledger) MarkWindow(name string, start, end time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.windows = append(l.windows, Window{Name: name, Start: start, End: end})
}

// Acked returns the acknowledged Ats: name → highest acknowledged update sequence (0: created only).
func (l *Ledger) Acked() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.acked))
	for name, a := range l.acked {
		out[name] = a.seq
	}
	return out
}

// WritesAcknowledged is how many creates and updates were acknowledged.
func (l *Ledger) WritesAcknowledged() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writesAcked
}

// LastAcknowledged returns when the last acknowledged write was answered.
func (l *Ledger) LastAcknowledged() (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastAck, !l.lastAck.IsZero()
}

// AckedAt returns when the create of name was acknowledged.
func (l *Ledger) AckedAt(name string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.acked[name]
	if !ok {
		return time.Time{}, false
	}
	return a.created, true
}

// Failures returns the failed requests.
func (l *Ledger) Failures() []Failure {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Failure(nil), l.failures...)
}

// Attempts returns how many requests were made, in all and per kind.
func (l *Ledger) Attempts() (total int, per map[Op]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	per = map[Op]int{}
	for op, n := range l.attempts {
		per[op] = n
		total += n
	}
	return total, per
}

// FailuresIn counts the failures within the windows of the given name.
func (l *Ledger) FailuresIn(window string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, f := range l.failures {
		for _, w := range l.windows {
			if w.Name == window && !f.When.Before(w.Start) && !f.When.After(w.End) {
				n++
				break
			}
		}
	}
	return n
}

// Summary describes the failures: how many per status code and one message of each, for a test's log.
func (l *Ledger) Summary() string {
	fails := l.Failures()
	if len(fails) == 0 {
		return "no failed requests"
	}
	type group struct {
		n       int
		example Failure
	}
	groups := map[string]*group{}
	for _, f := range fails {
		key := fmt.Sprintf("%s %d", f.Op, f.Code)
		if groups[key] == nil {
			groups[key] = &group{example: f}
		}
		groups[key].n++
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		g := groups[k]
		fmt.Fprintf(&b, "%d× %s (e.g. %s at %s: %s)\n", g.n, k, g.example.Name, g.example.When.Format("15:04:05.000"), g.example.Message)
	}
	return b.String()
}
