#!/usr/bin/env bash
# Builds a past cnat release from its commit (hack/releases.txt) into _output/releases/<release>/:
# cnat-apiserver and cnat-controller, stamped vX.Y.0. The version tests run the previous release next to the
# current binary (an upgrade, a rollback, the current binary emulating it) with these.
#
#   hack/build-release.sh 1.0
#
# The commit must be in the clone: a shallow clone has to be deepened first (git fetch --unshallow).
#
# With --preview X.Y it builds the working tree as release X.Y into _output/releases/X.Y-preview/: a release
# not made yet, to see what the versions' lifecycle tags say it does (docs/versions.md: 1.3 removes v1alpha1).
set -o errexit
set -o nounset
set -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
if [[ "${1:-}" == --preview ]]; then
    release="${2:?usage: hack/build-release.sh --preview <release, e.g. 1.3>}"
    out="${ROOT}/_output/releases/${release}-preview"
    mkdir -p "${out}"
    (cd "${ROOT}" && go build -ldflags "$(hack/version-ldflags.sh) -X github.com/programming-kubernetes/cnat/pkg/version.BinaryVersion=${release}" \
        -o "${out}/" ./cmd/cnat-apiserver ./cmd/cnat-controller)
    echo "build-release: the working tree as cnat ${release} (a preview) in ${out#"${ROOT}"/}"
    exit 0
fi
release="${1:?usage: hack/build-release.sh <release, e.g. 1.0> | --preview <release>}"
commit="$(awk -v r="${release}" '$1 == r { print $2 }' "${ROOT}/hack/releases.txt")"
if [[ -z "${commit}" ]]; then
    echo "build-release: no release ${release} in hack/releases.txt" >&2
    exit 1
fi
out="${ROOT}/_output/releases/${release}"
if [[ -x "${out}/cnat-apiserver" && -x "${out}/cnat-controller" && "$(cat "${out}/commit" 2>/dev/null)" == "${commit}" ]]; then
    exit 0
fi
if ! git -C "${ROOT}" cat-file -e "${commit}^{commit}" 2>/dev/null; then
    echo "build-release: commit ${commit} of release ${release} is not in this clone (shallow?): git fetch --unshallow" >&2
    exit 1
fi

src="$(mktemp -d)"
trap 'rm -rf "${src}"' EXIT
git -C "${ROOT}" archive "${commit}" | tar -x -C "${src}"
pkg=github.com/programming-kubernetes/cnat/pkg/version
ldflags="-X ${pkg}.gitVersion=v${release}.0 -X ${pkg}.gitCommit=${commit} -X ${pkg}.gitTreeState=clean"
ldflags+=" -X ${pkg}.buildDate=$(git -C "${ROOT}" show -s --format=%cI "${commit}" | sed 's/+00:00$/Z/')"
mkdir -p "${out}"
(cd "${src}" && CGO_ENABLED=0 go build -trimpath -ldflags "${ldflags}" -o "${out}/" ./cmd/cnat-apiserver ./cmd/cnat-controller)
echo "${commit}" >"${out}/commit"
echo "build-release: cnat ${release} (${commit:0:12}) in ${out#"${ROOT}"/}"
