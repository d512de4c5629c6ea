package flags

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/programming-kubernetes/cnat/test/integration/framework"
)

const (
	// startTimeout is how long a process may take to refuse its flags or to say it started; one that does
	// neither is killed and counts as hanging at start.
	startTimeout = 30 * time.Second
	// afterStart is how long a process that said it started is watched for a late failure before it is
	// killed and counts as accepted.
	afterStart = 1500 * time.Millisecond
	// parallelRuns is how many processes run at once: most of their time they wait for etcd and the disk.
	parallelRuns = 4
)

// outcome is how a run ended.
type outcome int

const (
	refused  outcome = iota // exited non-zero
	exited                  // exited zero: --version, --help
	accepted                // said it started, and ran on until killed
	hung                    // neither refused nor started within startTimeout
)

func (o outcome) String() string {
	return [...]string{"refused", "exited 0", "accepted (started)", "hung at start"}[o]
}

// result is what a run of a binary did and printed.
type result struct {
	outcome outcome
	output  string
}

// lastLine is the last non-empty line of the output: where cli.Run prints the error that ended the
// command.
func (r result) lastLine() string {
	lines := strings.Split(strings.TrimSpace(r.output), "\n")
	return lines[len(lines)-1]
}

// crash matches what Go prints when a program panics or dies of a fatal runtime error.
var crash = regexp.MustCompile(`(?m)^(panic: |fatal error: |goroutine \d+ \[)`)

// crashed tells whether the output shows a panic or a stack trace.
func (r result) crashed() bool { return crash.MatchString(r.output) }

// runBinary runs bin with args until it refuses them, or says it started (a line containing started) and keeps
// running for afterStart, or startTimeout passes; a process still running then is killed. It is standalone
// even inside a cluster, and dies with the test.
func runBinary(bin, started string, args []string) result {
	cmd := exec.Command(bin, args...)
	out := &framework.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "KUBERNETES_SERVICE_HOST=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return result{outcome: refused, output: err.Error()}
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	ended := func() result {
		if cmd.ProcessState.ExitCode() == 0 {
			return result{outcome: exited, output: out.String()}
		}
		return result{outcome: refused, output: out.String()}
	}
	deadline := time.After(startTimeout)
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case <-done:
			return ended()
		case <-deadline:
			return kill(cmd, done, hung, out)
		case <-poll.C:
			if !strings.Contains(out.String(), started) {
				continue
			}
			select {
			case <-done:
				return ended()
			case <-time.After(afterStart):
				return kill(cmd, done, accepted, out)
			}
		}
	}
}

// kill ends a process that is still running and waits for it to be gone.
func kill(cmd *exec.Cmd, done <-chan struct{}, o outcome, out *framework.SyncBuffer) result {
	_ = cmd.Process.Kill()
	<-done
	return result{outcome: o, output: out.String()}
}

// runAll runs each of the runs, parallelRuns at a time, and returns their results in the same order.
func runAll(runs []func() result) []result {
	results := make([]result, len(runs))
	slots := make(chan struct{}, parallelRuns)
	var wg sync.WaitGroup
	for i, run := range runs {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			results[i] = run()
		}()
	}
	wg.Wait()
	return results
}
