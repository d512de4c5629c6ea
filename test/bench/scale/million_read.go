package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/test/bench/internal/atstore"
	"github.com/programming-kubernetes/cnat/test/bench/internal/workload"
)

// listCount lists everything at path in the media type accept and counts the items without decoding them
// (a client decoding a million typed objects would measure itself): the protobuf list's items by their
// field tags, the JSON list's by a streaming decoder. It returns the items, the body's bytes and the time of
// the list that answered (not of the 429s before it).
func listCount(ctx context.Context, config *rest.Config, path, accept string) (int, int64, time.Duration, error) {
	// A server whose watch cache is (re)initializing answers 429 with a Retry-After: kube-apiserver does so
	// for a while after its start with hundreds of thousands of CRD objects, though it serves watches.
	deadline := time.Now().Add(15 * time.Minute)
	for {
		began := time.Now()
		items, n, retry, err := listCountOnce(ctx, config, path, accept)
		if retry == 0 || time.Now().After(deadline) {
			return items, n, time.Since(began), err
		}
		progress("%s: %s; again in %s", path, http.StatusText(http.StatusTooManyRequests), retry)
		time.Sleep(retry)
	}
}

// listCountOnce is one list of listCount, and how long to wait before the next if the server asked for one.
func listCountOnce(ctx context.Context, config *rest.Config, path, accept string) (int, int64, time.Duration, error) {
	client, err := rest.HTTPClientFor(config)
	if err != nil {
		return 0, 0, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(config.Host, "/")+path, nil)
	if err != nil {
		return 0, 0, 0, err
	}
	req.Header.Set("Accept", accept)
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		var retry time.Duration
		if resp.StatusCode == http.StatusTooManyRequests {
			seconds, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			retry = time.Duration(max(seconds, 1)) * time.Second
		}
		return 0, 0, retry, fmt.Errorf("%s: %s: %s", path, resp.Status, body)
	}
	counted := &countingReader{r: resp.Body}
	var items int
	if strings.Contains(accept, "protobuf") {
		body, err := io.ReadAll(counted)
		if err != nil {
			return 0, 0, 0, err
		}
		items, err = countProtobufItems(body)
		if err != nil {
			return 0, 0, 0, err
		}
	} else if items, err = countJSONItems(counted); err != nil {
		return 0, 0, 0, err
	}
	return items, counted.n, 0, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// countProtobufItems counts the items of a list in Kubernetes' protobuf: "k8s\x00", a runtime.Unknown whose
// field 2 (raw) is the list, whose field 2 is each item.
func countProtobufItems(body []byte) (int, error) {
	raw, ok := bytes.CutPrefix(body, []byte("k8s\x00"))
	if !ok {
		return 0, fmt.Errorf("not Kubernetes protobuf")
	}
	list, err := field(raw, 2, nil)
	if err != nil {
		return 0, err
	}
	items := 0
	_, err = field(list, 2, func() { items++ })
	return items, err
}

// field returns the last value of length-delimited field num of a protobuf message, calling each (if not
// nil) once per occurrence.
func field(msg []byte, num protowire.Number, each func()) ([]byte, error) {
	var last []byte
	for len(msg) > 0 {
		n, typ, l := protowire.ConsumeTag(msg)
		if l < 0 {
			return nil, protowire.ParseError(l)
		}
		msg = msg[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(msg)
			if l < 0 {
				return nil, protowire.ParseError(l)
			}
			last = v
			if each != nil {
				each()
			}
			msg = msg[l:]
			continue
		}
		l = protowire.ConsumeFieldValue(n, typ, msg)
		if l < 0 {
			return nil, protowire.ParseError(l)
		}
		msg = msg[l:]
	}
	return last, nil
}

// countJSONItems counts the elements of a JSON list's "items" as they stream by.
func countJSONItems(r io.Reader) (int, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	if _, err := dec.Token(); err != nil { // {
		return 0, err
	}
	items := 0
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return 0, err
		}
		if key != "items" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return 0, err
			}
			continue
		}
		if _, err := dec.Token(); err != nil { // [
			return 0, err
		}
		for dec.More() {
			var item json.RawMessage
			if err := dec.Decode(&item); err != nil {
				return 0, err
			}
			items++
		}
		if _, err := dec.Token(); err != nil { // ]
			return 0, err
		}
	}
	return items, nil
}

// compareLoaded reads At i (loaded into etcd) and At 0 (created through the API) through the aggregator and
// requires them to be the same but for what differs from one At to the next.
func compareLoaded(ctx context.Context, client versioned.Interface, ns string, i int) (string, error) {
	ats := client.CnatV1beta1().Ats(ns)
	viaAPI, err := ats.Get(ctx, atstore.ObjectName(0), metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	loaded, err := ats.Get(ctx, atstore.ObjectName(i), metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("the loaded At %s: %w", atstore.ObjectName(i), err)
	}
	a, b := normalized(viaAPI), normalized(loaded)
	if !apiequality.Semantic.DeepEqual(a, b) {
		return "", fmt.Errorf("the loaded At %s differs from %s, created through the API:\n%+v\n%+v", loaded.Name, viaAPI.Name, b, a)
	}
	return fmt.Sprintf("GET %s (loaded) = GET %s (created through the API) but for name, uid, creationTimestamp, resourceVersion, managedFields' time, the command's number",
		loaded.Name, viaAPI.Name), nil
}

func normalized(at *v1beta1.At) *v1beta1.At {
	at = at.DeepCopy()
	at.Name, at.UID, at.ResourceVersion, at.CreationTimestamp = "", "", "", metav1.Time{}
	for i := range at.ManagedFields {
		at.ManagedFields[i].Time = nil
	}
	if n := len(at.Spec.Command); n > 0 {
		at.Spec.Command[n-1] = ""
	}
	return at
}

// paginate lists the namespace in pages of limit and times each page: the first pages of it (all if pages is
// 0; then there must be want items).
func paginate(ctx context.Context, client versioned.Interface, ns string, limit, pages, want int) (workload.Result, error) {
	ats := client.CnatV1beta1().Ats(ns)
	var latencies []time.Duration
	began, total, next := time.Now(), 0, ""
	for {
		start := time.Now()
		page, err := ats.List(ctx, metav1.ListOptions{Limit: int64(limit), Continue: next})
		if err != nil {
			return workload.Result{}, fmt.Errorf("page %d: %w", len(latencies)+1, err)
		}
		latencies = append(latencies, time.Since(start))
		total += len(page.Items)
		if len(latencies)%200 == 0 {
			progress("cnat: %d pages of %d", len(latencies), limit)
		}
		if next = page.Continue; next == "" || len(latencies) == pages {
			break
		}
	}
	if pages == 0 {
		if err := atstore.MustCount(total, want); err != nil {
			return workload.Result{}, fmt.Errorf("pages: %w", err)
		}
	}
	slices.Sort(latencies)
	return workload.Result{Elapsed: time.Since(began), Latencies: latencies}, nil
}

// metricsText is a server's /metrics.
func metricsText(ctx context.Context, config *rest.Config) ([]byte, error) {
	client, err := rawClient(config)
	if err != nil {
		return nil, err
	}
	return client.Get().AbsPath("/metrics").DoRaw(ctx)
}

// metricSum is the sum of a metric's samples whose labels contain each of labels (e.g. the resource).
func metricSum(text []byte, name string, labels ...string) float64 {
	var sum float64
	for line := range strings.SplitSeq(string(text), "\n") {
		rest, ok := strings.CutPrefix(line, name+"{")
		if !ok {
			continue
		}
		have, value, ok := strings.Cut(rest, "} ")
		if !ok || !containsAll(have, labels) {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
			sum += v
		}
	}
	return sum
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// startToCheck is, from cnat-apiserver's current log, the time from its "Starting cnat-apiserver" line to its
// "Stored versions checked" line: its setup and the stored-versions check, which reads every At.
func startToCheck(runDir string) (time.Duration, error) {
	log, err := os.ReadFile(filepath.Join(runDir, "logs", "cnat-apiserver.log"))
	if err != nil {
		return 0, err
	}
	var started, checked time.Time
	for line := range strings.SplitSeq(string(log), "\n") {
		var at *time.Time
		switch {
		case strings.Contains(line, `"Starting cnat-apiserver"`):
			at = &started
		case strings.Contains(line, `"Stored versions checked"`):
			at = &checked
		default:
			continue
		}
		// klog: Lmmdd hh:mm:ss.uuuuuu
		if len(line) < 21 {
			continue
		}
		t, err := time.Parse("0102 15:04:05.000000", line[1:21])
		if err == nil && at.IsZero() {
			*at = t
		}
	}
	if started.IsZero() || checked.IsZero() {
		return 0, fmt.Errorf("no start or stored-versions line in cnat-apiserver's log")
	}
	return checked.Sub(started), nil
}
