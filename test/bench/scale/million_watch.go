package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/test/bench/internal/atstore"
	"github.com/programming-kubernetes/cnat/test/bench/internal/proccpu"
)

// watchFigures are what the watchers of one namespace got while objects were written to it.
type watchFigures struct {
	watchers, writes, writeErrors int
	rate                          float64       // writes per second achieved
	least, most                   int64         // ADDED events of the watcher that got the fewest, the most
	short, ended                  int           // watchers that got fewer than the writes; that ended early
	terminated                    float64       // apiserver_terminated_watchers_total: watchers the server closed for being slow
	elapsed                       time.Duration // from the first write until every watcher had them all (or the grace ran out)
	firstEnded                    time.Duration // from the first write until the first watcher's stream ended (0: none ended)
	writeLatencies                []time.Duration
	cpu                           proccpu.Snapshot // CPU each process used from the first write until counted
}

// deliveriesPerSecond is the events delivered to all watchers per second, at least.
func (f watchFigures) deliveriesPerSecond() float64 {
	return float64(f.least) * float64(f.watchers) / f.elapsed.Seconds()
}

// watchers are open watch streams, each counting the ADDED events it reads.
type watchers struct {
	got        []atomic.Int64
	ended      atomic.Int64
	firstEnded atomic.Int64 // unix nanoseconds
}

// openWatchers opens n watches of url (in protobuf, or JSON) a few at a time, each with three tries: a
// thousand TLS handshakes at once on two busy cores time out. The watchers count the events of their stream
// by type, without decoding the objects: the benchmark shares the two cores with the server, and a thousand clients
// decoding every event would measure themselves.
func openWatchers(ctx context.Context, client *http.Client, url string, protobuf bool, n int) (*watchers, error) {
	w := &watchers{got: make([]atomic.Int64, n)}
	var opened sync.WaitGroup
	openErr := make(chan error, n)
	opening := make(chan struct{}, 16)
	for i := range n {
		opened.Add(1)
		go func() {
			opening <- struct{}{}
			var body io.ReadCloser
			var err error
			for try := 0; try < 3; try++ {
				if body, err = openWatch(ctx, client, url, protobuf); err == nil {
					break
				}
			}
			<-opening
			opened.Done()
			if err != nil {
				openErr <- err
				return
			}
			defer func() { _ = body.Close() }()
			countEvents := countWatchFrames
			if !protobuf {
				countEvents = countWatchLines
			}
			err = countEvents(body, func(typ string) bool {
				switch typ {
				case string(watch.Added):
					w.got[i].Add(1)
				case string(watch.Error):
					return false
				}
				return true
			})
			if ctx.Err() == nil {
				w.ended.Add(1)
				w.firstEnded.CompareAndSwap(0, time.Now().UnixNano())
			}
		}()
	}
	opened.Wait()
	select {
	case err := <-openErr:
		return nil, fmt.Errorf("opening a watch: %w", err)
	default:
		return w, nil
	}
}

// paced calls write(k) for k in [0, rate × duration), write k due at k/rate seconds from now whether the
// earlier ones have returned or not (open loop), and returns how many succeeded and failed.
func paced(rate int, duration time.Duration, write func(k int) error) (writes, failed int, achieved float64) {
	var ok, bad atomic.Int64
	var writers sync.WaitGroup
	total := rate * int(duration.Seconds())
	interval := time.Second / time.Duration(rate)
	began := time.Now()
	for k := range total {
		time.Sleep(time.Until(began.Add(time.Duration(k) * interval)))
		writers.Go(func() {
			if err := write(k); err != nil {
				bad.Add(1)
				return
			}
			ok.Add(1)
		})
	}
	writers.Wait()
	return int(ok.Load()), int(bad.Load()), float64(ok.Load()) / time.Since(began).Seconds()
}

// count waits (at most grace) until every watcher has the writes, and fills in what they got.
func (w *watchers) count(f *watchFigures, began time.Time, grace time.Duration) {
	until := time.Now().Add(grace)
	for {
		f.least, f.most, f.short = int64(f.writes), 0, 0
		for i := range w.got {
			n := w.got[i].Load()
			f.least, f.most = min(f.least, n), max(f.most, n)
			if n < int64(f.writes) {
				f.short++
			}
		}
		if f.short == 0 || time.Now().After(until) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	f.elapsed = time.Since(began)
	f.ended = int(w.ended.Load())
	if first := w.firstEnded.Load(); first != 0 {
		f.firstEnded = time.Unix(0, first).Sub(began)
	}
}

// timed returns write, recording how long each call took.
func timed(write func(k int) error, latencies *[]time.Duration) func(k int) error {
	var mu sync.Mutex
	return func(k int) error {
		start := time.Now()
		err := write(k)
		took := time.Since(start)
		mu.Lock()
		*latencies = append(*latencies, took)
		mu.Unlock()
		return err
	}
}

// watchTarget is a server whose watchers watchUnderWrites counts: the collection watched, called directly,
// and the store that writes to it.
type watchTarget struct {
	name     string
	config   *rest.Config // the server, called directly
	path     string       // the namespace's collection, e.g. /apis/<group>/<version>/namespaces/<ns>/ats
	protobuf bool         // watch in protobuf (a built-in or aggregated type) or JSON (a custom resource)
	resource string       // the resource label of its apiserver_terminated_watchers_total
	store    func(objects int) atstore.Store
	pidDir   string
}

// watchUnderWrites opens the watchers directly on the target from one resourceVersion, creates objects
// (directly too) at the write rate for the write duration, starting at object from, and counts what each
// watcher gets. With a warm-up, objects are first created at the same rate for that long before the watchers
// open (see docs/performance.md: a watcher's buffer follows the watch cache's recent event rate).
func watchUnderWrites(ctx context.Context, t watchTarget, m millionOptions, from int, warmUp time.Duration) (watchFigures, int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	store := t.store(from + m.writeRate*int((warmUp+m.writeDuration).Seconds()) + 1)
	if warmUp > 0 {
		progress("%s: warming up: %d objects/s for %s", t.name, m.writeRate, warmUp)
		paced(m.writeRate, warmUp, func(k int) error { return store.Create(ctx, from+k) })
		from += m.writeRate * int(warmUp.Seconds())
	}
	httpClient, err := rest.HTTPClientFor(t.config)
	if err != nil {
		return watchFigures{}, from, err
	}
	base := strings.TrimSuffix(t.config.Host, "/") + t.path
	rv, err := listResourceVersion(ctx, httpClient, base)
	if err != nil {
		return watchFigures{}, from, err
	}
	metricsBefore, err := metricsText(ctx, t.config)
	if err != nil {
		return watchFigures{}, from, err
	}
	w, err := openWatchers(ctx, httpClient, base+"?watch=1&resourceVersion="+rv, t.protobuf, m.watchers)
	if err != nil {
		return watchFigures{}, from, err
	}
	progress("%s: %d watchers open; %d objects/s for %s", t.name, m.watchers, m.writeRate, m.writeDuration)
	f := watchFigures{watchers: m.watchers}
	cpuBefore := proccpu.Take(t.pidDir)
	began := time.Now()
	f.writes, f.writeErrors, f.rate = paced(m.writeRate, m.writeDuration, timed(func(k int) error { return store.Create(ctx, from+k) }, &f.writeLatencies))
	from += m.writeRate * int(m.writeDuration.Seconds())
	w.count(&f, began, 30*time.Second)
	f.cpu = proccpu.Take(t.pidDir).Since(cpuBefore)
	metricsAfter, err := metricsText(ctx, t.config)
	if err != nil {
		return f, from, err
	}
	f.terminated = metricSum(metricsAfter, "apiserver_terminated_watchers_total", `resource="`+t.resource+`"`) -
		metricSum(metricsBefore, "apiserver_terminated_watchers_total", `resource="`+t.resource+`"`)
	return f, from, nil
}

// listResourceVersion is the resourceVersion of a list of one object of the collection at url: the watchers
// start from it, so that none gets the objects already there.
func listResourceVersion(ctx context.Context, client *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"?limit=1", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return "", fmt.Errorf("list %s: %s: %s", url, resp.Status, body)
	}
	var list metav1.List
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return "", err
	}
	return list.ResourceVersion, nil
}

// watchFloor is the same watchers and writes against a bare Go TLS server over HTTP/1.1 (as cnat-apiserver
// serves in aggregated mode) that does nothing but the watch's own writing: each write is one frame of
// frameBytes sent to every watcher (flushed when its queue is empty, as k8s.io/apiserver does), and it
// never drops a watcher: it waits for the slowest. What it delivers is what this machine can deliver at
// all, to these clients, in the same run.
func watchFloor(ctx context.Context, m millionOptions, frameBytes int) (watchFigures, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	event := protowire.AppendTag(nil, 1, protowire.BytesType)
	event = protowire.AppendString(event, string(watch.Added))
	event = protowire.AppendTag(event, 2, protowire.BytesType)
	event = protowire.AppendBytes(event, make([]byte, max(frameBytes-len(event)-8, 1)))
	frame := append([]byte{byte(len(event) >> 24), byte(len(event) >> 16), byte(len(event) >> 8), byte(len(event))}, event...)

	var mu sync.Mutex
	var queues []chan []byte
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		queue := make(chan []byte, 100)
		mu.Lock()
		queues = append(queues, queue)
		mu.Unlock()
		rw.Header().Set("Content-Type", "application/vnd.kubernetes.protobuf;stream=watch")
		rw.WriteHeader(http.StatusOK)
		flusher := rw.(http.Flusher)
		flusher.Flush()
		out := bufio.NewWriter(rw)
		for {
			select {
			case <-r.Context().Done():
				return
			case f := <-queue:
				if _, err := out.Write(f); err != nil {
					return
				}
				if len(queue) == 0 {
					if out.Flush() != nil {
						return
					}
					flusher.Flush()
				}
			}
		}
	}))
	srv.EnableHTTP2 = false
	srv.StartTLS()
	defer func() {
		cancel() // the watchers hang up first: Close waits for the handlers
		srv.CloseClientConnections()
		srv.Close()
	}()
	w, err := openWatchers(ctx, srv.Client(), srv.URL+"/watch", true, m.watchers)
	if err != nil {
		return watchFigures{}, err
	}
	mu.Lock()
	all := append([]chan []byte(nil), queues...)
	mu.Unlock()
	var broadcast sync.Mutex
	f := watchFigures{watchers: m.watchers}
	cpuBefore := proccpu.Take("")
	began := time.Now()
	f.writes, f.writeErrors, f.rate = paced(m.writeRate, m.writeDuration, func(int) error {
		broadcast.Lock()
		defer broadcast.Unlock()
		for _, q := range all {
			select {
			case q <- frame:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	w.count(&f, began, 30*time.Second)
	f.cpu = proccpu.Take("").Since(cpuBefore)
	return f, nil
}

// openWatch starts a watch in protobuf or JSON and returns its stream.
func openWatch(ctx context.Context, client *http.Client, url string, protobuf bool) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if protobuf {
		req.Header.Set("Accept", "application/vnd.kubernetes.protobuf;stream=watch")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
		return nil, fmt.Errorf("%s: %s", resp.Status, body)
	}
	return resp.Body, nil
}

// countWatchFrames reads a protobuf watch stream (frames of a 4-byte big-endian length and a WatchEvent in
// raw protobuf, whose field 1 is the type and field 2 the object) and calls each with every event's type
// until it returns false or the stream ends.
func countWatchFrames(r io.Reader, each func(typ string) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var size [4]byte
	var frame []byte
	for {
		if _, err := io.ReadFull(br, size[:]); err != nil {
			return err
		}
		n := int(size[0])<<24 | int(size[1])<<16 | int(size[2])<<8 | int(size[3])
		if cap(frame) < n {
			frame = make([]byte, n)
		}
		frame = frame[:n]
		if _, err := io.ReadFull(br, frame); err != nil {
			return err
		}
		typ, err := field(frame, 1, nil)
		if err != nil {
			return err
		}
		if !each(string(typ)) {
			return nil
		}
	}
}

// countWatchLines reads a JSON watch stream (one event per line, {"type":"ADDED","object":…}) and calls each
// with every event's type, read from the line's start without decoding the object, until it returns false
// or the stream ends.
func countWatchLines(r io.Reader, each func(typ string) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	prefix := []byte(`{"type":"`)
	var head []byte
	for {
		line, err := br.ReadSlice('\n')
		head = append(head[:0], line[:min(len(line), 64)]...) // the type is at the start
		for err == bufio.ErrBufferFull {                      // a long object: the rest of its line
			_, err = br.ReadSlice('\n')
		}
		if err != nil {
			return err
		}
		line = head
		if !bytes.HasPrefix(line, prefix) {
			return fmt.Errorf("not a watch event: %.80q", line)
		}
		typ, _, found := bytes.Cut(line[len(prefix):], []byte(`"`))
		if !found {
			return fmt.Errorf("not a watch event: %.80q", line)
		}
		if !each(string(typ)) {
			return nil
		}
	}
}
