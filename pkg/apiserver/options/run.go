package options

import (
	"context"
	"fmt"
	"net"
	"strconv"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/klog/v2"

	"github.com/programming-kubernetes/cnat/pkg/apiserver"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/standalone"
)

// Run starts the embedded etcd (if any) and the server, and serves until ctx ends.
func (o *Options) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.embeddedEtcd != nil {
		if err := o.embeddedEtcd.Start(); err != nil {
			return err
		}
		defer o.embeddedEtcd.Close()
		// Cancelled before Close (defers run last first), so that the watcher below does not take our own
		// Close, after a failed start, for an etcd failure.
		defer cancel()
		go func() {
			select {
			case err := <-o.embeddedEtcd.Err():
				if ctx.Err() == nil {
					klog.ErrorS(err, "Embedded etcd failed; stopping")
					cancel()
				}
			case <-ctx.Done():
			}
		}()
	}

	config, err := o.Config(ctx.Done())
	if err != nil {
		return err
	}
	server, err := config.Complete().New()
	if err != nil {
		return err
	}
	if err := server.CheckStoredVersions(ctx); err != nil {
		return err
	}
	if informers := config.GenericConfig.SharedInformerFactory; informers != nil {
		server.GenericAPIServer.AddPostStartHookOrDie("start-core-informers", func(hook genericapiserver.PostStartHookContext) error {
			informers.Start(hook.Done())
			return nil
		})
	}

	url := o.serverURL(config)
	etcd := fmt.Sprintf("etcd %v", o.RecommendedOptions.Etcd.StorageConfig.Transport.ServerList)
	if o.embeddedEtcd != nil {
		etcd = "embedded etcd in " + o.embeddedEtcd.Dir()
	}
	if o.standalone {
		if err := standalone.NewPKI(o.DataDir).WriteAdminKubeconfig(o.AdminKubeconfig(), url); err != nil {
			return fmt.Errorf("writing %s: %w", o.AdminKubeconfig(), err)
		}
		klog.Infof("cnat-apiserver: standalone mode at %s (%s); use kubectl --kubeconfig %s", url, etcd, o.AdminKubeconfig())
	} else {
		klog.Infof("cnat-apiserver: aggregated mode at %s (%s), delegating authentication and authorization to the cluster", url, etcd)
	}
	return server.GenericAPIServer.PrepareRun().RunWithContext(ctx)
}

// serverURL is the URL clients on this machine reach the server at.
func (o *Options) serverURL(config *apiserver.Config) string {
	addr := config.GenericConfig.SecureServing.Listener.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "https://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}
