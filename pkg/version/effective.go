package version

import (
	apimachineryversion "k8s.io/apimachinery/pkg/version"
	basecompatibility "k8s.io/component-base/compatibility"
)

// WithBuildInfo returns v whose Info (what the generic API server serves on /version) describes this build:
// v's own Info takes the git version, commit and build date from k8s.io/component-base/version, which a
// plain go build leaves at placeholders ("v0.0.0-master+$Format:%H$") that kubectl cannot parse.
func WithBuildInfo(v basecompatibility.EffectiveVersion) basecompatibility.EffectiveVersion {
	return effectiveVersion{v}
}

type effectiveVersion struct {
	basecompatibility.EffectiveVersion
}

// Info keeps the major, minor, emulation and minimum compatibility versions of the effective version, with
// a minor version 0 written "0" (the embedded Info leaves it empty).
func (v effectiveVersion) Info() *apimachineryversion.Info {
	info := v.EffectiveVersion.Info()
	if info == nil {
		return nil
	}
	build := Get()
	info.GitVersion, info.GitCommit, info.GitTreeState, info.BuildDate =
		build.GitVersion, build.GitCommit, build.GitTreeState, build.BuildDate
	info.Major, info.Minor = majorMinor(v.BinaryVersion())
	if emulation := v.EmulationVersion(); emulation != nil {
		info.EmulationMajor, info.EmulationMinor = majorMinor(emulation)
	}
	if minCompatibility := v.MinCompatibilityVersion(); minCompatibility != nil {
		info.MinCompatibilityMajor, info.MinCompatibilityMinor = majorMinor(minCompatibility)
	}
	return info
}
