#!/usr/bin/env bash
# Starts one more cnat-controller replica on a running local control plane (hack/local-up.sh; CP_RUN_DIR,
# default _output/local-up), as the Deployment runs two: the same binary, RBAC and Lease, its own name
# (default cnat-controller-2), pid file, log and port. It stands by until the leader goes. hack/local-down.sh
# stops it with the rest. The punctuality benchmark runs the controller this way.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=hack/lib/control-plane.sh
source "${REPO_ROOT}/hack/lib/control-plane.sh"
# shellcheck source=hack/lib/cnat.sh
source "${REPO_ROOT}/hack/lib/cnat.sh"

# shellcheck source=/dev/null
source "${CP_RUN_DIR}/env"
cnat_start_controller "${1:-cnat-controller-2}"
