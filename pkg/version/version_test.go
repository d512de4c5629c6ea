package version

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	basecompatibility "k8s.io/component-base/compatibility"
)

const commit = "0123456789abcdef0123456789abcdef01234567"

// dev is the version of a build that is not a release, from BinaryVersion.
var dev = "v" + BinaryVersion + ".0-dev"

func buildInfo(mainVersion string, settings ...string) *debug.BuildInfo {
	bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/programming-kubernetes/cnat", Version: mainVersion}}
	for i := 0; i+1 < len(settings); i += 2 {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
	}
	return bi
}

func TestDerive(t *testing.T) {
	checkout := func(modified string) *debug.BuildInfo {
		return buildInfo("v0.0.0-20261130221244-0123456789ab+dirty",
			"vcs", "git", "vcs.revision", commit, "vcs.time", "2026-11-30T22:12:44Z", "vcs.modified", modified)
	}
	tests := []struct {
		name                                           string
		stamp                                          stamp
		buildInfo                                      *debug.BuildInfo
		gitVersion, gitCommit, gitTreeState, buildDate string
	}{
		{"go build of a clean checkout", stamp{}, checkout("false"),
			dev + "+0123456789ab", commit, "clean", "2026-11-30T22:12:44Z"},
		{"go build of a modified checkout", stamp{}, checkout("true"),
			dev + "+0123456789ab-dirty", commit, "dirty", "2026-11-30T22:12:44Z"},
		{"go install of a release", stamp{}, buildInfo("v1.0.2"), "v1.0.2", "", "", ""},
		{"go install of a commit", stamp{}, buildInfo("v0.0.0-20261130221244-0123456789ab"),
			dev + "+0123456789ab", "0123456789ab", "", ""},
		{"go build at a release tag", stamp{}, buildInfo("v1.0.2", "vcs.revision", commit, "vcs.modified", "false"),
			"v1.0.2", commit, "clean", ""},
		{"no VCS information (test binary, Docker context without .git)", stamp{}, buildInfo("(devel)"),
			dev, "", "", ""},
		{"no build information", stamp{}, nil, dev, "", "", ""},
		{"stamped with -ldflags", stamp{dev + "+fedcba987654", "fedcba9876543210", "clean", "2026-12-01T08:00:00Z"},
			checkout("true"), dev + "+fedcba987654", "fedcba9876543210", "clean", "2026-12-01T08:00:00Z"},
		{"stamped commit only", stamp{gitCommit: "fedcba9876543210", gitTreeState: "dirty"}, buildInfo("(devel)"),
			dev + "+fedcba987654-dirty", "fedcba9876543210", "dirty", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info := derive(tc.stamp, tc.buildInfo)
			if info.GitVersion != tc.gitVersion || info.GitCommit != tc.gitCommit || info.GitTreeState != tc.gitTreeState ||
				info.BuildDate != tc.buildDate {
				t.Errorf("got %s %q %q %q, want %s %q %q %q", info.GitVersion, info.GitCommit, info.GitTreeState, info.BuildDate,
					tc.gitVersion, tc.gitCommit, tc.gitTreeState, tc.buildDate)
			}
			if info.Major+"."+info.Minor != BinaryVersion {
				t.Errorf("major.minor %s.%s, want BinaryVersion %s", info.Major, info.Minor, BinaryVersion)
			}
			// kubectl version parses the server's gitVersion as a semantic version and fails when it cannot.
			if _, err := utilversion.ParseSemantic(info.GitVersion); err != nil {
				t.Errorf("kubectl cannot parse %s: %v", info.GitVersion, err)
			}
		})
	}
}

func TestFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // "" when nothing is printed
	}{
		{nil, ""},
		{[]string{"--version"}, "cnat-test " + String() + "\n"},
		{[]string{"--version=true"}, "cnat-test " + String() + "\n"},
		{[]string{"--version=false"}, ""},
		{[]string{"--version=raw"}, `version.Info{Major:"1", Minor:"` + strings.Split(BinaryVersion, ".")[1] + `"`},
	} {
		var f Flag
		fs := pflag.NewFlagSet("cnat-test", pflag.ContinueOnError)
		f.AddFlag(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		printed := f.PrintIfRequested(&out, "cnat-test")
		if printed != (tc.want != "") || !strings.HasPrefix(out.String(), tc.want) {
			t.Errorf("%v: printed %v %q, want %q", tc.args, printed, out.String(), tc.want)
		}
	}
	var f Flag
	fs := pflag.NewFlagSet("cnat-test", pflag.ContinueOnError)
	f.AddFlag(fs)
	if err := fs.Parse([]string{"--version=sometimes"}); err == nil {
		t.Error("--version=sometimes accepted")
	}
}

// TestWithBuildInfo: /version serves this build's version and commit with the effective version's major,
// minor and emulation version.
func TestWithBuildInfo(t *testing.T) {
	effective := basecompatibility.NewEffectiveVersionFromString("1.2", "1.0", "1.0")
	effective.SetEmulationVersion(utilversion.MajorMinor(1, 1))
	info := WithBuildInfo(effective).Info()
	build := Get()
	if info.GitVersion != build.GitVersion || info.GitCommit != build.GitCommit || info.BuildDate != build.BuildDate {
		t.Errorf("Info %+v, want the build's %+v", info, build)
	}
	if info.Major != "1" || info.Minor != "2" || info.EmulationMajor != "1" || info.EmulationMinor != "1" {
		t.Errorf("Info %#v, want 1.2 emulating 1.1", *info)
	}
}
