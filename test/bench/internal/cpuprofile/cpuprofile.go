// Package cpuprofile fetches CPU profiles from an API server's /debug/pprof/profile (the generic server serves
// it to admins while --profiling is on, the default) and writes them to files.
package cpuprofile

import (
	"context"
	"os"
	"strconv"

	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// Fetch profiles the server of config for the given seconds (the server takes that long to answer) and writes
// the profile to path.
func Fetch(ctx context.Context, config *rest.Config, seconds int, path string) error {
	config = rest.CopyConfig(config)
	config.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	client, err := rest.UnversionedRESTClientFor(config)
	if err != nil {
		return err
	}
	data, err := client.Get().AbsPath("/debug/pprof/profile").Param("seconds", strconv.Itoa(seconds)).DoRaw(ctx)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
