package flags

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// trial is a value given to a flag, and whether the binary must refuse it; a value it need not refuse it
// may accept or refuse, but never crash on.
type trial struct {
	flag, value string
	mustRefuse  bool
}

// badFiles are files no flag that reads a file can accept: the tests make them once.
type badFiles struct {
	missing, empty, directory, garbage, underAFile string
}

func newBadFiles(t *testing.T) badFiles {
	dir := t.TempDir()
	f := badFiles{
		missing:    filepath.Join(dir, "missing.yaml"),
		empty:      filepath.Join(dir, "empty.yaml"),
		directory:  filepath.Join(dir, "a-directory"),
		garbage:    filepath.Join(dir, "garbage.yaml"),
		underAFile: filepath.Join(dir, "garbage.yaml", "sub"),
	}
	for path, content := range map[string]string{f.empty: "", f.garbage: "\x00\x01 not: [yaml, json, or PEM\n"} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(f.directory, 0o700); err != nil {
		t.Fatal(err)
	}
	return f
}

// readsAFile tells by its name whether a flag names a file the binary reads: --tls-cert-file,
// --etcd-cafile, --kubeconfig, --encryption-provider-config, ….
func readsAFile(name string) bool {
	return strings.HasSuffix(name, "file") || strings.HasSuffix(name, "kubeconfig") || strings.HasSuffix(name, "-config")
}

// writesAPath tells by its name whether a flag names a file or directory the binary creates or writes:
// --data-dir, --cert-dir, --audit-log-path, --debug-socket-path.
func writesAPath(name string) bool {
	return strings.HasSuffix(name, "-dir") || strings.HasSuffix(name, "-path")
}

// trialsFor derives, from a flag's type and name, values that are malformed (must be refused) and values
// that are odd but may be meant (zero, negative, empty, huge).
func trialsFor(f *pflag.Flag, files badFiles) []trial {
	must := func(values ...string) []trial {
		var trials []trial
		for _, v := range values {
			trials = append(trials, trial{flag: f.Name, value: v, mustRefuse: true})
		}
		return trials
	}
	may := func(values ...string) []trial {
		var trials []trial
		for _, v := range values {
			trials = append(trials, trial{flag: f.Name, value: v})
		}
		return trials
	}
	switch {
	case readsAFile(f.Name):
		return append(must(files.missing, files.empty, files.directory, files.garbage), may("")...)
	case writesAPath(f.Name):
		return may("", files.underAFile, files.garbage)
	}
	switch f.Value.Type() {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return append(must("abc", "99999999999999999999999"), may("0", "-1", "2147483647")...)
	case "float32", "float64":
		return append(must("abc"), may("0", "-1", "NaN", "+Inf")...)
	case "duration":
		return append(must("abc", "3000000h"), may("0s", "-1s")...)
	case "bool":
		return must("maybe", "2")
	case "ip":
		return append(must("not-an-ip", "300.1.2.3"), may("")...)
	case "string":
		return may("", strings.Repeat("x", 64<<10), "a b/c:d")
	default: // lists, maps, versions, feature gates, …: malformed items, empty items, nothing
		return may("", ",,", "=", "garbage=garbage", strings.Repeat("y", 64<<10))
	}
}
