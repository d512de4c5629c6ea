package storedversions

import (
	"context"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// newClient connects to etcd as the server's store does (k8s.io/apiserver's etcd3 factory): the same
// servers, client certificate and CA; no TLS when none is configured.
func newClient(ctx context.Context, servers []string, certFile, keyFile, caFile string) (*clientv3.Client, error) {
	tlsInfo := transport.TLSInfo{CertFile: certFile, KeyFile: keyFile, TrustedCAFile: caFile}
	tlsConfig, err := tlsInfo.ClientConfig()
	if err != nil {
		return nil, err
	}
	if certFile == "" && keyFile == "" && caFile == "" {
		tlsConfig = nil
	}
	return clientv3.New(clientv3.Config{
		Endpoints:   servers,
		TLS:         tlsConfig,
		DialTimeout: 20 * time.Second,
		Context:     ctx,
		// Its failures are in the check's error and log line; the client's own log would repeat them.
		Logger: zap.NewNop(),
	})
}
