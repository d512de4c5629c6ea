package command

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
)

// errorLine matches a line logged at error level: klog's "E1130 …" or a JSON (zap) log line of level error,
// as etcd writes them.
var errorLine = regexp.MustCompile(`^E\d{4} |"level":"(error|dpanic|panic|fatal)"`)

// etcdFirstStartRace is the one error line a brand-new embedded etcd may log on its own, at its start: its
// storage version monitor, woken by the cluster version being set, runs before the first commit has written
// the term ("cannot detect storage schema version: missing term information", go.etcd.io/etcd/server
// etcdserver/version/monitor.go); it tries again at its next interval and nothing is lost.
var etcdFirstStartRace = regexp.MustCompile(`"msg":"failed to update storage version".*missing term information`)

// TestCleanStop: Ctrl-C (SIGINT) stops a standalone server with its embedded etcd cleanly: exit code 0 and
// not one line logged at error level.
func TestCleanStop(t *testing.T) {
	server := startServer(t)
	if err := server.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-server.exited:
	case <-time.After(60 * time.Second):
		t.Fatal("cnat-apiserver did not stop within 60s of SIGINT")
	}
	if code := server.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}

	stderr := server.stderr.String()
	// The log was captured: the server said where it serves and that it shut down.
	for _, want := range []string{"standalone mode at", "Shutting down"} {
		if !strings.Contains(stderr, want) && !strings.Contains(server.stdout.String(), want) {
			t.Errorf("the log does not say %q: is it captured?\n%s", want, stderr)
		}
	}
	scanner := bufio.NewScanner(strings.NewReader(stderr))
	scanner.Buffer(nil, 1<<20)
	for scanner.Scan() {
		if errorLine.MatchString(scanner.Text()) && !etcdFirstStartRace.MatchString(scanner.Text()) {
			t.Errorf("logged at error level on a clean stop: %s", scanner.Text())
		}
	}
}

// process is a cnat-apiserver started from the built binary.
type process struct {
	cmd            *exec.Cmd
	url, dataDir   string
	stdout, stderr *bytes.Buffer
	exited         chan struct{}
}

// startServer starts a standalone cnat-apiserver with a data dir of its own and waits until it is ready; it
// is killed when the test ends if it still runs.
func startServer(t *testing.T, flags ...string) *process {
	t.Helper()
	port, err := framework.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{url: "https://127.0.0.1:" + strconv.Itoa(port), dataDir: t.TempDir(),
		stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(binary("cnat-apiserver"),
		append([]string{"--data-dir", p.dataDir, "--secure-port", strconv.Itoa(port)}, flags...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.cmd.Env = append(os.Environ(), "KUBERNETES_SERVICE_HOST=") // standalone even inside a cluster
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	if err := framework.WaitReady(p.url, p.exited, 60*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, p.stderr)
	}
	return p
}
