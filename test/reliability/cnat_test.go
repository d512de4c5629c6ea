package reliability

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/cert"

	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/test/internal/etcdcluster"
	"github.com/programming-kubernetes/cnat/test/internal/pki"
	"github.com/programming-kubernetes/cnat/test/internal/process"
)

const (
	// The Deployment's shutdown delay (cnat-apiserver's default in aggregated mode): the aggregator's idle
	// connections to a terminating replica that the delay leaves unused are closed by the server when it
	// ends, racing with a request the aggregator may send on one at that instant (HTTP/1.1 has no way
	// around it, see docs/operations.md); the longer the delay, the fewer such connections are left. A
	// short watch grace: the informers resume their watches at once anyway.
	shutdownDelay      = "10s"
	watchTerminationGP = "3s"
)

// deployment is the cnat-apiserver replicas of one test, sharing one port (--permit-port-sharing) as
// replicas share a Service, registered through the APIServices, on their own etcd cluster.
type deployment struct {
	t        *testing.T
	dir      string
	port     int
	etcd     *etcdcluster.Cluster
	replicas map[string]*replica
}

type replica struct {
	name    string
	proc    *process.Process
	started time.Time
}

// newDeployment starts an etcd cluster of members members for one test; replicas come with start.
func newDeployment(t *testing.T, members int) *deployment {
	t.Helper()
	return newPlacedDeployment(t, make([]etcdcluster.Placement, members))
}

// newPlacedDeployment is newDeployment with the etcd members where the placements say (partition tests).
func newPlacedDeployment(t *testing.T, placements []etcdcluster.Placement) *deployment {
	t.Helper()
	dir := filepath.Join(env.runDir, strings.ReplaceAll(t.Name(), "/", "_"))
	etcd, err := etcdcluster.StartPlaced(filepath.Join(dir, "etcd"), placements, etcdBinaries())
	if err != nil {
		t.Fatal(err)
	}
	d := &deployment{t: t, dir: dir, port: freePort(t), etcd: etcd, replicas: map[string]*replica{}}
	t.Cleanup(func() {
		for _, r := range d.replicas {
			if r.proc.Running() {
				r.proc.Kill()
			}
		}
		d.etcd.Stop()
	})
	return d
}

func etcdBinaries() etcdcluster.Binaries {
	bin := env.vars["CP_BIN_DIR"]
	return etcdcluster.Binaries{Etcd: filepath.Join(bin, "etcd"), Etcdctl: filepath.Join(bin, "etcdctl"),
		Etcdutl: filepath.Join(bin, "etcdutl")}
}

// start starts a replica: the aggregated server as the Deployment runs it, with a serving certificate of its
// own (signed by the CA the APIServices trust) that also names the replica, so that a probe can tell which
// replica answered on the shared port.
func (d *deployment) start(name string, extraFlags ...string) *replica {
	d.t.Helper()
	return d.startBin(name, env.cnatBin, d.port, extraFlags...)
}

// startBin is start with another cnat-apiserver binary (another release's) on a port of its own choosing.
func (d *deployment) startBin(name, bin string, port int, extraFlags ...string) *replica {
	d.t.Helper()
	ca, err := pki.LoadCA(env.vars["CP_CA_CERT"], env.vars["CP_CA_KEY"])
	if err != nil {
		d.t.Fatal(err)
	}
	serving, err := ca.Issue(filepath.Join(d.dir, "pki"), name, "cnat-apiserver", nil, pki.Server,
		"cnat-apiserver.cnat-system.svc", "localhost", "127.0.0.1", replicaSAN(name))
	if err != nil {
		d.t.Fatal(err)
	}
	args := append([]string{
		"--secure-port", strconv.Itoa(port), "--bind-address", "127.0.0.1", "--permit-port-sharing",
		"--tls-cert-file", serving.CertFile, "--tls-private-key-file", serving.KeyFile,
		"--kubeconfig", filepath.Join(env.vars["CNAT_DIR"], "kubeconfig"),
		"--etcd-prefix", "/cnat",
		"--data-dir", filepath.Join(d.dir, name),
		"--shutdown-delay-duration", shutdownDelay,
		"--shutdown-watch-termination-grace-period", watchTerminationGP,
	}, d.etcd.TLSFlags()...)
	proc, err := process.Start(name, filepath.Join(d.dir, "logs"), bin, append(args, extraFlags...)...)
	if err != nil {
		d.t.Fatal(err)
	}
	r := &replica{name: name, proc: proc, started: time.Now()}
	d.t.Logf("%s: started replica %s", r.started.Format("15:04:05.000"), name)
	d.replicas[name] = r
	return r
}

func replicaSAN(name string) string { return name + ".replica.cnat.test" }

// waitReady waits until this very replica answers /readyz with 200, and returns how long after its start.
func (d *deployment) waitReady(r *replica) time.Duration {
	d.t.Helper()
	pool, err := cert.NewPool(env.vars["CP_CA_CERT"])
	if err != nil {
		d.t.Fatal(err)
	}
	// A new connection each time: the kernel gives each to either replica; only the answers of r count.
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: "localhost"},
		DisableKeepAlives: true,
	}}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if !r.proc.Running() {
			d.t.Fatalf("replica %s exited: %v (log %s)", r.name, r.proc.Err(), r.proc.LogPath)
		}
		resp, err := client.Get(fmt.Sprintf("https://127.0.0.1:%d/readyz", d.port))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && slices.Contains(resp.TLS.PeerCertificates[0].DNSNames, replicaSAN(r.name)) {
				d.t.Logf("%s: replica %s ready", time.Now().Format("15:04:05.000"), r.name)
				return time.Since(r.started)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.t.Fatalf("replica %s not ready within 90s (log %s)", r.name, r.proc.LogPath)
	return 0
}

// register points the APIServices at this deployment's port and waits until the aggregator finds them
// available: those of the named versions, or all of them.
func (d *deployment) register(versions ...string) {
	d.t.Helper()
	script := fmt.Sprintf("source hack/lib/control-plane.sh; source hack/lib/cnat.sh; export KUBECONFIG=%q; cnat_register %d %s",
		env.vars["KUBECONFIG"], d.port, strings.Join(versions, " "))
	if err := env.command("bash", "-c", script).Run(); err != nil {
		d.t.Fatalf("registering the APIServices: %v", err)
	}
}

// terminate sends SIGTERM to a replica and waits for it to exit cleanly.
func (d *deployment) terminate(r *replica) {
	d.t.Helper()
	d.t.Logf("%s: SIGTERM to replica %s", time.Now().Format("15:04:05.000"), r.name)
	defer func() { d.t.Logf("%s: replica %s exited", time.Now().Format("15:04:05.000"), r.name) }()
	if err := r.proc.Terminate(60 * time.Second); err != nil {
		d.t.Fatalf("replica %s after SIGTERM: %v (log %s)", r.name, err, r.proc.LogPath)
	}
}

// client is the cluster admin's clientset through kube-apiserver's aggregator, as kubectl and controllers
// reach cnat: client-go's own retries (Retry-After) included, no client-side rate limit.
func client(t *testing.T) versioned.Interface {
	t.Helper()
	config, err := clientcmd.BuildConfigFromFlags("", env.vars["KUBECONFIG"])
	if err != nil {
		t.Fatal(err)
	}
	config.QPS, config.Burst = -1, 0
	return versioned.NewForConfigOrDie(config)
}

// namespace creates a namespace for a test.
func namespace(t *testing.T) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if _, err := env.kubectl("", "create", "namespace", name); err != nil {
		t.Fatal(err)
	}
	return name
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var _ = context.Background
