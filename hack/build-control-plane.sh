#!/usr/bin/env bash
# Builds the binaries of the local test control plane (kube-apiserver,
# kube-controller-manager, etcd) from the pinned tools module in
# hack/tools/kube into _output/bin/.
#
# A binary is rebuilt only when it is missing or older than
# hack/tools/kube/go.sum, i.e. when the pinned versions changed.
# kube-apiserver takes several minutes to compile; later runs are instant.
#
# Usage: hack/build-control-plane.sh   (from any directory)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${REPO_ROOT}/hack/tools/kube"
BIN_DIR="${REPO_ROOT}/_output/bin"

# Build only from the tools module's own go.mod/go.sum, never from a
# go.work somewhere above it; static binaries need no C toolchain.
export GOWORK=off CGO_ENABLED=0

mkdir -p "${BIN_DIR}"
cd "${TOOLS_DIR}"

# Stamp the Kubernetes version into the binaries (as upstream's
# hack/lib/version.sh does); otherwise they report v0.0.0-master.
kube_version="$(go list -m -f '{{.Version}}' k8s.io/kubernetes)"
kube_minor="${kube_version#v*.}"
kube_minor="${kube_minor%%.*}"
kube_major="${kube_version#v}"
kube_major="${kube_major%%.*}"
version_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_ldflags+=" -X ${pkg}.gitVersion=${kube_version}"
  version_ldflags+=" -X ${pkg}.gitMajor=${kube_major} -X ${pkg}.gitMinor=${kube_minor}"
  version_ldflags+=" -X ${pkg}.gitTreeState=clean"
done

# build <binary name> <main package> [extra ldflags]
build() {
  local name="$1" pkg="$2" extra_ldflags="${3:-}"
  local out="${BIN_DIR}/${name}"
  if [[ -x "${out}" && "${out}" -nt "${TOOLS_DIR}/go.sum" ]]; then
    echo "build-control-plane: ${name} is up to date (${out})"
    return
  fi
  echo "build-control-plane: building ${name} from ${pkg} (this can take minutes)..."
  local start=${SECONDS}
  # -trimpath and -s -w keep the binaries small (no paths, no debug info).
  # Build to a temp name so an interrupted build never leaves a binary
  # that looks up to date.
  go build -trimpath -ldflags="-s -w ${extra_ldflags}" -o "${out}.tmp" "${pkg}"
  mv "${out}.tmp" "${out}"
  echo "build-control-plane: built ${out} in $((SECONDS - start))s"
}

build etcd go.etcd.io/etcd/server/v3
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "${version_ldflags}"
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "${version_ldflags}"
