package ledger

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
)

// SeqAnnotation holds the sequence number of the last update an updater wrote into an At.
const SeqAnnotation = "reliability.cnat.programming-kubernetes.info/seq"

// requestTimeout bounds one request of the load (client-go's retries included): a request still unanswered
// then counts as failed without an answer.
const requestTimeout = 60 * time.Second

// Load is the work: writers create Ats with names of their own, updaters each change the Ats of one writer.
type Load struct {
	Client    versioned.Interface
	Namespace string
	Writers   int
	Updaters  int
	// PerWorker is each worker's pace in requests per second: the load should stress the servers, not starve
	// the machine (two cores for every process of the test).
	PerWorker rate.Limit
	// RetryConflicts makes the updaters read again and retry an update answered 409 Conflict, as a
	// read-modify-write client does (client-go's retry.RetryOnConflict) when another writer may change the
	// same object: the storage version migrator rewrites Ats under them. The Ledger counts those 409s apart
	// (ConflictsRetried); only the last answer counts as the update's outcome.
	RetryConflicts bool
	Ledger         *Ledger
	// Version is the version of the At API the load writes in ("": v1beta1).
	Version string

	ats     ats
	mu      sync.Mutex
	created [][]string // per writer, the names it created (acknowledged)
}

// Run makes requests until ctx ends, then returns once every request in flight has been answered.
func (l *Load) Run(ctx context.Context) {
	l.ats = atsIn(l.Client, l.Namespace, l.Version)
	l.created = make([][]string, l.Writers)
	var wg sync.WaitGroup
	for i := 0; i < l.Writers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.write(ctx, i)
		}()
	}
	for i := 0; i < l.Updaters; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.update(ctx, i%l.Writers)
		}()
	}
	wg.Wait()
}

func (l *Load) write(ctx context.Context, writer int) {
	limiter := rate.NewLimiter(l.PerWorker, 1)
	for seq := 0; limiter.Wait(ctx) == nil; seq++ {
		name := fmt.Sprintf("w%d-%06d", writer, seq)
		reqCtx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		err := l.ats.create(reqCtx, name)
		cancel()
		l.Ledger.Record(Create, name, 0, time.Now(), err)
		if err == nil {
			l.mu.Lock()
			l.created[writer] = append(l.created[writer], name)
			l.mu.Unlock()
		}
	}
}

// update reads an At a writer created and writes the next sequence number into it (a read-modify-write
// with the resourceVersion it read, as kubectl edit and controllers do).
func (l *Load) update(ctx context.Context, writer int) {
	limiter := rate.NewLimiter(l.PerWorker, 1)
	next := map[string]int{}
	for limiter.Wait(ctx) == nil {
		l.mu.Lock()
		names := l.created[writer]
		l.mu.Unlock()
		if len(names) == 0 {
			continue
		}
		name := names[rand.IntN(len(names))]
		next[name]++
		reqCtx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		for attempt := 1; ; attempt++ {
			wrote, err := l.readModifyWrite(reqCtx, name, next[name])
			if !wrote {
				break
			}
			if err == nil || !l.RetryConflicts || !apierrors.IsConflict(err) || attempt == maxConflictRetries {
				l.Ledger.Record(Update, name, next[name], time.Now(), err)
				break
			}
			l.Ledger.RecordConflictRetried()
		}
		cancel()
	}
}

// maxConflictRetries bounds the attempts of an update that RetryConflicts retries (retry.DefaultRetry's 5).
const maxConflictRetries = 5

// readModifyWrite reads an At and writes seq into it with the resourceVersion it read. The read is recorded;
// wrote tells whether the write was sent (the read succeeded), err is its answer.
func (l *Load) readModifyWrite(ctx context.Context, name string, seq int) (wrote bool, err error) {
	at, err := l.ats.get(ctx, name)
	l.Ledger.Record(Get, name, 0, time.Now(), err)
	if err != nil {
		return false, err
	}
	annotations := at.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[SeqAnnotation] = strconv.Itoa(seq)
	at.SetAnnotations(annotations)
	return true, l.ats.update(ctx, at)
}

// NewAt is the At the writers create: due in a day, so that no controller runs it during a test.
func NewAt(name string) *v1beta1.At {
	return &v1beta1.At{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1beta1.AtSpec{
			Schedule: metav1.NewTime(time.Now().Add(24 * time.Hour).Truncate(time.Second)),
			Command:  []string{"echo", name},
		},
	}
}

// Seq reads the sequence number an At holds.
func Seq(at metav1.Object) int {
	n, _ := strconv.Atoi(at.GetAnnotations()[SeqAnnotation])
	return n
}
