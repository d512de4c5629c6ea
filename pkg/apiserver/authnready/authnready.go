// Package authnready tells whether an aggregated server can authenticate the requests kube-apiserver's
// aggregator forwards to it, and keeps the server from answering as if every such request were anonymous
// before it can.
//
// In aggregated mode the front-proxy CA, the allowed client names and the header names come from the
// ConfigMap kube-system/extension-apiserver-authentication. k8s.io/apiserver reads the header names with a
// GET before the server starts, but loads the CA from an informer that only starts once the server serves:
// for the first few hundred milliseconds the front-proxy certificate is not trusted, and every forwarded
// request is "system:anonymous" (measured: 403 for 200–350 ms after each restart, some after /readyz already
// answered 200). Tracker is the readiness check and the gate that close that window.
package authnready

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"

	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
)

// CheckName is the name of the readiness check (/readyz/authentication-configuration).
const CheckName = "authentication-configuration"

// Tracker knows whether the request-header (front-proxy) configuration is loaded. A nil Tracker, or one
// without a request-header configuration (standalone, or --authentication-skip-lookup), is always ready.
type Tracker struct {
	requestHeader *authenticatorfactory.RequestHeaderConfig
	// loaded latches: once the configuration was complete, a later update (a rotated CA) never makes the
	// server refuse requests again. The CA controllers keep the last good content on errors anyway.
	loaded atomic.Bool
}

// NewTracker returns a tracker of the given request-header configuration (nil: nothing to wait for).
func NewTracker(requestHeader *authenticatorfactory.RequestHeaderConfig) *Tracker {
	return &Tracker{requestHeader: requestHeader}
}

// Ready returns nil once the front-proxy CA and the username headers are loaded, else why not.
func (t *Tracker) Ready() error {
	if t == nil || t.requestHeader == nil || t.loaded.Load() {
		return nil
	}
	rh := t.requestHeader
	if rh.CAContentProvider == nil || len(rh.CAContentProvider.CurrentCABundleContent()) == 0 {
		return fmt.Errorf("the front-proxy CA (requestheader-client-ca-file of kube-system/extension-apiserver-authentication) is not loaded yet")
	}
	if rh.UsernameHeaders == nil || len(rh.UsernameHeaders.Value()) == 0 {
		return fmt.Errorf("the front-proxy username headers (requestheader-username-headers of kube-system/extension-apiserver-authentication) are not loaded yet")
	}
	t.loaded.Store(true)
	return nil
}

// Name is the name of the readiness check.
func (t *Tracker) Name() string { return CheckName }

// Check is the readiness check: it fails until Ready.
func (t *Tracker) Check(*http.Request) error { return t.Ready() }

// ClientCA wraps the union of client CAs that the TLS layer advertises. It shows no CA at all until the
// front-proxy CA is loaded: a TLS server that lists acceptable CAs makes Go clients (the aggregator) send
// their certificate only if it matches one of them, so a list holding the cluster's client CA but not yet the
// front-proxy CA would make the aggregator connect without its certificate — and an HTTP connection is
// reused, so every request on it would stay anonymous. With no list, clients send their certificate anyway.
func (t *Tracker) ClientCA(clientCA dynamiccertificates.CAContentProvider) dynamiccertificates.CAContentProvider {
	if t == nil || t.requestHeader == nil || clientCA == nil {
		return clientCA
	}
	return &gatedCA{CAContentProvider: clientCA, tracker: t}
}

type gatedCA struct {
	dynamiccertificates.CAContentProvider
	tracker *Tracker
}

func (g *gatedCA) CurrentCABundleContent() []byte {
	if g.tracker.Ready() != nil {
		return nil
	}
	return g.CAContentProvider.CurrentCABundleContent()
}

// RunOnce and Run start the wrapped CA controllers: the serving code starts the controllers of the client CA
// it is given, and this wrapper is what it is given.
func (g *gatedCA) RunOnce(ctx context.Context) error {
	if runner, ok := g.CAContentProvider.(dynamiccertificates.ControllerRunner); ok {
		return runner.RunOnce(ctx)
	}
	return nil
}

func (g *gatedCA) Run(ctx context.Context, workers int) {
	if runner, ok := g.CAContentProvider.(dynamiccertificates.ControllerRunner); ok {
		runner.Run(ctx, workers)
	}
}
