package flags

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/component-base/logs"

	apiserverapp "github.com/programming-kubernetes/cnat/cmd/cnat-apiserver/app"
	controllerapp "github.com/programming-kubernetes/cnat/cmd/cnat-controller/app"
	"github.com/programming-kubernetes/cnat/pkg/apiserver/options"
	"github.com/programming-kubernetes/cnat/test/integration/framework"
)

// What each binary logs once it runs with the flags it was given.
const (
	apiserverStarted  = "Serving securely on"
	controllerStarted = "Starting cnat-controller"
)

// TestEveryAPIServerFlag gives every flag of cnat-apiserver, as its command registers them (a new flag is
// covered without editing the test), values derived from its type: malformed ones must be refused with a
// last line that names the flag, odd ones may be accepted or refused likewise, and none may crash it.
func TestEveryAPIServerFlag(t *testing.T) {
	cmd := apiserverapp.NewCommand(context.Background(), options.NewOptions())
	walkFlags(t, cmd, apiserverStarted, func(t *testing.T) map[string]string {
		port, err := framework.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		// The flag under test replaces these; they keep a server that starts off the default port, the
		// repository's ./cnat-data and an etcd of its own.
		return map[string]string{"data-dir": t.TempDir(), "secure-port": strconv.Itoa(port), "etcd-servers": etcdURL}
	})
}

// TestEveryControllerFlag does the same for cnat-controller. Its kubeconfig names a server that is not
// there: a controller that accepts its flags starts and keeps retrying.
func TestEveryControllerFlag(t *testing.T) {
	kubeconfig := writeKubeconfig(t, "https://127.0.0.1:1")
	walkFlags(t, controllerapp.NewCommand(context.Background()), controllerStarted, func(*testing.T) map[string]string {
		return map[string]string{"kubeconfig": kubeconfig, "bind-address": "127.0.0.1:0"}
	})
}

// walkFlags runs the binary cmd is the command of once per trial of each of its flags, with the flags
// baseline returns but the one under test, and checks how each run ended.
func walkFlags(t *testing.T, cmd *cobra.Command, started string, baseline func(*testing.T) map[string]string) {
	// cli.Run adds the logging flags (--v, --vmodule, …) when the binary runs, whether or not the command
	// added them itself (logflags): so do the tests, so that those flags are walked too.
	logs.AddFlags(cmd.PersistentFlags())
	files := newBadFiles(t)
	var trials []trial
	seen := map[string]bool{}
	for _, fs := range []*pflag.FlagSet{cmd.Flags(), cmd.PersistentFlags()} {
		fs.VisitAll(func(f *pflag.Flag) {
			if !seen[f.Name] {
				seen[f.Name] = true
				trials = append(trials, trialsFor(f, files)...)
			}
		})
	}
	runs := make([]func() result, len(trials))
	for i, tr := range trials {
		runs[i] = func() result {
			// The baseline is taken right before the run: a free port picked minutes earlier, when the
			// trials were prepared, may be some other process's by now. A run that still loses that race is
			// run again with another port; any other outcome counts.
			var r result
			for range 3 {
				args := []string{fmt.Sprintf("--%s=%s", tr.flag, tr.value)}
				for name, value := range baseline(t) {
					if name != tr.flag {
						args = append(args, "--"+name, value)
					}
				}
				if r = runBinary(binary(cmd.Name()), started, args); !strings.Contains(r.output, "bind: address already in use") {
					break
				}
			}
			return r
		}
	}
	results := runAll(runs)
	for i, tr := range trials {
		t.Run(tr.flag+"="+abbreviate(tr.value), func(t *testing.T) {
			checkResult(t, tr, results[i])
		})
	}
}

// checkResult: never a crash; a value that must be refused is, and whatever is refused is refused by a
// last line that names the flag.
func checkResult(t *testing.T, tr trial, r result) {
	t.Helper()
	if r.crashed() {
		t.Fatalf("--%s=%s crashed the binary:\n%s", tr.flag, abbreviate(tr.value), tail(r.output))
	}
	switch {
	case r.outcome == refused && !strings.Contains(r.lastLine(), tr.flag):
		t.Errorf("--%s=%s refused without naming the flag in its last line:\n%s", tr.flag, abbreviate(tr.value), tail(r.output))
	case tr.mustRefuse && r.outcome != refused:
		t.Errorf("--%s=%s: %v, want refused:\n%s", tr.flag, abbreviate(tr.value), r.outcome, tail(r.output))
	}
}

// writeKubeconfig writes a kubeconfig for a server at url.
func writeKubeconfig(t *testing.T, url string) string {
	path := filepath.Join(t.TempDir(), "kubeconfig")
	content := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q, insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`, url)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// abbreviate shortens a huge value for a test name or message.
func abbreviate(value string) string {
	if len(value) > 40 {
		return fmt.Sprintf("%s…(%d bytes)", value[:20], len(value))
	}
	return value
}

// tail is the end of an output, enough to see why it ended.
func tail(output string) string {
	if len(output) > 3000 {
		return "…" + output[len(output)-3000:]
	}
	return output
}
