#!/usr/bin/env bash
# Stops everything hack/local-up.sh started (by pid file, nothing else).
# Idempotent: does nothing if nothing runs. Logs stay in _output/local-up/logs.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=hack/lib/control-plane.sh
source "${REPO_ROOT}/hack/lib/control-plane.sh"

cp_stop
echo "local-down: stopped (logs kept in ${CP_LOG_DIR})"
