// Package node installs cnat the way a user does — `kubectl apply -k` of artifacts/deploy, images and all —
// into a cluster with a real node (containerd, runc, the CNI bridge, kubelet, kube-proxy, CoreDNS; hack/lib/
// node.sh) and uses it: Ats run real containers, cnat-apiserver is restarted, cut off the network and evicted,
// etcd members lose their Pod or their volume, and the operations of docs/operations.md run as written.
//
// It needs root. TestNode runs its parts in order on one installation, uninstalling last. `make test` runs
// the short form (install, an At run by a real container, a rolling restart under load, one cnat-apiserver
// replica cut off the network under load); `make test-node` runs every part, with longer load phases and
// faults, and `make reliability` the cut in its long form. When the control plane stops, the machine must be
// as before it started: TestMain compares (machine_test.go).
package node

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/transport"

	"github.com/programming-kubernetes/cnat/pkg/generated/clientset/versioned"
	"github.com/programming-kubernetes/cnat/test/internal/ledger"
	"github.com/programming-kubernetes/cnat/test/internal/localup"
	"github.com/programming-kubernetes/cnat/test/internal/smoke"
)

var (
	longForm = flag.Bool("long", false, "longer load phases (make test-node)")

	// cluster is the control plane with the real node and cnat installed from artifacts/deploy.
	cluster *localup.ControlPlane
	// kubectl is the admin's kubectl, the one built at the control plane's version.
	kubectl smoke.Kubectl
	runDir  = filepath.Join(localup.Root(), "_output", "node-e2e")
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "test/node: a real node needs root (containerd, kubelet, network links, iptables)")
		return 1
	}
	before, err := snapshotMachine()
	if err != nil {
		fmt.Fprintln(os.Stderr, "test/node:", err)
		return 1
	}
	code := runOnNode(m)
	after, err := snapshotMachine()
	if err != nil {
		fmt.Fprintln(os.Stderr, "test/node:", err)
		return 1
	}
	if diff := before.diff(after); diff != "" {
		fmt.Fprintf(os.Stderr, "test/node: the machine is not as the node found it:\n%s", diff)
		return 1
	}
	return code
}

// runOnNode brings the cluster up, installs cnat, runs the tests and takes it all down again.
func runOnNode(m *testing.M) int {
	cp, err := localup.Start(runDir, "CP_NODE=real", "CNAT_INSTALL=false")
	if err != nil {
		fmt.Fprintln(os.Stderr, "test/node: local-up with a real node:", err)
		return 1
	}
	defer func() {
		if err := cp.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "test/node: local-down:", err)
		}
	}()
	cluster = cp
	kubectl = smoke.Kubectl{Path: cp.Env["CP_KUBECTL"], Kubeconfig: cp.Env["KUBECONFIG"]}
	if err := install(); err != nil {
		fmt.Fprintln(os.Stderr, "test/node: installing cnat:", err)
		dumpState()
		return 1
	}
	closeClientLog, err := ledger.LogClientsTo(filepath.Join(runDir, "client.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer closeClientLog()
	code := m.Run()
	if code != 0 {
		dumpState()
	}
	printTables()
	return code
}

var (
	rowsMu sync.Mutex
	rows   []ledger.Row
)

// reportRow adds a part's figures to the table printed at the end.
func reportRow(row ledger.Row) {
	rowsMu.Lock()
	defer rowsMu.Unlock()
	rows = append(rows, row)
}

// printTables prints the figures of the parts under load, in the reliability table's form, and those of the
// cuts, and keeps them in the run dir.
func printTables() {
	rowsMu.Lock()
	defer rowsMu.Unlock()
	var table strings.Builder
	if len(rows) > 0 {
		ledger.PrintTable(&table, rows)
	}
	printCutTable(&table)
	if table.Len() == 0 {
		return
	}
	mode := "short form (make test)"
	if *longForm {
		mode = "long form (make test-node, make reliability)"
	}
	fmt.Printf("\nreal node, %s:\n%s", mode, table.String())
	_ = os.WriteFile(filepath.Join(runDir, "table.txt"), []byte(table.String()), 0o644)
}

// install runs hack/install-local.sh: hack/deploy-certs.sh, then kubectl apply -k of its overlay with the
// images of make images named, then waits for every workload and the APIServices.
func install() error {
	cmd := exec.Command(filepath.Join(localup.Root(), "hack", "install-local.sh"))
	cmd.Env = scriptEnv()
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// scriptEnv is the environment the project's scripts run in against the node's cluster: its run dir, the
// admin's kubeconfig and the kubectl built at its version.
func scriptEnv() []string {
	return append(os.Environ(), "CP_RUN_DIR="+runDir, "KUBECONFIG="+kubectl.Kubeconfig, "CP_KUBECTL="+kubectl.Path)
}

// dumpState prints what a failure needs to be understood: the Pods and recent events of cnat-system.
func dumpState() {
	for _, args := range [][]string{
		{"get", "nodes,pv,pvc,pods,apiservices", "-A", "-o", "wide"},
		{"-n", "cnat-system", "get", "events", "--sort-by", ".lastTimestamp"},
	} {
		out, _ := kubectl.Try("", args...)
		fmt.Fprintf(os.Stderr, "$ kubectl %v\n%s\n", args, out)
	}
	// The containers' logs go with the node at its teardown: keep those of cnat-system, the current and the
	// previous (crashed) container of each Pod.
	dir := filepath.Join(runDir, "logs", "pods")
	_ = os.MkdirAll(dir, 0o755)
	pods, _ := kubectl.Try("", "-n", "cnat-system", "get", "pods", "-o", "jsonpath={.items[*].metadata.name}")
	for _, pod := range strings.Fields(pods) {
		for _, previous := range []bool{false, true} {
			name := pod + ".log"
			if previous {
				name = pod + ".previous.log"
			}
			out, err := kubectl.Try("", "-n", "cnat-system", "logs", pod, "--all-containers", fmt.Sprintf("--previous=%t", previous))
			if err == nil {
				_ = os.WriteFile(filepath.Join(dir, name), []byte(out), 0o644)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "logs of the node, the control plane and cnat-system's containers: %s\n", filepath.Join(runDir, "logs"))
}

// client is a clientset of the At API for the cluster's admin, without client-side rate limits.
func client() (versioned.Interface, error) { return clientWith(nil) }

// clientWith is client with the round tripper wrapped (nil: not wrapped).
func clientWith(wrap transport.WrapperFunc) (versioned.Interface, error) {
	config, err := adminConfig()
	if err != nil {
		return nil, err
	}
	if wrap != nil {
		config.Wrap(wrap)
	}
	return versioned.NewForConfig(config)
}

// adminConfig is the client configuration of the cluster's admin, without client-side rate limits.
func adminConfig() (*rest.Config, error) {
	config, err := clientcmd.BuildConfigFromFlags("", kubectl.Kubeconfig)
	if err != nil {
		return nil, err
	}
	config.QPS, config.Burst = -1, 0
	return config, nil
}
