// Package filters holds cnat-apiserver's own HTTP filters, which wrap the generic server's handler chain.
package filters

import (
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
)

// retryAfterSeconds is what a refused request is told to wait: the window it waits out lasts well under a
// second, and client-go retries such an answer by itself (up to ten times).
const retryAfterSeconds = 1

// healthPaths are answered while the server is not ready: probes and monitoring must see why.
var healthPaths = []string{"/healthz", "/livez", "/readyz", "/metrics", "/version"}

// WithReadinessGate answers every request but health checks with 503 Service Unavailable and Retry-After
// while ready returns an error, instead of letting them through to authentication, where they would be
// refused as anonymous (401/403) — an answer clients do not retry.
//
// The answer also closes an HTTP/1.1 connection, so that a client behind a load balancer (or the aggregator,
// dialing the Service) retries on a fresh connection, which may reach a replica that is ready.
func WithReadinessGate(handler http.Handler, ready func() error, serializer runtime.NegotiatedSerializer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		err := ready()
		if err == nil || isHealthPath(req.URL.Path) {
			handler.ServeHTTP(w, req)
			return
		}
		status := apierrors.NewServiceUnavailable("cnat-apiserver is starting: " + err.Error())
		status.ErrStatus.Details = &metav1.StatusDetails{RetryAfterSeconds: retryAfterSeconds}
		if req.ProtoMajor == 1 {
			w.Header().Set("Connection", "close")
		}
		responsewriters.ErrorNegotiated(status, serializer, schema.GroupVersion{}, w, req)
	})
}

func isHealthPath(path string) bool {
	for _, p := range healthPaths {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}
