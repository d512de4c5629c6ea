# shellcheck shell=bash
# Starts cnat-apiserver in aggregated mode behind the local control plane of hack/lib/control-plane.sh, with
# the identity and RBAC of a cluster deployment (artifacts/deploy/rbac: a ServiceAccount bound to
# system:auth-delegator, extension-apiserver-authentication-reader and its own ClusterRole; not
# system:masters), and registers it through the APIServices of artifacts/deploy/apiservice.
#
# Source after control-plane.sh; call cnat_start once cp_start has run.

CNAT_DIR="${CP_RUN_DIR}/cnat"
CNAT_NAMESPACE=cnat-system
CNAT_SERVICE=cnat-apiserver
# local-up counts as running only with cnat-apiserver and cnat-controller up; its env file carries their URLs.
CP_COMPONENTS+=(cnat-apiserver cnat-controller)
CP_EXTRA_ENV="${CP_EXTRA_ENV:-} CNAT_APISERVER_URL CNAT_CONTROLLER_URL"

cnat_build() {
  (cd "${CP_ROOT}" && go build -ldflags "$(hack/version-ldflags.sh)" -o "${CP_BIN_DIR}/" ./cmd/cnat-apiserver ./cmd/cnat-controller)
}

# cnat_release_dir <release>: the directory of a release's cnat-apiserver and cnat-controller, built if needed:
# "current" is the working tree's as cnat_start built it (not again: a build stamps the time, so it would link
# anew each time), X.Y a past release of hack/releases.txt (hack/build-release.sh), X.Y-preview the working
# tree built as X.Y (hack/build-release.sh --preview X.Y).
cnat_release_dir() {
  case "$1" in
  current) echo "${CP_BIN_DIR}" ;;
  *-preview) "${CP_ROOT}/hack/build-release.sh" --preview "${1%-preview}" >&2 && echo "${CP_ROOT}/_output/releases/$1" ;;
  *) "${CP_ROOT}/hack/build-release.sh" "$1" >&2 && echo "${CP_ROOT}/_output/releases/$1" ;;
  esac
}

# cnat_local_env <script>: sources the env file of the running local control plane (KUBECONFIG,
# CNAT_APISERVER_URL, …), or fails saying that <script> needs hack/local-up.sh first.
cnat_local_env() {
  [[ -f "${CP_RUN_DIR}/env" ]] || { echo "$1: no local control plane in ${CP_RUN_DIR} (hack/local-up.sh)" >&2; return 1; }
  # shellcheck source=/dev/null
  source "${CP_RUN_DIR}/env"
}

# cnat_served_versions: the versions of the At that the running cnat-apiserver serves, from its own discovery
# (asked directly, with the admin's credentials), in its order.
cnat_served_versions() {
  kubectl --server "${CNAT_APISERVER_URL}" get --raw /apis/cnat.programming-kubernetes.info |
    python3 -c 'import json, sys; print(" ".join(v["version"] for v in json.load(sys.stdin)["versions"]))'
}

# cnat_identity_kubeconfig <file> <service-account>: a kubeconfig with a token of a ServiceAccount of
# cnat-system, which is what the Deployment's Pod gets from its mounted token in a cluster.
cnat_identity_kubeconfig() {
  local token
  token="$(kubectl -n "${CNAT_NAMESPACE}" create token "$2" --duration 48h)" || return
  (
    umask 077
    printf '%s\n' \
      "apiVersion: v1" \
      "kind: Config" \
      "clusters:" \
      "- name: local" \
      "  cluster: {server: '${CP_APISERVER_URL}', certificate-authority: '${CP_CA_CERT}'}" \
      "users:" \
      "- name: $2" \
      "  user: {token: '${token}'}" \
      "contexts:" \
      "- name: local" \
      "  context: {cluster: local, user: $2}" \
      "current-context: local" >"$1"
  )
}

# cnat_register <port> [version ...]: the APIServices of the deploy artifacts, pointed at this machine. There
# is no kube-proxy here, so the Service becomes ExternalName localhost; the aggregator dials
# localhost:<APIService port> and still checks the certificate against cnat-apiserver.cnat-system.svc.
# With versions, only their APIServices (a release that does not serve v1 must not have v1's).
cnat_register() {
  local port="$1" overlay="${CNAT_DIR}/overlay" ca v
  shift
  local versions=("$@") apiservices=() unlisted=()
  [[ ${#versions[@]} -gt 0 ]] || versions=(v1 v1beta1 v1alpha1)
  for v in "${versions[@]}"; do apiservices+=("apiservice/${v}.cnat.programming-kubernetes.info"); done
  for v in v1 v1beta1 v1alpha1; do
    [[ " ${versions[*]} " == *" ${v} "* ]] || unlisted+=("${v}")
  done
  ca="$(base64 -w0 <"${CP_CA_CERT}")"
  mkdir -p "${overlay}"
  printf '%s\n' \
    "apiVersion: kustomize.config.k8s.io/v1beta1" \
    "kind: Kustomization" \
    "resources:" \
    "- $(realpath --relative-to="${overlay}" "${CP_ROOT}/artifacts/deploy/apiservice")" \
    "patches:" \
    "- target: {kind: Service, name: ${CNAT_SERVICE}}" \
    "  patch: |" \
    "    - op: replace" \
    "      path: /spec" \
    "      value: {type: ExternalName, externalName: localhost, ports: [{name: https, port: ${port}}]}" \
    "- target: {kind: APIService}" \
    "  patch: |" \
    "    - {op: replace, path: /spec/caBundle, value: '${ca}'}" \
    "    - {op: replace, path: /spec/service/port, value: ${port}}" >"${overlay}/kustomization.yaml"
  for v in "${unlisted[@]}"; do
    printf '%s\n' "- patch: |" \
      "    \$patch: delete" \
      "    apiVersion: apiregistration.k8s.io/v1" "    kind: APIService" \
      "    metadata: {name: ${v}.cnat.programming-kubernetes.info}" \
      >>"${overlay}/kustomization.yaml"
  done
  kubectl kustomize --load-restrictor LoadRestrictionsNone "${overlay}" | kubectl apply -f - >/dev/null || return
  kubectl wait --for=condition=Available --timeout=120s "${apiservices[@]}" >/dev/null || return
  # Exactly the named versions: an APIService of another version left by an earlier registration goes, and
  # its version leaves kube-apiserver's discovery before this returns.
  [[ ${#unlisted[@]} -gt 0 ]] || return 0
  for v in "${unlisted[@]}"; do
    kubectl delete apiservice "${v}.cnat.programming-kubernetes.info" --ignore-not-found >/dev/null || return
  done
  local deadline=$((SECONDS + 60)) group
  while ((SECONDS < deadline)); do
    group="$(kubectl get --raw /apis/cnat.programming-kubernetes.info 2>/dev/null)" || true
    local shown=0
    for v in "${unlisted[@]}"; do
      [[ "${group}" == *"\"version\":\"${v}\""* ]] && shown=1
    done
    ((shown)) || return 0
    sleep 0.2
  done
  echo "cnat_register: kube-apiserver's discovery still lists one of ${unlisted[*]} after its APIService was deleted" >&2
  return 1
}

# cnat_start: builds and starts cnat-apiserver on a free port with its own etcd prefix on the cluster's
# etcd, and registers the APIServices of the versions it serves. Sets CNAT_APISERVER_URL. One replica: no
# shutdown delay (nothing to hand its connections to). CNAT_APISERVER_FLAGS adds flags (benchmarks compare
# settings with it); CNAT_RELEASE=X.Y runs that release's binaries instead of the working tree's
# (cnat_release_dir; docs/versions.md walks from 1.0 to the current release with it).
cnat_start() {
  local port dir
  # A fresh control plane: nothing of an earlier run (tokens of another kube-apiserver) may be reused.
  rm -rf "${CNAT_DIR}"
  mkdir -p "${CNAT_DIR}"
  cnat_build || return
  dir="$(cnat_release_dir "${CNAT_RELEASE:-current}")" || return
  cp_use_binary cnat-apiserver "${dir}/cnat-apiserver"
  cp_use_binary cnat-controller "${dir}/cnat-controller"
  kubectl apply -k "${CP_ROOT}/artifacts/deploy/rbac" >/dev/null || return
  cnat_identity_kubeconfig "${CNAT_DIR}/kubeconfig" cnat-apiserver || return
  cp_sign_serving_cert "${CNAT_DIR}/serving" "${CNAT_SERVICE}.${CNAT_NAMESPACE}.svc" localhost 127.0.0.1 || return
  port="$(cp_free_ports 1)"
  cp_spawn cnat-apiserver \
    --secure-port "${port}" --bind-address 127.0.0.1 \
    --tls-cert-file "${CNAT_DIR}/serving.crt" --tls-private-key-file "${CNAT_DIR}/serving.key" \
    --kubeconfig "${CNAT_DIR}/kubeconfig" \
    --etcd-servers "${CP_ETCD_URL}" --etcd-prefix /cnat \
    --data-dir "${CNAT_DIR}/data" \
    --shutdown-delay-duration 0s --shutdown-watch-termination-grace-period 5s \
    ${CNAT_APISERVER_FLAGS:-} || return
  # The command line of this start, which cnat_switch starts other releases with (their own flags added).
  cp "${CP_RUN_DIR}/cmdlines/cnat-apiserver" "${CNAT_DIR}/cnat-apiserver.args"
  cp_wait cnat-apiserver --cacert "${CP_CA_CERT}" "https://127.0.0.1:${port}/readyz" || return
  CNAT_APISERVER_URL="https://127.0.0.1:${port}"
  export CNAT_APISERVER_URL
  local served
  served="$(cnat_served_versions)" || return
  # shellcheck disable=SC2086 # a list of versions
  cnat_register "${port}" ${served} || return
  cp_log "cnat-apiserver registered: the APIServices of ${served} are Available"
}

# cnat_switch <release> [flag ...]: replaces the running cnat-apiserver by that release's binary
# (cnat_release_dir) with the flags it was first started with and the given ones, waits until it is ready,
# then does the same for cnat-controller (without flags). The APIServices stay as they are (cnat_register
# changes them). A server that refuses to start (docs/versions.md, "What a server checks before it serves")
# fails this with the last lines of its log, and the controller is left alone.
cnat_switch() {
  local release="$1" dir port
  shift
  dir="$(cnat_release_dir "${release}")" || return
  port="${CNAT_APISERVER_URL##*:}"
  cp_stop_one cnat-apiserver
  cp_use_binary cnat-apiserver "${dir}/cnat-apiserver"
  cp_respawn cnat-apiserver "${CNAT_DIR}/cnat-apiserver.args" "$@" || return
  cp_wait cnat-apiserver --cacert "${CP_CA_CERT}" "https://127.0.0.1:${port}/readyz" || return
  cp_stop_one cnat-controller
  cp_use_binary cnat-controller "${dir}/cnat-controller"
  cp_restart cnat-controller || return
  cp_wait cnat-controller "${CNAT_CONTROLLER_URL}/healthz"
}

# cnat_start_controller [name]: starts cnat-controller with the RBAC of its Deployment
# (artifacts/deploy/controller) and a token of its ServiceAccount, leader election on, its identity in the
# Lease <name>_<hostname>_<start time in ns>: a benchmark tells which process leads by it, and it is unique per
# process, as the default <hostname>_<uuid> is, so that a new process never takes an old one's Lease for its
# own. Sets CNAT_CONTROLLER_URL (/healthz, /metrics) for the first, cnat-controller. A second replica, as in
# the Deployment, is another name (cnat-controller-2): its own pid file, log and port, the same Lease; its URL
# is its --bind-address (cmdlines/<name>).
# Callable again after the controller was stopped: it reuses the kubeconfig.
cnat_start_controller() {
  local name="${1:-cnat-controller}" port kubeconfig="${CNAT_DIR}/controller.kubeconfig"
  kubectl apply -f "${CP_ROOT}/artifacts/deploy/controller/rbac.yaml" >/dev/null || return
  [[ -f "${kubeconfig}" ]] || cnat_identity_kubeconfig "${kubeconfig}" cnat-controller || return
  port="$(cp_free_ports 1)"
  cp_spawn "${name}" --kubeconfig "${kubeconfig}" --bind-address "127.0.0.1:${port}" \
    --leader-elect --leader-elect-resource-namespace "${CNAT_NAMESPACE}" \
    --leader-elect-identity "${name}_$(hostname)_$(date +%s%N)" || return
  cp_wait "${name}" "http://127.0.0.1:${port}/healthz" || return
  [[ "${name}" != cnat-controller ]] && return 0
  CNAT_CONTROLLER_URL="http://127.0.0.1:${port}"
  export CNAT_CONTROLLER_URL
}
