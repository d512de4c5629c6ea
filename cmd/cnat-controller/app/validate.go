package app

import (
	"fmt"
	"math"
	"net"
	"strconv"

	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/leaderelection"
)

// maxWorkers bounds --workers: each worker is a goroutine started at once, and beyond a few thousand they
// only wait on the API servers' rate limits (--kube-api-qps) while a huge value exhausts memory.
const maxWorkers = 10000

// Validate checks the options before anything starts; each error names its flag.
func (o *Options) Validate() error {
	var errs []error
	// NaN and ±Inf parse as float32: NaN > 0 is false, +Inf would disable rate limiting altogether.
	if !(o.QPS > 0) || math.IsInf(float64(o.QPS), 0) {
		errs = append(errs, fmt.Errorf("--kube-api-qps %v must be a positive number", o.QPS))
	}
	if o.Burst < 1 {
		errs = append(errs, fmt.Errorf("--kube-api-burst %d must be at least 1", o.Burst))
	}
	if o.Workers < 1 || o.Workers > maxWorkers {
		errs = append(errs, fmt.Errorf("--workers %d must be between 1 and %d", o.Workers, maxWorkers))
	}
	if o.Resync < 0 {
		errs = append(errs, fmt.Errorf("--resync-period %v must be 0 (never) or positive", o.Resync))
	}
	if err := validateBindAddress(o.BindAddress); err != nil {
		errs = append(errs, fmt.Errorf("--bind-address %q: %w", o.BindAddress, err))
	}
	if o.LeaderElect {
		errs = append(errs, o.validateLeaderElection()...)
	}
	return utilerrors.NewAggregate(errs)
}

// validateBindAddress accepts host:port with a port from 0 (any free one) to 65535; an empty host listens
// on every interface.
func validateBindAddress(address string) error {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("want host:port, e.g. :8080 or 127.0.0.1:8080: %w", err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q must be a number from 0 to 65535", port)
	}
	if host != "" && net.ParseIP(host) == nil {
		if errs := validation.IsDNS1123Subdomain(host); len(errs) != 0 {
			return fmt.Errorf("host %q is neither an IP address nor a host name", host)
		}
	}
	return nil
}

// validateLeaderElection checks the Lease's name and the timings leaderelection.NewLeaderElector would
// refuse later, in messages that name no flag.
func (o *Options) validateLeaderElection() []error {
	var errs []error
	if msgs := validation.IsDNS1123Label(o.LeaseNS); len(msgs) != 0 {
		errs = append(errs, fmt.Errorf("--leader-elect-resource-namespace %q is not a namespace name: %s", o.LeaseNS, msgs[0]))
	}
	if msgs := validation.IsDNS1123Subdomain(o.LeaseName); len(msgs) != 0 {
		errs = append(errs, fmt.Errorf("--leader-elect-resource-name %q is not a Lease name: %s", o.LeaseName, msgs[0]))
	}
	if o.Identity == "" {
		errs = append(errs, fmt.Errorf("--leader-elect-identity must not be empty"))
	}
	for _, d := range []struct {
		flag  string
		value any
		ok    bool
	}{
		{"leader-elect-lease-duration", o.LeaseDuration, o.LeaseDuration > 0},
		{"leader-elect-renew-deadline", o.RenewDeadline, o.RenewDeadline > 0},
		{"leader-elect-retry-period", o.RetryPeriod, o.RetryPeriod > 0},
	} {
		if !d.ok {
			errs = append(errs, fmt.Errorf("--%s %v must be positive", d.flag, d.value))
		}
	}
	if len(errs) != 0 {
		return errs
	}
	jitteredRetry := float64(o.RetryPeriod) * leaderelection.JitterFactor
	if !(o.LeaseDuration > o.RenewDeadline && float64(o.RenewDeadline) > jitteredRetry) {
		errs = append(errs, fmt.Errorf("--leader-elect-lease-duration %v, --leader-elect-renew-deadline %v, --leader-elect-retry-period %v: "+
			"leader election needs lease duration > renew deadline > %v × retry period", o.LeaseDuration, o.RenewDeadline, o.RetryPeriod,
			leaderelection.JitterFactor))
	} else if o.RenewDeadline+o.RetryPeriod >= o.LeaseDuration {
		// A leader cut off from kube-apiserver gives up (and exits) at the latest a retry period plus the renew
		// deadline after its last renewal; the other replicas may take the Lease a lease duration after they
		// saw that renewal. Only with the first before the second are two leaders never acting at once.
		errs = append(errs, fmt.Errorf("--leader-elect-lease-duration %v, --leader-elect-renew-deadline %v, --leader-elect-retry-period %v: "+
			"a leader cut off must give up before another may take the Lease: renew deadline + retry period must be less than the lease duration",
			o.LeaseDuration, o.RenewDeadline, o.RetryPeriod))
	}
	return errs
}
