package apiserver

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"

	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1alpha1"
	"github.com/programming-kubernetes/cnat/pkg/apis/cnat/v1beta1"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
)

// protobufClient is the generated clientset told to send protobuf and to prefer it in answers (JSON stays
// acceptable for what has no protobuf form), as docs/performance.md describes. When the test ends it checks
// that every request and answer was protobuf.
func protobufClient(t *testing.T) versioned.Interface {
	t.Helper()
	config := rest.CopyConfig(server.Config)
	config.ContentType = runtime.ContentTypeProtobuf
	config.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	seen := &contentTypes{}
	config.Wrap(func(rt http.RoundTripper) http.RoundTripper { return seen.wrap(rt) })
	client, err := versioned.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		seen.mu.Lock()
		defer seen.mu.Unlock()
		if len(seen.all) == 0 {
			t.Error("no request went through the client")
		}
		for _, m := range seen.all {
			if !strings.HasPrefix(m.contentType, runtime.ContentTypeProtobuf) {
				t.Errorf("not protobuf on the wire: %s: %s", m.what, m.contentType)
			}
		}
	})
	return client
}

// contentTypes records the Content-Type of every request body and answer that passes through.
type contentTypes struct {
	mu  sync.Mutex
	all []message
}

type message struct{ what, contentType string }

func (c *contentTypes) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(req)
		c.mu.Lock()
		defer c.mu.Unlock()
		if req.Body != nil {
			c.all = append(c.all, message{"request " + req.Method + " " + req.URL.Path, req.Header.Get("Content-Type")})
		}
		if err == nil {
			c.all = append(c.all, message{"answer to " + req.Method + " " + req.URL.Path, resp.Header.Get("Content-Type")})
		}
		return resp, err
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// nextEvent waits for the next event of w.
func nextEvent(t *testing.T, w watch.Interface) watch.Event {
	t.Helper()
	select {
	case ev, ok := <-w.ResultChan():
		if !ok {
			t.Fatal("watch closed")
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatal("no watch event in 30s")
	}
	return watch.Event{}
}

func TestProtobufClientV1beta1(t *testing.T) {
	ns := namespace(t)
	ats := protobufClient(t).CnatV1beta1().Ats(ns)

	w, err := ats.Watch(ctx(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	created, err := ats.Create(ctx(), newAt("beta"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, w); ev.Type != watch.Added || ev.Object.(*v1beta1.At).Name != "beta" {
		t.Fatalf("first event: %s %#v", ev.Type, ev.Object)
	}

	got, err := ats.Get(ctx(), "beta", metav1.GetOptions{})
	if err != nil || got.UID != created.UID || got.Spec.Image != "alpine:3.20" || len(got.Spec.Command) != 2 ||
		!got.Spec.Schedule.Equal(&future) {
		t.Fatalf("get: %v %+v", err, got)
	}
	list, err := ats.List(ctx(), metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 || list.Items[0].UID != created.UID {
		t.Fatalf("list: %v %+v", err, list)
	}

	got.Status.Phase, got.Status.PodName = v1beta1.AtRunning, "beta-pod"
	started := metav1.NewTime(time.Now().Truncate(time.Second))
	got.Status.StartTime = &started
	updated, err := ats.UpdateStatus(ctx(), got, metav1.UpdateOptions{})
	if err != nil || updated.Status.Phase != v1beta1.AtRunning || !updated.Status.StartTime.Equal(&started) {
		t.Fatalf("update status: %v %+v", err, updated)
	}
	ev := nextEvent(t, w)
	if at, ok := ev.Object.(*v1beta1.At); ev.Type != watch.Modified || !ok || at.Status.PodName != "beta-pod" {
		t.Fatalf("status event: %s %#v", ev.Type, ev.Object)
	}
}

func TestProtobufClientV1alpha1(t *testing.T) {
	ns := namespace(t)
	ats := protobufClient(t).CnatV1alpha1().Ats(ns)

	w, err := ats.Watch(ctx(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	book := &v1alpha1.At{
		ObjectMeta: metav1.ObjectMeta{Name: "alpha"},
		Spec:       v1alpha1.AtSpec{Schedule: "2099-01-01T00:00:00Z", Command: "echo YAY"},
	}
	created, err := ats.Create(ctx(), book, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, w); ev.Type != watch.Added || ev.Object.(*v1alpha1.At).Spec.Command != "echo YAY" {
		t.Fatalf("first event: %s %#v", ev.Type, ev.Object)
	}

	got, err := ats.Get(ctx(), "alpha", metav1.GetOptions{})
	if err != nil || got.UID != created.UID || got.Spec != book.Spec || got.Status.Phase != v1alpha1.PhasePending {
		t.Fatalf("get: %v %+v", err, got)
	}
	list, err := ats.List(ctx(), metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 || list.Items[0].Spec != book.Spec {
		t.Fatalf("list: %v %+v", err, list)
	}

	got.Status.Phase = v1alpha1.PhaseRunning
	updated, err := ats.UpdateStatus(ctx(), got, metav1.UpdateOptions{})
	if err != nil || updated.Status.Phase != v1alpha1.PhaseRunning {
		t.Fatalf("update status: %v %+v", err, updated)
	}
	ev := nextEvent(t, w)
	if at, ok := ev.Object.(*v1alpha1.At); ev.Type != watch.Modified || !ok || at.Status.Phase != v1alpha1.PhaseRunning {
		t.Fatalf("status event: %s %#v", ev.Type, ev.Object)
	}
	// The same At in v1beta1 (read as JSON) agrees: nothing was lost on the protobuf path.
	beta, err := server.Client.CnatV1beta1().Ats(ns).Get(ctx(), "alpha", metav1.GetOptions{})
	if err != nil || beta.Status.Phase != v1beta1.AtRunning || len(beta.Spec.Command) != 3 {
		t.Fatalf("v1beta1 view: %v %+v", err, beta)
	}
}
