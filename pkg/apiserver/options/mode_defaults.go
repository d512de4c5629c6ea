package options

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// Defaults of aggregated mode, where cnat-apiserver runs as replicas behind kube-apiserver's aggregator and is
// upgraded by rolling them. Standalone stops at once on Ctrl-C: no shutdown delay, HTTP/2, and open watches
// (kubectl get --watch) ended within a second rather than holding the stop for the 60s shutdown timeout.
//
// They fit the Deployment's terminationGracePeriodSeconds of 90 (artifacts/deploy/server): on SIGTERM the
// server fails /readyz and keeps serving for the shutdown delay while the endpoints controller takes the
// terminating Pod out of the Service and the aggregator moves its connections to the other replicas (every
// response carries "Connection: close" meanwhile); then it stops listening, finishes the requests in flight
// (at most --request-timeout, 60s, and in practice well under a second) and ends its watches within the
// watch grace period, so that clients re-establish them on another replica rather than at the request
// timeout. 10s + max(60s, 15s) < 90s: the kubelet's SIGKILL never cuts a request short.
const (
	aggregatedShutdownDelay      = 10 * time.Second
	aggregatedWatchTerminationGP = 15 * time.Second
	standaloneWatchTerminationGP = time.Second
)

// aggregatedDefaults are the flags whose default differs in aggregated mode, with that default.
var aggregatedDefaults = map[string]string{
	"shutdown-delay-duration":                 aggregatedShutdownDelay.String(),
	"shutdown-watch-termination-grace-period": aggregatedWatchTerminationGP.String(),
	// HTTP/1.1 towards the aggregator: a connection is handed over to another replica after a complete
	// exchange ("Connection: close" while shutting down), and each new connection is balanced on its own.
	// Over HTTP/2 the aggregator sends everything on one connection to one replica, and the only way to move
	// it is a GOAWAY, which loses the requests in flight on the wire at that moment (the aggregator cannot
	// resend a request body it forwards). See pkg/apiserver/filters/connection_handover.go.
	"disable-http2-serving": "true",
	// kube-apiserver's API Priority and Fairness has already classified and queued every request its
	// aggregator forwards; classifying it again here costs CPU on every request and protects nothing the
	// max-in-flight limits (--max-requests-inflight, --max-mutating-requests-inflight) do not.
	"enable-priority-and-fairness": "false",
}

// standaloneDefaults are the flags whose default differs standalone, with that default.
var standaloneDefaults = map[string]string{
	"shutdown-watch-termination-grace-period": standaloneWatchTerminationGP.String(),
}

// describeModeDefaults says in each flag's help what its default is in each mode.
func describeModeDefaults(fs *pflag.FlagSet) {
	for name, aggregated := range aggregatedDefaults {
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		standalone := f.DefValue
		if v, ok := standaloneDefaults[name]; ok {
			standalone = v
		}
		f.Usage += fmt.Sprintf(" cnat-apiserver: defaults to %s in aggregated mode, %s standalone.", aggregated, standalone)
	}
}

// applyModeDefaults sets the defaults of the server's mode for the flags that were not given.
func (o *Options) applyModeDefaults(standalone bool) {
	if o.flags == nil {
		return
	}
	defaults := aggregatedDefaults
	if standalone {
		defaults = standaloneDefaults
	}
	for name, value := range defaults {
		if f := o.flags.Lookup(name); f != nil && !f.Changed {
			// The value is one the flag parses; the flag still reads as not given.
			_ = f.Value.Set(value)
		}
	}
}
