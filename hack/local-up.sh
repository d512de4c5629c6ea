#!/usr/bin/env bash
# Starts a local control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler; one simulated node run by kwok) on loopback with free ports,
# cnat-apiserver in aggregated mode registered through its APIServices, and
# cnat-controller (hack/lib/cnat.sh). With CP_NULL_BACKEND=true, also the
# benchmarks' null backend, aggregated too (hack/lib/nullbackend.sh); with
# CP_SAMPLE_APISERVER=true, k8s.io/sample-apiserver (hack/lib/sampleapiserver.sh).
# The processes keep running in the background; stop them with
# hack/local-down.sh. State, logs and certificates: _output/local-up/.
# CP_KUBE_VERSION=1.34 (1.35, 1.36) runs that older Kubernetes minor (and its etcd 3.6) instead of
# the newest (docs/cluster.md, "Supported Kubernetes versions"). CNAT_RELEASE=1.0
# runs that cnat release (hack/releases.txt, built from its commit) instead of
# this tree's; hack/cnat-release.sh moves to another one later (docs/versions.md,
# "Walk-through").
#
# CP_NODE=real (root) gives it a real node instead of kwok's (hack/lib/node.sh: containerd, kubelet,
# kube-proxy, CoreDNS; Pods run real containers) and installs cnat the way a cluster gets it: the images of
# make images imported into the node, then kubectl apply -k of artifacts/deploy (hack/install-local.sh).
# CNAT_INSTALL=false leaves cnat out (the node tests install it themselves).
#
# Re-running it while everything from an earlier run is still up reuses that
# control plane (prints the same KUBECONFIG, exit 0). If only part of it is
# up, it fails and asks for hack/local-down.sh. Otherwise it starts from
# scratch (fresh certificates and etcd data).
#
# Use it with:  source _output/local-up/env   (sets KUBECONFIG and CP_* vars)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=hack/lib/control-plane.sh
source "${REPO_ROOT}/hack/lib/control-plane.sh"
# shellcheck source=hack/lib/cnat.sh
source "${REPO_ROOT}/hack/lib/cnat.sh"
# shellcheck source=hack/lib/nullbackend.sh
source "${REPO_ROOT}/hack/lib/nullbackend.sh"
# shellcheck source=hack/lib/sampleapiserver.sh
source "${REPO_ROOT}/hack/lib/sampleapiserver.sh"

print_usage_hint() {
  local node="${CP_KWOK_NODE}" how='simulated by kwok: Running at once, Succeeded a second later
(Failed, exit code 1, if the command'"'"'s last argument is false)' logs=""
  if [[ "${CP_NODE}" == real ]]; then
    node="${NODE_NAME}" how='a real node: containerd runs its command in a container' logs='
  kubectl -n demo logs <its pod>        # what the command printed'
  fi
  cat <<EOM

local-up: control plane is up at ${CP_APISERVER_URL}
  export KUBECONFIG=${KUBECONFIG}
  (or: source ${CP_RUN_DIR}/env)
Pods run on node ${node}, ${how}. Watch an At's whole life:
  kubectl get nodes
  kubectl create namespace demo
  kubectl -n demo get ats --watch &     # Pending, Running, Succeeded
  kubectl -n demo create -f ${REPO_ROOT}/pkg/apis/cnat/testdata/conversion/book-example/v1beta1.yaml
  kubectl -n demo get pods -o wide      # its Pod, on ${node}, Completed${logs}
Stop it with: ${REPO_ROOT}/hack/local-down.sh
EOM
}

if cp_all_running && [[ -f "${CP_RUN_DIR}/env" ]]; then
  # shellcheck source=/dev/null
  source "${CP_RUN_DIR}/env"
  echo "local-up: control plane already running, reusing it"
  print_usage_hint
  exit 0
fi
if cp_any_running; then
  echo "local-up: a previous control plane is partly running (pid files in ${CP_PID_DIR});" \
    "run hack/local-down.sh first" >&2
  exit 1
fi

"${REPO_ROOT}/hack/build-control-plane.sh"
if [[ "${CP_NODE}" == real ]]; then
  "${REPO_ROOT}/hack/build-control-plane.sh" node
  "${REPO_ROOT}/hack/build-images.sh"
fi
if [[ -n "${CP_KUBE_VERSION}" ]]; then
  "${REPO_ROOT}/hack/build-control-plane.sh" "${CP_KUBE_VERSION}"
fi

# On any failure (or Ctrl-C) stop what this run started: no half-up leftovers.
started=false
trap '${started} || { echo "local-up: failed, stopping what was started" >&2; cp_stop; }' EXIT

cp_start
if [[ "${CP_NODE}" == real ]]; then
  # cnat runs in Pods, not as processes of hack/lib/cnat.sh: none of its URLs.
  CP_EXTRA_ENV=""
  cp_write_env
  [[ "${CNAT_INSTALL:-true}" == false ]] || CP_RUN_DIR="${CP_RUN_DIR}" "${REPO_ROOT}/hack/install-local.sh"
else
  cnat_start
  cnat_start_controller
fi
if [[ "${CP_NULL_BACKEND:-false}" == true ]]; then
  nullbackend_start
fi
if [[ "${CP_SAMPLE_APISERVER:-false}" == true ]]; then
  sampleapiserver_start
fi
cp_write_env
started=true
print_usage_hint
