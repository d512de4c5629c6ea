// Package reliability breaks cnat the way production does — SIGTERM and kill -9 of its replicas, kill -9 of
// etcd members, loss of etcd's quorum, restore from a snapshot — with real processes on loopback: a real
// kube-apiserver whose aggregator forwards to real cnat-apiserver replicas (sharing one port with
// SO_REUSEPORT, as replicas share a Service), and a real three-member etcd with mutual TLS. Writers,
// updaters and informers go through the aggregator, and a ledger of every acknowledged write tells what was
// lost. Network partitions cut the etcd leader off from the other members and cnat-apiserver, and
// cnat-apiserver off from every member (network namespaces, partition_*_test.go). The cnat-controller's
// leader is cut off from kube-apiserver (network namespaces, not a kill) or killed under a stream of due
// Ats (fence_test.go), kube-apiserver's audit log telling which replica wrote. Two replicas of the previous
// release are rolled to the current one through the emulated releases and back, with clients in every
// version (versions_test.go).
//
// `make test` runs the short form. `make reliability` runs each scenario longer (-long) and prints a table
// of its figures.
package reliability

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/programming-kubernetes/cnat/test/internal/gobuild"
	"github.com/programming-kubernetes/cnat/test/internal/ledger"
	"github.com/programming-kubernetes/cnat/test/internal/localup"
)

var (
	longForm = flag.Bool("long", false, "run every scenario longer and print the table of figures (make reliability)")

	// env is the shared control plane: kube-apiserver with its own etcd, cnat's RBAC and identity.
	env *controlPlane

	rowsMu sync.Mutex
	rows   []ledger.Row
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	cp, err := startControlPlane()
	if cp != nil {
		defer cp.stop()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability: control plane:", err)
		return 1
	}
	env = cp
	if msg := enableMigrateReq(); msg != "" {
		fmt.Fprintln(os.Stderr, msg)
	}
	defer restoreMigrateReq()
	closeClientLog, err := ledger.LogClientsTo(filepath.Join(cp.runDir, "client.log"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer closeClientLog()
	code := m.Run()
	if table := printFenceTable(); table != "" {
		fmt.Printf("\ncontroller failover (kube-apiserver's audit log):\n%s", table)
		_ = os.WriteFile(filepath.Join(cp.runDir, "fence-table.txt"), []byte(table), 0o644)
	}
	rowsMu.Lock()
	defer rowsMu.Unlock()
	if len(rows) > 0 {
		mode := "short form (make test)"
		if *longForm {
			mode = "long form (make reliability)"
		}
		var table strings.Builder
		ledger.PrintTable(&table, rows)
		fmt.Printf("\nreliability, %s:\n%s", mode, table.String())
		_ = os.WriteFile(filepath.Join(cp.runDir, "table.txt"), []byte(table.String()), 0o644)
	}
	return code
}

// report adds a scenario's row to the table printed at the end.
func report(t *testing.T, row ledger.Row) {
	t.Logf("%+v", row)
	rowsMu.Lock()
	defer rowsMu.Unlock()
	rows = append(rows, row)
}

// controlPlane is kube-apiserver (with its own single etcd) from hack/lib/control-plane.sh, with the RBAC,
// ServiceAccount token and serving CA that cnat-apiserver has in a cluster (hack/lib/cnat.sh).
type controlPlane struct {
	root, runDir string
	vars         map[string]string
	cnatBin      string
}

func startControlPlane() (*controlPlane, error) {
	root, err := filepath.Abs("../..")
	if err != nil {
		return nil, err
	}
	cp := &controlPlane{root: root, runDir: filepath.Join(root, "_output", "reliability"), vars: map[string]string{}}
	if err := os.RemoveAll(cp.runDir); err != nil {
		return nil, err
	}
	if err := cp.command(filepath.Join(root, "hack", "build-control-plane.sh")).Run(); err != nil {
		return nil, fmt.Errorf("building the control plane: %w", err)
	}
	cp.cnatBin = os.Getenv("CNAT_APISERVER_BIN") // another build to compare with; default: this checkout's
	if cp.cnatBin == "" {
		cp.cnatBin = filepath.Join(cp.runDir, "bin", "cnat-apiserver")
		if err := gobuild.Build(filepath.Dir(cp.cnatBin), "./cmd/cnat-apiserver"); err != nil {
			return nil, fmt.Errorf("building cnat-apiserver: %w", err)
		}
	}
	// kube-apiserver audits the requests of the fenced controller's replicas (fence_test.go), and only
	// theirs: which replica wrote what, and when, as kube-apiserver saw it.
	if err := os.MkdirAll(cp.runDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(cp.auditPolicy(), []byte(fenceAuditPolicy), 0o644); err != nil {
		return nil, err
	}
	// kube-apiserver and its etcd, then what cnat-apiserver needs from it: its RBAC and ServiceAccount token,
	// a serving certificate the aggregator trusts. The cnat-apiserver replicas are each test's own.
	script := `
set -euo pipefail
export CP_APISERVER_EXTRA_FLAGS="--audit-policy-file ${AUDIT_POLICY} --audit-log-path ${AUDIT_LOG} --audit-log-format json"
source hack/lib/control-plane.sh
source hack/lib/cnat.sh
mkdir -p "${CP_RUN_DIR}" "${CNAT_DIR}"
cp_gen_certs
cp_start_etcd
cp_start_apiserver
export KUBECONFIG="${CP_KUBECONFIG}"
kubectl apply -k artifacts/deploy/rbac >/dev/null
cnat_identity_kubeconfig "${CNAT_DIR}/kubeconfig" cnat-apiserver
for v in KUBECONFIG CP_APISERVER_URL CP_CA_CERT CP_CA_KEY CP_RUN_DIR CNAT_DIR CP_BIN_DIR; do
  printf '%s=%s\n' "${v}" "${!v}"
done >"${CP_RUN_DIR}/reliability.env"
`
	start := cp.command("bash", "-c", script)
	start.Env = append(start.Env, "AUDIT_POLICY="+cp.auditPolicy(), "AUDIT_LOG="+cp.auditLog())
	if err := start.Run(); err != nil {
		return cp, fmt.Errorf("starting kube-apiserver: %w", err)
	}
	f, err := os.Open(filepath.Join(cp.runDir, "reliability.env"))
	if err != nil {
		return cp, err
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if name, value, ok := strings.Cut(scanner.Text(), "="); ok {
			cp.vars[name] = value
		}
	}
	return cp, scanner.Err()
}

// command runs in the repository with the control plane's run dir, its output on the test's stderr.
func (cp *controlPlane) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = cp.root
	cmd.Env = append(os.Environ(), "CP_RUN_DIR="+cp.runDir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd
}

// stop stops kube-apiserver and its etcd (the tests stop what they started themselves).
func (cp *controlPlane) stop() {
	_ = cp.command("bash", "-c", "source hack/lib/control-plane.sh; source hack/lib/cnat.sh; cp_stop").Run()
}

// shell runs a shell command line as the cluster admin (KUBECONFIG set), as docs give them.
func (cp *controlPlane) shell(line string) (string, error) {
	cmd := exec.Command("bash", "-o", "pipefail", "-c", line)
	// The docs' kubectl is the one the project built, first on the PATH.
	cmd.Env = append(os.Environ(), "KUBECONFIG="+cp.vars["KUBECONFIG"],
		"PATH="+filepath.Dir(localup.Kubectl())+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// kubectl runs kubectl as the cluster admin.
func (cp *controlPlane) kubectl(stdin string, args ...string) (string, error) {
	cmd := exec.Command(localup.Kubectl(), args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+cp.vars["KUBECONFIG"])
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}
