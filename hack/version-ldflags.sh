#!/usr/bin/env bash
# Prints the -ldflags that stamp a cnat build with its version (pkg/version): the git commit and tree state,
# the build date, and the version when HEAD is a release tag (vX.Y.Z). Otherwise the binary derives the
# version from its BinaryVersion and the commit: v1.0.0-dev+0123456789ab, -dirty with uncommitted changes.
#
#   go build -ldflags "$(hack/version-ldflags.sh)" ./cmd/...
#   docker build --build-arg VERSION_LDFLAGS="$(hack/version-ldflags.sh)" .
#
# Outside a git checkout it prints the build date only.
set -o errexit
set -o nounset
set -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PKG="github.com/programming-kubernetes/cnat/pkg/version"

flags=("-X ${PKG}.buildDate=$(date -u +'%Y-%m-%dT%H:%M:%SZ')")
if commit="$(git -C "${ROOT}" rev-parse HEAD 2>/dev/null)"; then
    state=clean
    if [[ -n "$(git -C "${ROOT}" status --porcelain 2>/dev/null)" ]]; then
        state=dirty
    fi
    flags+=("-X ${PKG}.gitCommit=${commit}" "-X ${PKG}.gitTreeState=${state}")
    if tag="$(git -C "${ROOT}" describe --tags --exact-match --match 'v[0-9]*' HEAD 2>/dev/null)" && [[ "${state}" == clean ]]; then
        flags+=("-X ${PKG}.gitVersion=${tag}")
    fi
fi
echo "${flags[*]}"
