package options

import (
	"fmt"
	"strings"
)

// aggregatedOnlyFlags configure what a standalone server does not do: delegate authentication to a cluster
// (it authenticates client certificates of its own CA, <data-dir>/pki) and classify requests with the
// cluster's API Priority and Fairness. Standalone they would be silently ignored, and an operator who gives
// --client-ca-file believes the server trusts that CA; so a standalone server refuses them.
var aggregatedOnlyFlags = []string{
	"authentication-kubeconfig",
	"authentication-skip-lookup",
	"authentication-token-webhook-cache-ttl",
	"authentication-tolerate-lookup-failure",
	"client-ca-file",
	"requestheader-allowed-names",
	"requestheader-client-ca-file",
	"requestheader-extra-headers-prefix",
	"requestheader-group-headers",
	"requestheader-uid-headers",
	"requestheader-username-headers",
	"enable-priority-and-fairness",
}

// validateStandaloneFlags refuses, standalone, the flags only aggregated mode uses.
func (o *Options) validateStandaloneFlags() []error {
	if !o.standalone || o.flags == nil {
		return nil
	}
	var given []string
	for _, name := range aggregatedOnlyFlags {
		if f := o.flags.Lookup(name); f != nil && f.Changed {
			given = append(given, "--"+name)
		}
	}
	if len(given) == 0 {
		return nil
	}
	return []error{fmt.Errorf("%s: only used in aggregated mode (--kubeconfig, or in a cluster); standalone, "+
		"cnat-apiserver authenticates client certificates of its own CA in <data-dir>/pki", strings.Join(given, ", "))}
}
