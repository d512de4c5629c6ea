#!/usr/bin/env bash
# Builds the binaries of the local test control plane into _output/bin/: kube-apiserver,
# kube-controller-manager, kube-scheduler and etcd from the pinned tools module in hack/tools/kube, and kwok
# (the simulated kubelet and node) from its own, hack/tools/kwok (its Kubernetes libraries are not those of
# hack/tools/kube), and etcdctl and etcdutl from hack/tools/etcd.
#
# A binary is rebuilt only when it is missing or older than its tools module's go.sum, i.e. when the pinned
# versions changed. The first build compiles a few thousand packages (several minutes); later runs are
# instant. While it compiles, a line every 15 seconds tells how many packages are done out of those to
# compile (`go list` knows which the build cache lacks; `go build -v` names each one it compiles).
#
# Usage: hack/build-control-plane.sh   (from any directory)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUBE_TOOLS_DIR="${REPO_ROOT}/hack/tools/kube"
KWOK_TOOLS_DIR="${REPO_ROOT}/hack/tools/kwok"
ETCD_TOOLS_DIR="${REPO_ROOT}/hack/tools/etcd"
BIN_DIR="${REPO_ROOT}/_output/bin"
PROGRESS_INTERVAL=15 # seconds between progress lines

# Build only from the tools modules' own go.mod/go.sum, never from a
# go.work somewhere above them; static binaries need no C toolchain.
export GOWORK=off CGO_ENABLED=0

mkdir -p "${BIN_DIR}"

# Stamp the Kubernetes version into its binaries (as upstream's
# hack/lib/version.sh does); otherwise they report v0.0.0-master.
kube_version="$(cd "${KUBE_TOOLS_DIR}" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
kube_minor="${kube_version#v*.}"
kube_minor="${kube_minor%%.*}"
kube_major="${kube_version#v}"
kube_major="${kube_major%%.*}"
kube_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags+=" -X ${pkg}.gitVersion=${kube_version}"
  kube_ldflags+=" -X ${pkg}.gitMajor=${kube_major} -X ${pkg}.gitMinor=${kube_minor}"
  kube_ldflags+=" -X ${pkg}.gitTreeState=clean"
done

# report_progress <name> <packages to compile>: reads the output of `go build -v` and prints every
# PROGRESS_INTERVAL seconds how many packages are compiled. Lines that are not a package's import path
# (compiler errors) are passed on at once.
report_progress() {
  local name="$1" total="$2" compiled=0 start=${SECONDS} last=${SECONDS} line status
  while true; do
    if IFS= read -r -t 5 line; then
      if [[ "${line}" =~ ^[^[:space:]:#]+$ ]]; then
        compiled=$((compiled + 1))
      else
        echo "${line}"
      fi
    else
      status=$?
      ((status > 128)) || break # not a timeout: the build's output ended
    fi
    if ((SECONDS - last >= PROGRESS_INTERVAL)); then
      last=${SECONDS}
      echo "build-control-plane: ${name}: ${compiled}/${total} packages compiled in $((SECONDS - start))s$( ((compiled < total)) || echo ', linking')"
    fi
  done
}

# build <tools module dir> <binary name> <main package> [extra ldflags]
build() {
  local dir="$1" name="$2" pkg="$3" extra_ldflags="${4:-}"
  local out="${BIN_DIR}/${name}" start=${SECONDS} total
  if [[ -x "${out}" && "${out}" -nt "${dir}/go.sum" ]]; then
    echo "build-control-plane: ${name} is up to date (${out})"
    return
  fi
  # -trimpath here as below: staleness depends on the build flags.
  total="$(cd "${dir}" && go list -trimpath -deps -f '{{if .Stale}}{{.ImportPath}}{{end}}' "${pkg}" | grep -c . || true)"
  echo "build-control-plane: building ${name} from ${pkg}: ${total} packages to compile, then link..."
  # -trimpath and -s -w keep the binaries small (no paths, no debug info).
  # Build to a temp name so an interrupted build never leaves a binary
  # that looks up to date.
  (cd "${dir}" && go build -v -trimpath -ldflags="-s -w ${extra_ldflags}" -o "${out}.tmp" "${pkg}" 2>&1) |
    report_progress "${name}" "${total}"
  mv "${out}.tmp" "${out}"
  echo "build-control-plane: built ${out} in $((SECONDS - start))s"
}

build "${KUBE_TOOLS_DIR}" etcd go.etcd.io/etcd/server/v3
build "${KUBE_TOOLS_DIR}" kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "${kube_ldflags}"
build "${KUBE_TOOLS_DIR}" kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler "${kube_ldflags}"
build "${KUBE_TOOLS_DIR}" kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "${kube_ldflags}"
build "${KWOK_TOOLS_DIR}" kwok sigs.k8s.io/kwok/cmd/kwok
# etcdctl and etcdutl (snapshots, restores, member changes of the test etcd clusters in test/reliability),
# from a tools module of their own, at the etcd version above.
build "${ETCD_TOOLS_DIR}" etcdctl go.etcd.io/etcd/etcdctl/v3
build "${ETCD_TOOLS_DIR}" etcdutl go.etcd.io/etcd/etcdutl/v3
