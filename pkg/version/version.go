// Package version tells which build of cnat is running: its version, git commit and tree state, and build
// date, as /version, `kubectl version` and --version show them.
//
// A build may stamp them with -ldflags "-X …" (hack/version-ldflags.sh does, for the Makefile,
// hack/lib/cnat.sh and the Dockerfile), as Kubernetes stamps k8s.io/component-base/version. Without that, a
// plain go build, go install or go run still reports a real version: Go embeds the module version and the
// VCS revision in every binary it builds from a checkout, and Get derives the rest from them.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"

	utilversion "k8s.io/apimachinery/pkg/util/version"
	apimachineryversion "k8s.io/apimachinery/pkg/version"
)

// BinaryVersion is cnat's own version, MAJOR.MINOR: the API's prerelease lifecycle (docs/versions.md) and
// --emulated-version cnat=… count in it. A build that is not a release reports vMAJOR.MINOR.0-dev+<commit>.
//
// A variable only so that a test build can be stamped as the next release (-ldflags "-X
// github.com/programming-kubernetes/cnat/pkg/version.BinaryVersion=1.3") to see what the versions' tags
// already say it will serve (test/integration/versions); releases are built with it as it is.
var BinaryVersion = "1.2"

// OldestEmulatedVersion is the oldest release this binary can emulate: the first release of cnat, so that an
// installation of any release can be upgraded to this binary one emulated release at a time.
const OldestEmulatedVersion = "1.0"

// Set with -ldflags "-X github.com/programming-kubernetes/cnat/pkg/version.<name>=<value>"; empty means
// "derive it from what Go embedded".
var (
	// gitVersion is the semantic version, such as v1.0.0 or v1.0.0-dev+0123456789ab-dirty.
	gitVersion string
	// gitCommit is the full SHA-1 of the commit the binary was built from.
	gitCommit string
	// gitTreeState is "clean", or "dirty" when the tree had changes that were not committed.
	gitTreeState string
	// buildDate is the build's date, RFC 3339 (date -u +'%Y-%m-%dT%H:%M:%SZ').
	buildDate string
)

// Get returns this binary's version information.
func Get() apimachineryversion.Info {
	buildInfo, _ := debug.ReadBuildInfo()
	return derive(stamp{gitVersion, gitCommit, gitTreeState, buildDate}, buildInfo)
}

// String is the one-line form --version prints: "v1.0.0-dev+0123456789ab".
func String() string { return Get().GitVersion }

// stamp holds what -ldflags set.
type stamp struct {
	gitVersion, gitCommit, gitTreeState, buildDate string
}

func derive(s stamp, buildInfo *debug.BuildInfo) apimachineryversion.Info {
	vcs := vcsSettings(buildInfo)
	info := apimachineryversion.Info{
		GitCommit:    firstOf(s.gitCommit, vcs["vcs.revision"], pseudoVersionRevision(buildInfo)),
		GitTreeState: firstOf(s.gitTreeState, treeState(vcs["vcs.modified"])),
		// Without a stamped build date, the commit's date: it says how old the code is, and keeps builds of
		// one commit reproducible.
		BuildDate: firstOf(s.buildDate, vcs["vcs.time"]),
		GoVersion: runtime.Version(),
		Compiler:  runtime.Compiler,
		Platform:  fmt.Sprintf("%s/%s", runtime.GOOS, runtime.GOARCH),
	}
	info.Major, info.Minor = majorMinor(utilversion.MustParseGeneric(BinaryVersion))
	info.GitVersion = firstOf(s.gitVersion, releaseVersion(buildInfo), devVersion(info.GitCommit, info.GitTreeState))
	return info
}
