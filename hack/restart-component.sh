#!/usr/bin/env bash
# Restarts one process of a local control plane (hack/local-up.sh; CP_RUN_DIR, default _output/local-up),
# or starts it again if it has stopped, with the arguments it was started with, plus any given after its
# name (a flag given again takes its last value). Returns once the process is started, not when it is ready.
# The scale benchmark times the servers' restarts with it; by hand, e.g. to compare a setting:
#   hack/restart-component.sh cnat-apiserver --disable-http2-serving=false
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=hack/lib/control-plane.sh
source "${REPO_ROOT}/hack/lib/control-plane.sh"

if (($# < 1)); then
  echo "usage: $0 <component> [extra args...]   (components: the pid files in ${CP_PID_DIR})" >&2
  exit 2
fi
cp_restart "$@"
