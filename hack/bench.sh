#!/usr/bin/env bash
# make bench: benchmarks on a local control plane of their own (_output/bench), printing figures. Not tests:
# the numbers depend on the machine; compare figures of one run with each other.
# Arguments go to controllerlag; PUNCTUALITY_FLAGS to the punctuality benchmark; SCALE_FLAGS to the scale
# benchmark (e.g. "--cnat-ats 20000 --crd-ats 5000"), SCALE_MILLION to its million-At mode (the Ats it loads;
# 0 skips it) and SCALE_MILLION_FLAGS (e.g. "--crd-steps 100000,250000"), CNAT_APISERVER_FLAGS to
# cnat-apiserver.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CP_RUN_DIR="${ROOT}/_output/bench"

"${ROOT}/hack/local-down.sh" >/dev/null 2>&1 || true
trap '"${ROOT}/hack/local-down.sh" >/dev/null 2>&1 || true' EXIT
# Visible: the first build of the control plane takes minutes and says how far it is.
"${ROOT}/hack/build-control-plane.sh"
# With the null backend (hack/lib/nullbackend.sh) and k8s.io/sample-apiserver (hack/lib/sampleapiserver.sh):
# apiserverload compares cnat with them.
CP_NULL_BACKEND=true CP_SAMPLE_APISERVER=true "${ROOT}/hack/local-up.sh" >/dev/null
# shellcheck source=/dev/null
source "${CP_RUN_DIR}/env"

# cpu_seconds: CPU time (user+system) each component has used so far, from /proc.
cpu_seconds() {
  local f name pid ticks
  ticks="$(getconf CLK_TCK)"
  for f in "${CP_RUN_DIR}"/pids/*.pid; do
    name="$(basename "${f}" .pid)"
    pid="$(<"${f}")"
    awk -v n="${name}" -v t="${ticks}" '{printf "%s %.2f\n", n, ($14+$15)/t}' "/proc/${pid}/stat" 2>/dev/null || true
  done
}

echo "== cnat-controller: lag from schedule to Pod, to Running and to Succeeded"
(cd "${ROOT}" && go build -o "${ROOT}/_output/bin/controllerlag" ./test/bench/controllerlag)
# It prints what the burst cost each component (from /proc, pid files of local-up), and the floor: the same
# number of Pods created at once by a client that does nothing else.
"${ROOT}/_output/bin/controllerlag" --kubeconfig "${KUBECONFIG}" --pid-dir "${CP_RUN_DIR}/pids" "$@"

echo
echo "== cnat-controller: punctuality under a steady stream while 100,000 Ats wait, and what a waiting At costs"
(cd "${ROOT}" && go build -o "${ROOT}/_output/bin/punctuality" ./test/bench/punctuality)
# Two replicas under leader election, as the Deployment runs them; the second is stopped after it. It prints
# the bare-Pod throughput, the lags of the controller and of its floor (a plain client doing the same at the
# same kind of instants, with the controller's identity), the leader's idle CPU and memory per waiting At.
# PUNCTUALITY_FLAGS passes flags to it (e.g. "--waiting 20000 --rounds 2").
"${ROOT}/hack/start-controller-replica.sh" cnat-controller-2 >/dev/null
# shellcheck disable=SC2086 # PUNCTUALITY_FLAGS is a list of flags
"${ROOT}/_output/bin/punctuality" --kubeconfig "${KUBECONFIG}" --pid-dir "${CP_RUN_DIR}/pids" ${PUNCTUALITY_FLAGS:-}
(source "${ROOT}/hack/lib/control-plane.sh" && cp_stop_one cnat-controller-2 >/dev/null 2>&1)

echo
echo "== cnat-apiserver against the same At as a CRD of kube-apiserver (peer), etcd alone (floor) and the null backend (ceiling)"
(cd "${ROOT}" && go build -o "${ROOT}/_output/bin/apiserverload" ./test/bench/apiserverload)
mkdir -p "${CP_RUN_DIR}/profiles"
before="$(cpu_seconds)"
"${ROOT}/_output/bin/apiserverload" --cpu-profile-dir "${CP_RUN_DIR}/profiles"
echo
echo "CPU seconds used during the run, by component (2 cores shared by all):"
join <(sort <<<"${before}") <(cpu_seconds | sort) | awk '{printf "  %-24s %6.1f\n", $1, $3-$2}'
echo "CPU profiles of cnat-apiserver (go tool pprof -top <file>): ${CP_RUN_DIR}/profiles"

echo
echo "== scale: 100,000 Ats in cnat-apiserver and as CRD objects in kube-apiserver (memory, restart, LIST, watch)"
(cd "${ROOT}" && go build -o "${ROOT}/_output/bin/scale" ./test/bench/scale)
# Last: it restarts kube-apiserver (twice) and cnat-apiserver.
# shellcheck disable=SC2086 # SCALE_FLAGS is a list of flags
"${ROOT}/_output/bin/scale" --restart-command "${ROOT}/hack/restart-component.sh" ${SCALE_FLAGS:-}

if [[ "${SCALE_MILLION:-1000000}" != 0 ]]; then
  echo
  echo "== scale --million: a million Ats loaded into etcd, cnat-apiserver restarted on them, the CRD peer in steps"
  # A million Ats and the CRD peer's steps outgrow etcd's default 2 GiB quota (deleted keys keep their space
  # until compaction and defragmentation): etcd runs with 8 GiB for it (docs/performance.md, "Limits").
  "${ROOT}/hack/restart-component.sh" etcd --quota-backend-bytes=8589934592 >/dev/null
  for _ in $(seq 60); do curl -sf "${CP_ETCD_URL}/health" >/dev/null && break; sleep 0.5; done
  # shellcheck disable=SC2086 # SCALE_MILLION_FLAGS is a list of flags
  "${ROOT}/_output/bin/scale" --restart-command "${ROOT}/hack/restart-component.sh" --million "${SCALE_MILLION:-1000000}" \
    ${SCALE_MILLION_FLAGS:-}
fi
