// Package app is the cnat-controller command: flags, clients, leader election, health and metrics.
package app

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/uuid"
)

// Options are cnat-controller's flags.
type Options struct {
	Kubeconfig  string
	QPS         float32
	Burst       int
	Workers     int
	BindAddress string
	Resync      time.Duration

	LeaderElect   bool
	LeaseNS       string
	LeaseName     string
	Identity      string
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	host, _ := os.Hostname()
	return &Options{
		QPS:           2000,
		Burst:         2000,
		Workers:       64,
		BindAddress:   ":8080",
		Resync:        0,
		LeaderElect:   true,
		LeaseNS:       "cnat-system",
		LeaseName:     "cnat-controller",
		Identity:      fmt.Sprintf("%s_%s", host, uuid.NewUUID()),
		LeaseDuration: 15 * time.Second,
		RenewDeadline: 10 * time.Second,
		RetryPeriod:   2 * time.Second,
	}
}

// AddFlags adds the flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Kubeconfig of the cluster (with the cnat API aggregated); in-cluster config when empty.")
	fs.Float32Var(&o.QPS, "kube-api-qps", o.QPS, "Requests per second to the API servers (Pods, Ats, events); many Ats due at once need many.")
	fs.IntVar(&o.Burst, "kube-api-burst", o.Burst, "Burst of requests to the API servers above --kube-api-qps.")
	fs.IntVar(&o.Workers, "workers", o.Workers, fmt.Sprintf("Ats synced in parallel (1 to %d).", maxWorkers))
	fs.StringVar(&o.BindAddress, "bind-address", o.BindAddress, "Address (host:port) of the HTTP server for /healthz and /metrics.")
	fs.DurationVar(&o.Resync, "resync-period", o.Resync, "How often every At and Pod is looked at again even without a change; 0 (the default) for never: changes come as events, schedules as timers, and a stepped wall clock is noticed on its own. A resync queues every At at once, ahead of those falling due.")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "Run only while holding the Lease, so that replicas never act twice.")
	fs.StringVar(&o.LeaseNS, "leader-elect-resource-namespace", o.LeaseNS, "Namespace of the leader election Lease.")
	fs.StringVar(&o.LeaseName, "leader-elect-resource-name", o.LeaseName, "Name of the leader election Lease.")
	fs.StringVar(&o.Identity, "leader-elect-identity", o.Identity, "This replica's identity in the Lease.")
	fs.DurationVar(&o.LeaseDuration, "leader-elect-lease-duration", o.LeaseDuration, "How long a Lease lasts without renewal.")
	fs.DurationVar(&o.RenewDeadline, "leader-elect-renew-deadline", o.RenewDeadline, "How long the leader tries to renew before it gives up.")
	fs.DurationVar(&o.RetryPeriod, "leader-elect-retry-period", o.RetryPeriod, "How often candidates try to acquire or renew the Lease.")
}
