#!/usr/bin/env bash
# Installs cnat into the local cluster with a real node (CP_NODE=real hack/local-up.sh runs it) the way a user
# installs it into theirs (docs/cluster.md): certificates from hack/deploy-certs.sh, then
# `kubectl apply -k` of artifacts/deploy through the overlay deploy-certs writes. The only change is an
# overlay over that one which names the images make images built (tag "local", imported into the node: there
# is no registry to pull from); nothing else of the artifacts is changed. Waits until etcd, cnat-apiserver
# and cnat-controller are rolled out and both APIServices are Available.
#
# Usage: hack/install-local.sh            (with the env of the running local-up: source _output/local-up/env)
# Writes under ${CP_RUN_DIR}: deploy/ (deploy-certs' overlay, with the CA keys) and install/ (the image overlay).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CP_RUN_DIR="${CP_RUN_DIR:-${REPO_ROOT}/_output/local-up}"
# shellcheck source=/dev/null
[[ -n "${KUBECONFIG:-}" ]] || source "${CP_RUN_DIR}/env"
KUBECTL="${CP_KUBECTL:-${REPO_ROOT}/_output/bin/kubectl}"
IMAGE_TAG="${CNAT_IMAGE_TAG:-local}"
TIMEOUT="${CNAT_INSTALL_TIMEOUT:-300s}"

log() { echo "install-local: $*" >&2; }

"${REPO_ROOT}/hack/deploy-certs.sh" "${CP_RUN_DIR}/deploy" >/dev/null

mkdir -p "${CP_RUN_DIR}/install"
# The images of make images, by the names artifacts/deploy/images gives them; etcd's and the At's default
# image (busybox) keep their names and tags, as imported.
cat >"${CP_RUN_DIR}/install/kustomization.yaml" <<EOF
# Written by hack/install-local.sh: the overlay of hack/deploy-certs.sh with the images make images built.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../deploy
images:
- name: ghcr.io/programming-kubernetes/cnat-apiserver
  newTag: "${IMAGE_TAG}"
- name: ghcr.io/programming-kubernetes/cnat-controller
  newTag: "${IMAGE_TAG}"
EOF

log "kubectl apply -k ${CP_RUN_DIR}/install"
"${KUBECTL}" apply -k "${CP_RUN_DIR}/install" >/dev/null
for workload in statefulset/cnat-etcd deployment/cnat-apiserver deployment/cnat-controller; do
  log "waiting for ${workload}"
  "${KUBECTL}" -n cnat-system rollout status "${workload}" --timeout "${TIMEOUT}" >/dev/null
done
"${KUBECTL}" wait --for=condition=Available --timeout "${TIMEOUT}" \
  apiservice/v1.cnat.programming-kubernetes.info apiservice/v1beta1.cnat.programming-kubernetes.info \
  apiservice/v1alpha1.cnat.programming-kubernetes.info >/dev/null
log "cnat is installed: kubectl get ats -A"
