package e2e

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// walkStep is what one ```sh block of docs/versions.md's walk-through must do: fail or not, print these
// strings and not those, and leave the walk namespace's Ats stored in etcd as stored says (name → version; nil:
// not checked), the rewritten ones at a revision above the one the last check saw.
type walkStep struct {
	fails          bool
	prints, absent []string
	// matches are regular expressions the output must match (a version that depends on the build).
	matches   []string
	stored    map[string]string
	rewritten []string
}

const (
	groupPrefix = "cnat.programming-kubernetes.info/"
	// apiVersions10 is `kubectl api-versions | grep cnat` while the group's versions are 1.0's.
	apiVersions10 = groupPrefix + "v1alpha1\n" + groupPrefix + "v1beta1\n"
)

// walkSteps are the blocks of the walk-through, in order.
var walkSteps = []walkStep{
	// 1. Release 1.0.
	{prints: []string{apiVersions10}, absent: []string{groupPrefix + "v1\n"}},
	// 2. Ats in v1beta1 and v1alpha1; from-v1beta1 read through v1alpha1.
	{prints: []string{
		"v1alpha1 At is deprecated in v1.0+, unavailable in v1.3+; use " + groupPrefix + "v1beta1 At",
		"cnat.programming-kubernetes.info/v1beta1-command:", "cnat.programming-kubernetes.info/v1beta1-image: docker.io/library/alpine:3.20",
	}},
	// 3. etcd.
	{stored: map[string]string{"from-v1alpha1": "v1beta1", "from-v1beta1": "v1beta1"}},
	// 4. The current binary emulating 1.0.
	{prints: []string{"(--emulated-version cnat=1.0) serves v1beta1, v1alpha1;", apiVersions10, "from-v1alpha1", "from-v1beta1"},
		absent: []string{groupPrefix + "v1\n"}},
	// 5. 1.1, v1's APIService, an At in v1: still stored in v1beta1.
	{prints: []string{"(--emulated-version cnat=1.1) serves v1, v1beta1, v1alpha1;", "from-v1 "},
		stored: map[string]string{"from-v1": "v1beta1", "from-v1alpha1": "v1beta1", "from-v1beta1": "v1beta1"}},
	// 6. Rolled back to 1.0 after v1's APIService existed: the At written in v1 reads whole.
	{prints: []string{"cnat-apiserver v1.0.0 serves v1beta1, v1alpha1;", `["echo","hello from v1"] docker.io/library/alpine:3.20`}},
	// 7. 1.2: what is written is stored in v1.
	{prints: []string{"(--emulated-version cnat=1.1) serves v1, v1beta1, v1alpha1;"},
		matches: []string{`cnat-release: cnat-apiserver v1\.2\.0-dev\+\w+(-dirty)? serves v1, v1beta1, v1alpha1;`},
		stored:  map[string]string{"from-v1": "v1beta1", "from-v1alpha1": "v1beta1", "from-v1beta1": "v1"}},
	// 8. 1.0 past the move: refused, naming v1.
	{fails: true, prints: []string{"cnat-apiserver 1.0 (emulating cnat 1.0) cannot serve ats.cnat.programming-kubernetes.info: etcd holds 1 stored as " +
		groupPrefix + "v1 (e.g. /cnat/cnat.programming-kubernetes.info/ats/walk/from-v1beta1)"}},
	// Back to 1.2.
	{prints: []string{"from-v1 ", "from-v1alpha1 ", "from-v1beta1 "}},
	// 9. The migration.
	{prints: []string{"storageversionmigration.storagemigration.k8s.io/ats-migration condition met"},
		stored:    map[string]string{"from-v1": "v1", "from-v1alpha1": "v1", "from-v1beta1": "v1"},
		rewritten: []string{"from-v1", "from-v1alpha1"}},
	// 10. 1.3: v1alpha1 removed.
	{prints: []string{"v1.3.0-dev", "serves v1, v1beta1; APIServices registered: v1, v1beta1",
		groupPrefix + "v1\n" + groupPrefix + "v1beta1\n", "from-v1 ", "from-v1alpha1 ", "from-v1beta1 "},
		absent: []string{groupPrefix + "v1alpha1\n"}},
	// v1alpha1's path, asked of cnat-apiserver directly: 404, no warning.
	{fails: true, prints: []string{"Error from server (NotFound)"}, absent: []string{"Warning"}},
	// Done.
	{prints: []string{"local-down: stopped"}},
}

// TestWalkThrough runs every command of docs/versions.md's walk-through, block by block as a reader would in one
// shell (the env file local-up writes sourced before each), on a control plane of its own, and checks what each
// block prints and what etcd holds after it.
func TestWalkThrough(t *testing.T) {
	runDir := filepath.Join(repoRoot, "_output", "walkthrough")
	blocks := walkThroughBlocks(t)
	if len(blocks) != len(walkSteps) {
		t.Fatalf("docs/versions.md's walk-through has %d sh blocks, the test knows %d: update walkSteps", len(blocks), len(walkSteps))
	}
	shellEnv := append(os.Environ(), "CP_RUN_DIR="+runDir,
		"PATH="+filepath.Dir(env["CP_KUBECTL"])+":"+filepath.Join(repoRoot, "_output", "bin")+":"+os.Getenv("PATH"))
	down := exec.Command(filepath.Join(repoRoot, "hack", "local-down.sh"))
	down.Env = shellEnv
	_ = down.Run() // leftovers of an interrupted run
	t.Cleanup(func() {
		down := exec.Command(filepath.Join(repoRoot, "hack", "local-down.sh"))
		down.Env = shellEnv
		if out, err := down.CombinedOutput(); err != nil {
			t.Errorf("local-down: %v\n%s", err, out)
		}
	})

	var before map[string]storedAt // what etcd held before the step that must change nothing
	for i, block := range blocks {
		step := walkSteps[i]
		block = strings.ReplaceAll(block, "_output/local-up/", runDir+"/")
		start := time.Now()
		out, err := runShell(t, shellEnv, runDir, block, !step.fails)
		t.Logf("block %d (%.1f s):\n%s\n%s", i+1, time.Since(start).Seconds(), block, out)
		switch {
		case step.fails && err == nil:
			t.Fatalf("block %d succeeded, want it to fail:\n%s", i+1, out)
		case !step.fails && err != nil:
			t.Fatalf("block %d: %v:\n%s", i+1, err, out)
		}
		for _, s := range step.prints {
			if !strings.Contains(out, s) {
				t.Errorf("block %d did not print %q", i+1, s)
			}
		}
		for _, re := range step.matches {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("block %d did not print a line matching %q", i+1, re)
			}
		}
		for _, s := range step.absent {
			if strings.Contains(out, s) {
				t.Errorf("block %d printed %q", i+1, s)
			}
		}
		if step.stored != nil {
			got := storedAts(t, out)
			for name, version := range step.stored {
				if a := got[name]; a.encoding != "protobuf" || a.version != version {
					t.Errorf("block %d: etcd holds %s as %+v, want protobuf %s", i+1, name, a, version)
				}
			}
			if len(got) != len(step.stored) {
				t.Errorf("block %d: etcd holds %d Ats in walk, want %d", i+1, len(got), len(step.stored))
			}
			for _, name := range step.rewritten {
				if was, now := storedRevision(t, before[name]), storedRevision(t, got[name]); now <= was {
					t.Errorf("block %d: %s at revision %d, was %d: not rewritten", i+1, name, now, was)
				}
			}
			before = got
		}
		if step.fails && before != nil && strings.Contains(out, "cannot serve") {
			// The refusal changed nothing: every At at the revision it had.
			after, err := runShell(t, shellEnv, runDir, "hack/stored-ats.sh walk", true)
			if err != nil {
				t.Fatalf("hack/stored-ats.sh: %v\n%s", err, after)
			}
			if got := storedAts(t, after); !maps.Equal(got, before) {
				t.Errorf("etcd changed when 1.0 refused to start: %v, before %v", got, before)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
	}
}

// walkThroughBlocks are the ```sh blocks of docs/versions.md's walk-through section, in order.
func walkThroughBlocks(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docs", "versions.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Walk-through")
	if !ok {
		t.Fatal("docs/versions.md has no walk-through section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var blocks []string
	for {
		_, rest, ok := strings.Cut(section, "```sh\n")
		if !ok {
			return blocks
		}
		block, after, _ := strings.Cut(rest, "```")
		blocks = append(blocks, block)
		section = after
	}
}

// runShell runs commands with bash from the repository's root, as a reader who sourced local-up's env file
// in their shell; errexit stops at the first failing command (off for a block meant to fail at its last).
func runShell(t *testing.T, shellEnv []string, runDir, commands string, errexit bool) (string, error) {
	t.Helper()
	flags := "-uo"
	if errexit {
		flags = "-euo"
	}
	script := "if [[ -f " + runDir + "/env ]]; then source " + runDir + "/env; fi\n" + commands
	cmd := exec.Command("bash", flags, "pipefail", "-c", script)
	cmd.Dir = repoRoot
	cmd.Env = shellEnv
	// A file, not a pipe: the processes local-up starts in the background must not hold the output open.
	f, err := os.CreateTemp(t.TempDir(), "walk-")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	runErr := cmd.Run()
	out, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(out), runErr
}

// storedAt is one line of hack/stored-ats.sh.
type storedAt struct{ revision, encoding, version string }

var storedLine = regexp.MustCompile(`(?m)^/cnat/cnat\.programming-kubernetes\.info/ats/walk/(\S+) (\d+) (\S+) cnat\.programming-kubernetes\.info/(\S+)$`)

// storedAts reads hack/stored-ats.sh's lines out of output: At name → how it is stored.
func storedAts(t *testing.T, output string) map[string]storedAt {
	t.Helper()
	got := map[string]storedAt{}
	for _, m := range storedLine.FindAllStringSubmatch(output, -1) {
		got[m[1]] = storedAt{revision: m[2], encoding: m[3], version: m[4]}
	}
	if len(got) == 0 {
		t.Fatalf("no line of hack/stored-ats.sh in:\n%s", output)
	}
	return got
}

func storedRevision(t *testing.T, a storedAt) int64 {
	t.Helper()
	r, err := strconv.ParseInt(a.revision, 10, 64)
	if err != nil {
		t.Fatalf("revision %q: %v", a.revision, err)
	}
	return r
}
