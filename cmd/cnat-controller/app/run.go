package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/component-base/metrics/legacyregistry"
	// client-go's request latency and rate-limiter metrics, and the work queue's depth and latencies, on
	// /metrics as kube-controller-manager has them: where a slow At waited shows there.
	_ "k8s.io/component-base/metrics/prometheus/restclient"
	_ "k8s.io/component-base/metrics/prometheus/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/programming-kubernetes/cnat/pkg/controller"
	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	atinformers "github.com/programming-kubernetes/cnat/pkg/generated/informers/externalversions"
	"github.com/programming-kubernetes/cnat/pkg/logflags"
	cnatversion "github.com/programming-kubernetes/cnat/pkg/version"
)

// NewCommand returns the cnat-controller command.
func NewCommand(ctx context.Context) *cobra.Command {
	o := NewOptions()
	var versionFlag cnatversion.Flag
	cmd := &cobra.Command{
		Use:          "cnat-controller",
		Short:        "Runs each At of cnat.programming-kubernetes.info in a Pod when its schedule comes",
		SilenceUsage: true,
		RunE: func(c *cobra.Command, _ []string) error {
			if versionFlag.PrintIfRequested(c.OutOrStdout(), c.Name()) {
				return nil
			}
			if err := o.Validate(); err != nil {
				return err
			}
			klog.InfoS("Starting cnat-controller", "version", cnatversion.String())
			return Run(c.Context(), o)
		},
	}
	cmd.SetContext(ctx)
	o.AddFlags(cmd.Flags())
	versionFlag.AddFlag(cmd.Flags())
	logflags.AddFlags(cmd.PersistentFlags())
	return cmd
}

// Run serves /healthz and /metrics and runs the controller (while leader, with --leader-elect) until ctx
// ends.
func Run(ctx context.Context, o *Options) error {
	config, err := clientConfig(o.Kubeconfig)
	if err != nil {
		return err
	}
	config.QPS, config.Burst = o.QPS, o.Burst
	config.Dial = dialDiscardingUnsent(&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second})
	// Every request in protobuf (Pods, events and the Lease to kube-apiserver, Ats to cnat-apiserver): decoding
	// it costs the servers a fraction of JSON, which matters when many Ats are due at once. JSON stays
	// acceptable for anything without a protobuf form.
	protoConfig := rest.CopyConfig(config)
	protoConfig.ContentType = runtime.ContentTypeProtobuf
	protoConfig.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	kubeClient, err := kubernetes.NewForConfig(protoConfig)
	if err != nil {
		return err
	}
	atClient, err := versioned.NewForConfig(protoConfig)
	if err != nil {
		return err
	}

	healthz := leaderelection.NewLeaderHealthzAdaptor(20 * time.Second)
	metrics := controller.NewMetrics(legacyregistry.MustRegister)
	server, err := serveHealthAndMetrics(o.BindAddress, healthz)
	if err != nil {
		return err
	}
	defer shutdown(server)

	run := func(ctx context.Context) {
		if err := runController(ctx, o, atClient, kubeClient, metrics); err != nil {
			klog.FromContext(ctx).Error(err, "Controller stopped")
		}
	}
	if !o.LeaderElect {
		run(ctx)
		return nil
	}
	leaseLock, err := resourcelock.New(resourcelock.LeasesResourceLock, o.LeaseNS, o.LeaseName,
		kubeClient.CoreV1(), kubeClient.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: o.Identity})
	if err != nil {
		return err
	}
	lock := &renewTracker{Interface: leaseLock}
	lead := func(ctx context.Context) {
		// Acquiring the Lease was its first renewal (tracked); from now on no renewal within the renew
		// deadline ends the process, whatever client-go's elector is still waiting for.
		go fenceOnExpiry(ctx, lock, o.RenewDeadline, o.RetryPeriod/4, o.Identity, exitAtOnce)
		run(ctx)
	}
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   o.LeaseDuration,
		RenewDeadline:   o.RenewDeadline,
		RetryPeriod:     o.RetryPeriod,
		ReleaseOnCancel: true, // a graceful shutdown hands over at once instead of after the lease expires
		WatchDog:        healthz,
		Name:            controller.ControllerName,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: lead,
			OnStoppedLeading: func() { stoppedLeading(ctx, o.Identity, exitAtOnce) },
		},
	})
	if err != nil {
		return err
	}
	elector.Run(ctx)
	return nil
}

// stoppedLeading ends the process at once when the Lease was lost rather than released on shutdown (ctx
// done). client-go has cancelled the controller's context by then, but that does not wait for the workers:
// one between its cache lookup and its write would still create a Pod or write a status after another
// replica may have taken over. Exiting ends them all, and with dialDiscardingUnsent no request of theirs
// still queued in the kernel reaches kube-apiserver later (a leader cut off from it has its last requests
// there, delivered when the network heals). The Deployment starts the replica again, as a candidate.
func stoppedLeading(ctx context.Context, identity string, exit func(code int)) {
	if ctx.Err() != nil {
		klog.InfoS("Released the Lease on shutdown", "identity", identity)
		return
	}
	klog.ErrorS(nil, "Lost the Lease (could not renew it within the renew deadline): exiting at once so that nothing this replica started writes after another replica took over", "identity", identity)
	exit(1)
}

func exitAtOnce(code int) { klog.FlushAndExit(klog.ExitFlushTimeout, code) }

// dialDiscardingUnsent dials connections that are reset, not closed gracefully, when closed: what was
// written to one and not yet sent is dropped instead of being sent on by the kernel after the process has
// given it up or exited (an orphaned socket retransmits for minutes, so a request written while leading,
// during a partition, would otherwise be delivered when the partition heals, long after the Lease passed to
// another replica). Closing happens on idle or broken connections and at exit, never with an answer
// still wanted, so nothing else changes.
func dialDiscardingUnsent(dialer *net.Dialer) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			if err := tcp.SetLinger(0); err != nil {
				_ = conn.Close()
				return nil, fmt.Errorf("SO_LINGER 0 on the connection to %s: %w", address, err)
			}
		}
		return conn, nil
	}
}

func runController(ctx context.Context, o *Options, atClient versioned.Interface, kubeClient kubernetes.Interface, metrics *controller.Metrics) error {
	// Cached without what the controller never reads (controller.TrimForCache): what a waiting At costs is
	// what its cache entry holds.
	atFactory := atinformers.NewSharedInformerFactoryWithOptions(atClient, o.Resync, atinformers.WithTransform(controller.TrimForCache))
	// Only the Pods of Ats: a controller in a big cluster need not cache every Pod.
	podFactory := kubeinformers.NewSharedInformerFactoryWithOptions(kubeClient, o.Resync,
		kubeinformers.WithTweakListOptions(func(opts *metav1.ListOptions) { opts.LabelSelector = controller.AtLabel }),
		kubeinformers.WithTransform(controller.TrimForCache))
	c, err := controller.New(atClient, kubeClient, atFactory.Cnat().V1beta1().Ats(), podFactory.Core().V1().Pods(), metrics, clock.RealClock{})
	if err != nil {
		return err
	}
	atFactory.Start(ctx.Done())
	podFactory.Start(ctx.Done())
	defer atFactory.Shutdown()
	defer podFactory.Shutdown()
	return c.Run(ctx, o.Workers)
}

// clientConfig is the kubeconfig's, or in a cluster the Pod's. Its errors name --kubeconfig: clientcmd's
// own ("invalid configuration: no configuration has been provided") do not say where it came from.
func clientConfig(kubeconfig string) (*rest.Config, error) {
	var config *rest.Config
	var err error
	if kubeconfig == "" {
		if config, err = rest.InClusterConfig(); err != nil {
			return nil, fmt.Errorf("--kubeconfig not given and not running in a cluster: %w", err)
		}
	} else if config, err = clientcmd.BuildConfigFromFlags("", kubeconfig); err != nil {
		return nil, fmt.Errorf("--kubeconfig %s: %w", kubeconfig, err)
	}
	// The controller speaks v1beta1, which every cnat-apiserver release it may meet during an upgrade
	// serves (1.0 has no v1); from 1.1 on each of its requests carries v1beta1's deprecation warning: said
	// once in the log, not once per request.
	config.WarningHandler = rest.NewWarningWriter(os.Stderr, rest.WarningWriterOptions{Deduplicate: true})
	return config, nil
}

// serveHealthAndMetrics listens before it returns, so that an address that cannot be listened on (in use,
// not this machine's) stops the start with an error naming --bind-address instead of a controller running
// without its health check.
func serveHealthAndMetrics(addr string, leader *leaderelection.HealthzAdaptor) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		// Unhealthy when leading but unable to renew the Lease: a restart lets another replica take over.
		if err := leader.Check(r); err != nil {
			http.Error(w, "leader election: "+err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux.Handle("/metrics", legacyregistry.Handler())
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--bind-address %s: %w", addr, err)
	}
	server := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			klog.ErrorS(err, "Health and metrics server failed", "address", addr)
		}
	}()
	return server, nil
}

func shutdown(server *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = server.Shutdown(ctx)
}
