#!/usr/bin/env bash
# Registers exactly the named versions of the At with kube-apiserver in the local control plane of
# hack/local-up.sh (CP_RUN_DIR, default _output/local-up): the APIServices of artifacts/deploy/apiservice
# pointed at its cnat-apiserver, the others deleted. Returns once the named ones are Available and kube-apiserver's
# discovery no longer lists the others.
#
#   hack/cnat-apiservices.sh v1 v1beta1 v1alpha1
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=hack/lib/control-plane.sh
source "${REPO_ROOT}/hack/lib/control-plane.sh"
# shellcheck source=hack/lib/cnat.sh
source "${REPO_ROOT}/hack/lib/cnat.sh"

if (($# < 1)); then
  echo "usage: $0 <version>... (of v1, v1beta1, v1alpha1)" >&2
  exit 2
fi
for v in "$@"; do
  [[ " v1 v1beta1 v1alpha1 " == *" ${v} "* ]] || { echo "cnat-apiservices: no version ${v} (v1, v1beta1, v1alpha1)" >&2; exit 2; }
done
cnat_local_env cnat-apiservices
cnat_register "${CNAT_APISERVER_URL##*:}" "$@"
echo "cnat-apiservices: $* registered and Available"
