package options

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	genericoptions "k8s.io/apiserver/pkg/server/options"
	cliflag "k8s.io/component-base/cli/flag"
)

// validateFlagValues checks, with messages that name the flag, the values the generic server parses only
// when it builds its configuration (after the embedded etcd has started), or not at all before it dials or
// writes: there its errors name no flag ("Cipher suite garbage not supported", "mkdir …: not a directory"),
// or it waits for an etcd at "garbage" until the storage initialization times out.
func (o *Options) validateFlagValues() []error {
	ro := o.RecommendedOptions
	var errs []error
	add := func(flag string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("--%s: %w", flag, err))
		}
	}
	serving := ro.SecureServing
	_, err := cliflag.TLSCipherSuites(serving.CipherSuites)
	add("tls-cipher-suites", err)
	_, err = cliflag.TLSVersion(serving.MinTLSVersion)
	add("tls-min-version", err)
	_, err = cliflag.TLSCurvePreferences(serving.CurvePreferences)
	add("tls-curve-preferences", err)
	_, err = genericoptions.ParseWatchCacheSizes(ro.Etcd.WatchCacheSizes)
	add("watch-cache-sizes", err)
	for _, server := range ro.Etcd.StorageConfig.Transport.ServerList {
		add("etcd-servers", checkEtcdURL(server))
	}
	add("data-dir", checkCreatableDir(o.DataDir))
	if ro.Audit != nil && ro.Audit.LogOptions.Path != "" && ro.Audit.LogOptions.Path != "-" {
		add("audit-log-path", checkCreatableDir(filepath.Dir(ro.Audit.LogOptions.Path)))
	}
	return errs
}

// checkEtcdURL accepts what etcd's client dials: http(s) URLs with a host, or unix sockets.
func checkEtcdURL(server string) error {
	u, err := url.Parse(server)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return fmt.Errorf("%q has no host: want a URL such as https://10.0.0.1:2379", server)
		}
	case "unix", "unixs":
	default:
		return fmt.Errorf("%q is not a URL of etcd: want http://, https:// or unix://, such as https://10.0.0.1:2379", server)
	}
	return nil
}

// checkCreatableDir accepts a directory, or a path where one can be made: its nearest existing ancestor is
// a directory.
func checkCreatableDir(dir string) error {
	if dir == "" {
		return nil // each flag says itself whether empty means something
	}
	for path := dir; ; path = filepath.Dir(path) {
		info, err := os.Stat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && filepath.Dir(path) != path:
			continue
		case err != nil:
			return fmt.Errorf("%s: %w", dir, err)
		case !info.IsDir():
			return fmt.Errorf("%s: %s is not a directory", dir, path)
		}
		return nil
	}
}
