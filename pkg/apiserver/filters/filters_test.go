package filters

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

// codecs know Status, as the server's do.
var codecs = func() serializer.CodecFactory {
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	return serializer.NewCodecFactory(scheme)
}()

func served(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }

func TestReadinessGate(t *testing.T) {
	var notReady error = errors.New("the front-proxy CA is not loaded yet")
	ready := func() error { return notReady }
	h := WithReadinessGate(http.HandlerFunc(served), ready, codecs)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/apis/cnat.programming-kubernetes.info/v1beta1/namespaces/x/ats", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" || rec.Header().Get("Connection") != "close" {
		t.Errorf("not ready: %d, Retry-After %q, Connection %q; want 503, 1, close", rec.Code, rec.Header().Get("Retry-After"), rec.Header().Get("Connection"))
	}
	var status metav1.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &status); err != nil || status.Reason != metav1.StatusReasonServiceUnavailable ||
		!strings.Contains(status.Message, "front-proxy CA") {
		t.Errorf("not ready: body %s (%v), want a Status saying why", rec.Body, err)
	}

	for _, path := range []string{"/readyz", "/readyz/authentication-configuration", "/livez", "/healthz", "/metrics", "/version"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusTeapot {
			t.Errorf("%s while not ready: %d, want it served", path, rec.Code)
		}
	}

	notReady = nil
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/apis", nil))
	if rec.Code != http.StatusTeapot {
		t.Errorf("ready: %d, want it served", rec.Code)
	}
}

func TestConnectionHandover(t *testing.T) {
	shutdown := make(chan struct{})
	h := WithConnectionHandover(http.HandlerFunc(served), shutdown)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/apis", nil))
	if got := rec.Header().Get("Connection"); got != "" {
		t.Errorf("before shutdown: Connection %q, want none", got)
	}

	close(shutdown)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/apis", nil))
	if got := rec.Header().Get("Connection"); got != "close" || rec.Code != http.StatusTeapot {
		t.Errorf("shutting down: %d, Connection %q; want it served with close", rec.Code, got)
	}

	http2 := httptest.NewRequest(http.MethodGet, "/apis", nil)
	http2.ProtoMajor, http2.ProtoMinor = 2, 0
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, http2)
	if got := rec.Header().Get("Connection"); got != "" {
		t.Errorf("HTTP/2 while shutting down: Connection %q, want none (it would be a GOAWAY)", got)
	}
}

// A watch's connection is closed when the watch ends, shutdown or not: it would otherwise go back to the
// client's pool just as a shutting-down server closes it.
func TestWatchConnectionsAreNotReused(t *testing.T) {
	h := WithConnectionHandover(http.HandlerFunc(served), make(chan struct{}))
	for target, wantClose := range map[string]bool{
		"/apis/cnat.programming-kubernetes.info/v1beta1/namespaces/x/ats?watch=true&resourceVersion=5": true,
		"/apis/cnat.programming-kubernetes.info/v1beta1/watch/namespaces/x/ats":                        true,
		"/apis/cnat.programming-kubernetes.info/v1beta1/namespaces/x/ats?watch=false":                  false,
		"/apis/cnat.programming-kubernetes.info/v1beta1/namespaces/x/ats?labelSelector=watch%3Dtrue":   false,
		"/apis/cnat.programming-kubernetes.info/v1beta1/namespaces/x/ats":                              false,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		if got := rec.Header().Get("Connection") == "close"; got != wantClose {
			t.Errorf("%s: Connection: close %t, want %t", target, got, wantClose)
		}
	}
}
