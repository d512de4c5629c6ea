package options

import (
	"net/http"

	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/programming-kubernetes/cnat/pkg/apiserver/authnready"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/filters"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/portsharing"
)

// applyAvailability makes the server ready only when it can authenticate the aggregator's requests, and
// hand its connections over to the other replicas when it shuts down:
//   - /readyz/authentication-configuration fails, and requests are answered 503 with Retry-After, until the
//     front-proxy configuration is loaded (package authnready says why it is not at once);
//   - the TLS layer advertises the client CAs only once the front-proxy CA is among them;
//   - from SIGTERM on, responses close HTTP/1.1 connections (filters.WithConnectionHandover);
//   - with --permit-port-sharing, the listening socket leaves the port's group at SIGTERM (portsharing).
//
// Standalone there is no front-proxy configuration: the tracker is always ready.
func applyAvailability(c *genericapiserver.Config, shutdownInitiated <-chan struct{}, portSharing bool) {
	if portSharing && c.SecureServing != nil && c.SecureServing.Listener != nil {
		c.SecureServing.Listener = portsharing.LeaveOnShutdown(c.SecureServing.Listener, shutdownInitiated)
	}
	tracker := authnready.NewTracker(c.Authentication.RequestHeaderConfig)
	if c.SecureServing != nil {
		c.SecureServing.ClientCA = tracker.ClientCA(c.SecureServing.ClientCA)
	}
	c.AddReadyzChecks(tracker)
	buildChain := c.BuildHandlerChainFunc
	c.BuildHandlerChainFunc = func(apiHandler http.Handler, c *genericapiserver.Config) http.Handler {
		handler := buildChain(apiHandler, c)
		handler = filters.WithConnectionHandover(handler, shutdownInitiated)
		return filters.WithReadinessGate(handler, tracker.Ready, c.Serializer)
	}
}
