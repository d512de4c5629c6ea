#!/usr/bin/env bash
# Builds the binaries of the local test control plane into _output/bin/: kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl and etcd from the pinned tools module in hack/tools/kube
# (the newest Kubernetes minor cnat supports), kwok (the simulated kubelet and node) from its own,
# hack/tools/kwok (its Kubernetes libraries are not those of hack/tools/kube), and etcdctl and etcdutl from
# hack/tools/etcd.
#
# With minors as arguments it builds, instead, the control plane of each older supported minor (the version
# skew smoke, test/skew) from hack/tools/kube-<minor> into _output/bin/kube-<minor>/: kube-apiserver,
# kube-controller-manager, kube-scheduler and kubectl. "kubectl-<minor>" builds only that kubectl (1.38: from
# the k8s.io/kubectl module of hack/tools/kubectl-1.38, the one minor newer than the newest control plane).
# "node" builds, instead, the binaries of a real local node into _output/bin/node/: kubelet and kube-proxy
# from hack/tools/kube-node (the newest control plane's version, in a module of their own: their
# dependencies must not move hack/tools/kube's), and coredns, the cluster DNS, from hack/tools/coredns
# (CoreDNS with only the plugins of hack/lib/node/Corefile.tmpl).
#
# A binary is rebuilt only when it is missing or older than its tools module's go.sum (or main.go, if the
# module has a main package of its own), i.e. when the pinned versions changed, and then copied from the binary cache (below) if an earlier build made the same one. The first build compiles a few thousand packages (several minutes per minor); later runs
# only link, or do nothing. While it compiles, a line every 15 seconds tells how many packages are done out
# of those to compile (`go list` knows which the build cache lacks; `go build -v` names each one it compiles).
#
# Usage: hack/build-control-plane.sh                     the newest control plane, etcd, kwok, kubectl
#        hack/build-control-plane.sh 1.34 1.35 1.36      older control planes (+ their kubectl and etcd 3.6)
#        hack/build-control-plane.sh kubectl-1.38        one kubectl
#        hack/build-control-plane.sh node                kubelet, kube-proxy, coredns (_output/bin/node)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUBE_TOOLS_DIR="${REPO_ROOT}/hack/tools/kube"
KWOK_TOOLS_DIR="${REPO_ROOT}/hack/tools/kwok"
ETCD_TOOLS_DIR="${REPO_ROOT}/hack/tools/etcd"
# The etcd of the older minors' control planes: they ship etcd 3.6 (kubeadm installs 3.6.5 with 1.34, 3.6.6
# with 1.35, 3.6.8 with 1.36; 3.6.8 stands for all three), the newest plane runs 3.7.
ETCD36_TOOLS_DIR="${REPO_ROOT}/hack/tools/etcd-3.6"
NODE_TOOLS_DIR="${REPO_ROOT}/hack/tools/kube-node"
COREDNS_TOOLS_DIR="${REPO_ROOT}/hack/tools/coredns"
BIN_DIR="${REPO_ROOT}/_output/bin"
PROGRESS_INTERVAL=15 # seconds between progress lines

# Build only from the tools modules' own go.mod/go.sum, never from a
# go.work somewhere above them; static binaries need no C toolchain.
export GOWORK=off CGO_ENABLED=0

mkdir -p "${BIN_DIR}"

# kube_ldflags <tools module dir>: stamps the Kubernetes version of the module into its binaries (as
# upstream's hack/lib/version.sh does); otherwise they report v0.0.0-master.
kube_ldflags() {
  local version major minor flags="" pkg
  version="$(cd "$1" && go list -m -f '{{.Version}}' "${2:-k8s.io/kubernetes}")"
  # k8s.io/kubectl v0.38.x is Kubernetes 1.38.x.
  [[ "${version}" != v0.* ]] || version="v1.${version#v0.}"
  minor="${version#v*.}"
  minor="${minor%%.*}"
  major="${version#v}"
  major="${major%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X ${pkg}.gitVersion=${version}"
    flags+=" -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
    flags+=" -X ${pkg}.gitTreeState=clean"
  done
  echo "${flags}"
}

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

# The binaries are also kept outside the checkout, keyed by everything that decides their content (the
# tools module's go.sum, the package, the flags, the Go version): a fresh clone on the same machine (CI) copies
# them instead of linking each one again (half a minute to a minute apiece for Kubernetes' binaries).
BIN_CACHE="${CNAT_BIN_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/cnat/control-plane}"

# cache_key <tools module dir> <main package> <ldflags>. A tools module with a main package of its own
# (kubectl-1.38, coredns: main.go) builds it into the binary, so its source counts too (coredns' plugins).
cache_key() {
  { cat "$1/go.sum" "$1/go.mod"; [[ ! -f "$1/main.go" ]] || cat "$1/main.go"; echo "$2 $3 ${GOTOOLCHAIN:-} $(cd "$1" && go env GOVERSION)"; } | sha256sum | cut -c1-32
}

# build <tools module dir> <binary name> <main package> [extra ldflags]
build() {
  local dir="$1" name="$2" pkg="$3" extra_ldflags="${4:-}"
  local out="${BIN_DIR}/${name}" start=${SECONDS} total cached
  cached="${BIN_CACHE}/$(cache_key "${dir}" "${pkg}" "${extra_ldflags}")/$(basename "${name}")"
  if [[ -x "${out}" && "${out}" -nt "${dir}/go.sum" && ! "${dir}/main.go" -nt "${out}" ]]; then
    echo "build-control-plane: ${name} is up to date (${out})"
    [[ -x "${cached}" ]] || { mkdir -p "$(dirname "${cached}")" && cp "${out}" "${cached}.tmp" && mv "${cached}.tmp" "${cached}"; }
    return
  fi
  if [[ -x "${cached}" ]]; then
    cp "${cached}" "${out}.tmp" && mv "${out}.tmp" "${out}"
    echo "build-control-plane: ${name} copied from the binary cache (${cached})"
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
  mkdir -p "$(dirname "${cached}")" && cp "${out}" "${cached}.tmp" && mv "${cached}.tmp" "${cached}"
  echo "build-control-plane: built ${out} in $((SECONDS - start))s"
}

# build_minor <minor>: the control plane, kubectl and etcd of an older supported minor, into
# _output/bin/kube-<minor>.
build_minor() {
  local dir="${REPO_ROOT}/hack/tools/kube-$1" out="${BIN_DIR}/kube-$1" flags name
  [[ -f "${dir}/go.mod" ]] || { echo "build-control-plane: no tools module ${dir} for Kubernetes $1" >&2; exit 1; }
  mkdir -p "${out}"
  flags="$(kube_ldflags "${dir}")"
  for name in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    build "${dir}" "kube-$1/${name}" "k8s.io/kubernetes/cmd/${name}" "${flags}"
  done
  build "${ETCD36_TOOLS_DIR}" "kube-$1/etcd" go.etcd.io/etcd/server/v3
}

# build_kubectl <minor>: kubectl alone. Its own tools module holds a main package when no k8s.io/kubernetes
# of that minor is served (only the k8s.io/kubectl library is); it may need a newer Go, which the go command
# fetches from the module proxy (GOTOOLCHAIN in the module's toolchain file).
build_kubectl() {
  local dir="${REPO_ROOT}/hack/tools/kubectl-$1" toolchain="" flags
  [[ -f "${dir}/go.mod" ]] || { echo "build-control-plane: no tools module ${dir} for kubectl $1" >&2; exit 1; }
  [[ ! -f "${dir}/toolchain" ]] || toolchain="$(<"${dir}/toolchain")"
  # Every go command of this module, the version lookup of the ldflags included, runs on its toolchain.
  local GOTOOLCHAIN="${toolchain:-${GOTOOLCHAIN:-local}}"
  export GOTOOLCHAIN
  mkdir -p "${BIN_DIR}/kubectl-$1"
  flags="$(kube_ldflags "${dir}" k8s.io/kubectl)"
  build "${dir}" "kubectl-$1/kubectl" "github.com/programming-kubernetes/cnat/hack/tools/kubectl-$1" "${flags}"
}

# build_node: the binaries of a real local node, into _output/bin/node/ (apart from the control plane's:
# only a node needs them, and a node's scripts find all three in one place).
build_node() {
  local flags coredns_version
  mkdir -p "${BIN_DIR}/node"
  # The kubelet registers its version with the Node (status.nodeInfo.kubeletVersion): the version skew
  # checks of the control plane read it, so it must not be v0.0.0-master.
  flags="$(kube_ldflags "${NODE_TOOLS_DIR}")"
  build "${NODE_TOOLS_DIR}" node/kubelet k8s.io/kubernetes/cmd/kubelet "${flags}"
  build "${NODE_TOOLS_DIR}" node/kube-proxy k8s.io/kubernetes/cmd/kube-proxy "${flags}"
  # CoreDNS's Makefile stamps GitCommit; gitTag makes it a release build rather than "(untracked dev
  # build)". The module proxy serves no commit, so the tag stands for it in both.
  coredns_version="$(cd "${COREDNS_TOOLS_DIR}" && go list -m -f '{{.Version}}' github.com/coredns/coredns)"
  build "${COREDNS_TOOLS_DIR}" node/coredns github.com/programming-kubernetes/cnat/hack/tools/coredns \
    "-X github.com/coredns/coredns/coremain.gitTag=${coredns_version} -X github.com/coredns/coredns/coremain.GitCommit=${coredns_version}"
}

if (($# > 0)); then
  for arg in "$@"; do
    case "${arg}" in
    node) build_node ;;
    kubectl-*) build_kubectl "${arg#kubectl-}" ;;
    *) build_minor "${arg}" ;;
    esac
  done
  exit 0
fi

newest_ldflags="$(kube_ldflags "${KUBE_TOOLS_DIR}")"
build "${KUBE_TOOLS_DIR}" etcd go.etcd.io/etcd/server/v3
build "${KUBE_TOOLS_DIR}" kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "${newest_ldflags}"
build "${KUBE_TOOLS_DIR}" kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler "${newest_ldflags}"
build "${KUBE_TOOLS_DIR}" kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "${newest_ldflags}"
# The kubectl every test runs (never the one on the PATH): the newest control plane's.
build "${KUBE_TOOLS_DIR}" kubectl k8s.io/kubernetes/cmd/kubectl "${newest_ldflags}"
build "${KWOK_TOOLS_DIR}" kwok sigs.k8s.io/kwok/cmd/kwok
# etcdctl and etcdutl (snapshots, restores, member changes of the test etcd clusters in test/reliability),
# from a tools module of their own, at the etcd version above.
build "${ETCD_TOOLS_DIR}" etcdctl go.etcd.io/etcd/etcdctl/v3
build "${ETCD_TOOLS_DIR}" etcdutl go.etcd.io/etcd/etcdutl/v3
