#!/usr/bin/env bash
# Builds a past cnat release from its commit (hack/releases.txt) into _output/releases/<release>/:
# cnat-apiserver and cnat-controller, stamped vX.Y.0. The version tests run the previous release next to the
# current binary (an upgrade, a rollback, the current binary emulating it) with these.
#
#   hack/build-release.sh 1.0
#
# The commit must be in the clone: a shallow clone has to be deepened first (git fetch --unshallow).
#
# With --images X.Y it also builds that release's images of cnat-apiserver and cnat-controller, tagged vX.Y, with
# the release's own hack/build-images.sh, into _output/releases/X.Y/images/ (with images.txt, as make images).
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
images=false
if [[ "${1:-}" == --images ]]; then
    images=true
    shift
fi
release="${1:?usage: hack/build-release.sh [--images] <release, e.g. 1.0> | --preview <release>}"
commit="$(awk -v r="${release}" '$1 == r { print $2 }' "${ROOT}/hack/releases.txt")"
if [[ -z "${commit}" ]]; then
    echo "build-release: no release ${release} in hack/releases.txt" >&2
    exit 1
fi
out="${ROOT}/_output/releases/${release}"
if [[ -x "${out}/cnat-apiserver" && -x "${out}/cnat-controller" && "$(cat "${out}/commit" 2>/dev/null)" == "${commit}" ]] &&
    { ! ${images} || [[ -s "${out}/images/images.txt" ]]; }; then
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
if ${images}; then
    # The release's own image build, in a checkout of its commit (the script labels the images with the
    # commit git gives it) with this checkout's etcd binaries (its etcd image is not needed, but the script
    # builds every image); only cnat's two images are kept.
    wt="${src}-worktree"
    git -C "${ROOT}" worktree add --detach "${wt}" "${commit}" >/dev/null
    trap 'git -C "${ROOT}" worktree remove --force "${wt}"; rm -rf "${src}"' EXIT
    mkdir -p "${wt}/_output" "${out}/images"
    ln -s "${ROOT}/_output/bin" "${wt}/_output/bin"
    # vX.Y: a tag that YAML reads as a string (1.0 unquoted is a number to kustomize).
    CNAT_IMAGE_TAG="v${release}" "${wt}/hack/build-images.sh" >&2
    : >"${out}/images/images.txt"
    for component in cnat-apiserver cnat-controller; do
        cp "${wt}/_output/images/${component}.tar" "${out}/images/"
        printf '%s.tar\tghcr.io/programming-kubernetes/%s:%s\n' "${component}" "${component}" "v${release}" >>"${out}/images/images.txt"
    done
fi
echo "${commit}" >"${out}/commit"
echo "build-release: cnat ${release} (${commit:0:12}) in ${out#"${ROOT}"/}"
