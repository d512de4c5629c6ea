package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/programming-kubernetes/cnat/test/internal/pki"
)

// kubeAPIServerRestart names the windows while kube-apiserver restarts: its own downtime, which no
// aggregated server can hide, counted apart.
const kubeAPIServerRestart = "kube-apiserver restart"

// TestFrontProxyCARotationWithRestarts rotates the front-proxy CA the way a cluster whose kube-apiserver is
// a static Pod does (the files rewritten, the Pod restarted), in the order docs/operations.md gives:
// kube-apiserver restarted with the old and the new CA (its client certificate still the old CA's), then
// restarted with a client certificate of the new CA and the new CA only, then the old CA dropped from the
// ConfigMap. Requests fail while kube-apiserver itself is down; none may fail outside those windows, none may
// be refused 401/403, no replica restarts.
func TestFrontProxyCARotationWithRestarts(t *testing.T) {
	r := underLoadWithSecrets(t)
	pkiDir := filepath.Join(env.vars["CP_RUN_DIR"], "pki")
	frontProxyCA := filepath.Join(pkiDir, "front-proxy-ca.crt")
	proxyClient := pki.Pair{CertFile: filepath.Join(pkiDir, "front-proxy-client.crt"), KeyFile: filepath.Join(pkiDir, "front-proxy-client.key")}
	dir := filepath.Join(r.dir, "cas")

	var slowest, downtime time.Duration
	// restart returns when kube-apiserver was ready again: the replicas' reload counts from then.
	restart := func() time.Time {
		stopped := time.Now()
		restartKubeAPIServer(t)
		ready := untilKubeAPIServerReady(t)
		back := ready.Add(untilWriteSucceeds(t, r.run, ready))
		r.run.Ledger.MarkWindow(kubeAPIServerRestart, stopped, back)
		downtime = max(downtime, back.Sub(stopped))
		t.Logf("%s: kube-apiserver restarted: ready %s, a write acknowledged %s after its stop", time.Now().Format("15:04:05.000"),
			ready.Sub(stopped).Round(time.Millisecond), back.Sub(stopped).Round(time.Millisecond))
		return ready
	}
	for i := range cycles() {
		oldFrontProxy, err := pki.Certificate(frontProxyCA)
		if err != nil {
			t.Fatal(err)
		}
		next := newCA(t, dir, fmt.Sprintf("front-proxy-ca-%d", i+1))

		// 1. Old and new CA; the aggregator's client certificate is still the old CA's.
		replaceFile(t, frontProxyCA, append(readFile(t, frontProxyCA), readFile(t, next.CertFile)...))
		ready := restart()
		published := untilPublished(t, ready, next.CertFile, env.vars["CP_CA_CERT"])
		t.Logf("kube-apiserver published the new CA %s after it was ready", published.Round(time.Millisecond))
		// Before the aggregator's client certificate changes, every replica must trust the new CA: after
		// kube-apiserver was down, a replica's watch of the ConfigMap may resume only after client-go's
		// backoff.
		slowest = max(slowest, r.untilEveryReplica(ready, reloadTimeout, "accepts client certificates of the new front-proxy CA", func(s served) bool {
			return s.acceptsClientsOf(next.Subject())
		}))
		time.Sleep(phase(2*time.Second, 10*time.Second))

		// 2. A client certificate of the new CA, and the new CA only.
		renewProxyClient(t, next, dir, i+1, proxyClient)
		replaceFile(t, frontProxyCA, readFile(t, next.CertFile))
		restart()

		// 3. The old CA out of the ConfigMap.
		changed := time.Now()
		dropFromConfigMap(t, frontProxyCA)
		slowest = max(slowest, r.untilEveryReplica(changed, reloadTimeout, "no longer accepts the old front-proxy CA", func(s served) bool {
			return !s.acceptsClientsOf(oldFrontProxy.RawSubject) && s.acceptsClientsOf(next.Subject())
		}))
		time.Sleep(phase(3*time.Second, 10*time.Second))
	}
	row := r.finish("front-proxy CA rotated, kube-apiserver restarted", kubeAPIServerRestart, slowest)
	row.Recover = downtime
	report(t, row)
}

// restartKubeAPIServer stops kube-apiserver and starts it again with the same flags, on the same port: its
// files are read again at the start. It gets SIGTERM and, if it is still there after stopGrace, SIGKILL:
// kube-apiserver stops listening at once, but under this load it did not exit within 30 s (its log ends
// with its controllers stopped; the informers' watches it proxies to the replicas were still open), and
// nothing it still held could reach a client any more; a static Pod's grace period (30 s) ends the same
// way, only later.
func restartKubeAPIServer(t *testing.T) {
	t.Helper()
	const stopGrace = 3 * time.Second
	pidFile := filepath.Join(env.vars["CP_RUN_DIR"], "pids", "kube-apiserver.pid")
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("%s: %v", pidFile, err)
	}
	if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err != nil || !strings.Contains(string(cmdline), "kube-apiserver") {
		t.Fatalf("pid %d of %s is not kube-apiserver", pid, pidFile)
	}
	t.Logf("%s: SIGTERM to kube-apiserver (pid %d)", time.Now().Format("15:04:05.000"), pid)
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(stopGrace)
	for running(pid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if running(pid) {
		t.Logf("%s: kube-apiserver still there %s after SIGTERM (proxied watches): SIGKILL", time.Now().Format("15:04:05.000"), stopGrace)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		for running(pid) {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if err := env.command("bash", "-c", "source hack/lib/control-plane.sh; cp_restart kube-apiserver").Run(); err != nil {
		t.Fatalf("starting kube-apiserver again: %v", err)
	}
}

// running tells whether a process exists and has not exited (a zombie has).
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses: "pid (comm) S ...".
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

// untilKubeAPIServerReady waits until kube-apiserver answers /readyz with ok, and returns when it did.
func untilKubeAPIServerReady(t *testing.T) time.Time {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if out, err := env.kubectl("", "get", "--raw", "/readyz"); err == nil && out == "ok" {
			return time.Now()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("kube-apiserver not ready within 3 minutes of its restart")
	return time.Time{}
}
