package filters

import (
	"net/http"
	"strings"
)

// WithConnectionHandover makes a server that is shutting down hand its clients' HTTP/1.1 connections over
// to the other replicas while it still serves: once shutdownInitiated is closed, every response carries
// "Connection: close", so the client (kube-apiserver's aggregator, above all) finishes that request here and
// sends its next one on a new connection, which the Service — or, on one host, the kernel's SO_REUSEPORT
// balancing — gives to a replica that is not going away.
//
// This is what makes a rolling restart lossless. Without it the aggregator keeps sending requests on its
// open connections until the server closes them at the end of --shutdown-delay-duration; a request it
// writes in the moment the server closes the connection is lost, and the aggregator can retry neither a
// request whose body it forwards (creates, updates, patches) nor a connection an HTTP/2 GOAWAY refused.
// With "Connection: close" the client itself retires each connection after a complete exchange: nothing is
// ever in flight on a connection the server closes. HTTP/2 has no such per-response signal (its GOAWAY is
// the racy close above), which is why cnat-apiserver serves HTTP/1.1 in aggregated mode by default.
//
// A watch's connection is never reused, shutdown or not: a watch that started before the shutdown carries no
// "Connection: close", and when the server ends it at the shutdown its connection would go back to the
// client's pool at the very moment the server closes it. A connection per watch costs one handshake per
// watch (they last minutes).
func WithConnectionHandover(handler http.Handler, shutdownInitiated <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.ProtoMajor == 1 && (isWatch(req) || closed(shutdownInitiated)) {
			w.Header().Set("Connection", "close")
		}
		handler.ServeHTTP(w, req)
	})
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// isWatch tells a watch (?watch=true or =1, or the deprecated /watch/ paths) cheaply, before the request
// info is resolved: most requests have no query at all.
func isWatch(req *http.Request) bool {
	if strings.Contains(req.URL.Path, "/watch/") {
		return true
	}
	if !strings.Contains(req.URL.RawQuery, "watch=") {
		return false
	}
	v := req.URL.Query().Get("watch")
	return v == "true" || v == "1"
}
