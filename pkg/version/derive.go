package version

import (
	"runtime/debug"
	"strconv"

	"golang.org/x/mod/module"
	utilversion "k8s.io/apimachinery/pkg/util/version"
)

// vcsSettings returns the vcs.* settings Go embedded: vcs.revision, vcs.time, vcs.modified. A build outside
// a checkout (a module download, a Docker context without .git) and a test binary have none.
func vcsSettings(buildInfo *debug.BuildInfo) map[string]string {
	settings := map[string]string{}
	if buildInfo == nil {
		return settings
	}
	for _, s := range buildInfo.Settings {
		settings[s.Key] = s.Value
	}
	return settings
}

func treeState(modified string) string {
	switch modified {
	case "true":
		return "dirty"
	case "false":
		return "clean"
	}
	return ""
}

// releaseVersion is the main module's version when Go knows it as a release: go install …@v1.0.1, or a build
// of a checkout at a tag. Go calls anything else (devel) or gives it a pseudo-version, v0.0.0-<date>-<commit>,
// which says nothing of cnat's version.
func releaseVersion(buildInfo *debug.BuildInfo) string {
	if buildInfo == nil {
		return ""
	}
	v := buildInfo.Main.Version
	if _, err := utilversion.ParseSemantic(v); err != nil || module.IsPseudoVersion(v) {
		return ""
	}
	return v
}

// pseudoVersionRevision is the commit a pseudo-version names, abbreviated to 12 digits: a binary built
// with go install …@<commit> has no VCS information, but its module version says which commit it is.
func pseudoVersionRevision(buildInfo *debug.BuildInfo) string {
	if buildInfo == nil || !module.IsPseudoVersion(buildInfo.Main.Version) {
		return ""
	}
	revision, _ := module.PseudoVersionRev(buildInfo.Main.Version)
	return revision
}

// devVersion is the version of a build that is not a release: BinaryVersion as a patch release 0, the
// pre-release "dev", and the commit (and "-dirty") as build metadata, which semantic versioning ignores when
// it orders versions: v1.0.0-dev+0123456789ab-dirty.
func devVersion(commit, treeState string) string {
	v := "v" + BinaryVersion + ".0-dev"
	if commit == "" {
		return v
	}
	v += "+" + commit[:min(len(commit), 12)]
	if treeState == "dirty" {
		v += "-dirty"
	}
	return v
}

func majorMinor(v *utilversion.Version) (major, minor string) {
	return strconv.FormatUint(uint64(v.Major()), 10), strconv.FormatUint(uint64(v.Minor()), 10)
}

// firstOf returns the first of values that is not empty.
func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
