#!/usr/bin/env bash
# Runs another cnat release in the local control plane of hack/local-up.sh (CP_RUN_DIR, default
# _output/local-up): replaces cnat-apiserver by that release's binary, with the flags local-up started it with
# and the ones given here, waits until it is ready, then replaces cnat-controller the same way. It changes no
# APIService (hack/cnat-apiservices.sh does). docs/versions.md walks from 1.0 to 1.3 with it.
#
#   hack/cnat-release.sh current --emulated-version cnat=1.0   # the working tree's binary, emulating 1.0
#   hack/cnat-release.sh 1.0                                   # release 1.0 (hack/releases.txt), built if needed
#   hack/cnat-release.sh 1.3-preview                           # the working tree built as 1.3
#
# A server that refuses to start (a stored version it does not serve) fails it with its message; the
# controller is then left as it was.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=hack/lib/control-plane.sh
source "${REPO_ROOT}/hack/lib/control-plane.sh"
# shellcheck source=hack/lib/cnat.sh
source "${REPO_ROOT}/hack/lib/cnat.sh"

if (($# < 1)); then
  echo "usage: $0 current|<release>|<release>-preview [cnat-apiserver flags...]" >&2
  exit 2
fi
cnat_local_env cnat-release
cnat_switch "$@"
shift
version="$("$(_cp_bin cnat-apiserver)" --version)"
echo "cnat-release: ${version}${1:+ ($*)} serves $(cnat_served_versions | sed 's/ /, /g'); APIServices registered:" \
  "$(kubectl get apiservices -o name | sed -n 's|^apiservice.apiregistration.k8s.io/\(v[^.]*\)\.cnat\.programming-kubernetes\.info$|\1|p' | paste -sd, - | sed 's/,/, /g')"
