# shellcheck shell=bash
# The reference aggregated server of k8s.io/apiserver, k8s.io/sample-apiserver (its Flunders, group
# wardle.example.com), at the version of the k8s.io/apiserver that cnat-apiserver is built on, as a second
# aggregated server of the local control plane: apiserverload measures what the generic server's request path
# costs without cnat's code (the sample-agg-json backend). A process of its own (pid file sample-apiserver.pid),
# registered through its APIServices and an ExternalName Service "localhost" as cnat-apiserver is.
#
# Source after control-plane.sh. hack/local-up.sh starts it when CP_SAMPLE_APISERVER=true (make bench does).

SAMPLE_APISERVER_DIR="${CP_RUN_DIR}/sample-apiserver"
SAMPLE_APISERVER_NAMESPACE=cnat-bench
SAMPLE_APISERVER_SERVICE=sample-apiserver
SAMPLE_APISERVER_GROUP=wardle.example.com
if [[ "${CP_SAMPLE_APISERVER:-false}" == true ]]; then
  CP_COMPONENTS+=(sample-apiserver)
  CP_EXTRA_ENV="${CP_EXTRA_ENV:-} SAMPLE_APISERVER_URL"
fi

# sampleapiserver_build: builds k8s.io/sample-apiserver at the version go.mod requires of k8s.io/apiserver,
# from the module cache (its own go.mod and go.sum), unless that binary is there already.
sampleapiserver_build() {
  local version dir stamp="${CP_BIN_DIR}/sample-apiserver.version"
  version="$(cd "${CP_ROOT}" && go list -m -f '{{.Version}}' k8s.io/apiserver)" || return
  if [[ -x "${CP_BIN_DIR}/sample-apiserver" && "$(cat "${stamp}" 2>/dev/null)" == "${version}" ]]; then
    return
  fi
  cp_log "building k8s.io/sample-apiserver@${version} (a few minutes the first time)"
  dir="$(cd "${CP_ROOT}" && go mod download -json "k8s.io/sample-apiserver@${version}" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [[ -n "${dir}" ]] || { cp_log "k8s.io/sample-apiserver@${version}: not in the module proxy"; return 1; }
  (cd "${dir}" && GOFLAGS=-mod=readonly go build -o "${CP_BIN_DIR}/sample-apiserver" .) || return
  echo "${version}" >"${stamp}"
}

# sampleapiserver_start: builds, starts and registers it on a free port; returns once its APIServices are
# Available. Sets SAMPLE_APISERVER_URL. It runs as cnat-apiserver runs aggregated: its own etcd prefix in the
# control plane's etcd, delegated authentication and authorization, priority and fairness off (the
# aggregator has applied it), so that the two differ by what they serve and not by how they are set up.
sampleapiserver_start() {
  local port
  sampleapiserver_build || return
  rm -rf "${SAMPLE_APISERVER_DIR}"
  mkdir -p "${SAMPLE_APISERVER_DIR}"
  cp_sign_serving_cert "${SAMPLE_APISERVER_DIR}/serving" \
    "${SAMPLE_APISERVER_SERVICE}.${SAMPLE_APISERVER_NAMESPACE}.svc" localhost 127.0.0.1 || return
  port="$(cp_free_ports 1)"
  cp_spawn sample-apiserver --secure-port "${port}" --bind-address 127.0.0.1 \
    --tls-cert-file "${SAMPLE_APISERVER_DIR}/serving.crt" --tls-private-key-file "${SAMPLE_APISERVER_DIR}/serving.key" \
    --etcd-servers "${CP_ETCD_URL}" \
    --kubeconfig "${CP_KUBECONFIG}" --authentication-kubeconfig "${CP_KUBECONFIG}" \
    --authorization-kubeconfig "${CP_KUBECONFIG}" \
    --enable-priority-and-fairness=false || return
  cp_wait sample-apiserver --cacert "${CP_CA_CERT}" "https://127.0.0.1:${port}/readyz" || return
  sampleapiserver_register "${port}" || return
  SAMPLE_APISERVER_URL="https://127.0.0.1:${port}"
  export SAMPLE_APISERVER_URL
  cp_log "sample-apiserver registered: APIServices of ${SAMPLE_APISERVER_GROUP} are Available"
}

# sampleapiserver_register <port>: its namespace, Service and the APIServices of both its versions.
sampleapiserver_register() {
  local version
  kubectl apply -f - >/dev/null <<EOM || return
apiVersion: v1
kind: Namespace
metadata:
  name: ${SAMPLE_APISERVER_NAMESPACE}
---
apiVersion: v1
kind: Service
metadata:
  name: ${SAMPLE_APISERVER_SERVICE}
  namespace: ${SAMPLE_APISERVER_NAMESPACE}
spec:
  type: ExternalName
  externalName: localhost
  ports:
  - {name: https, port: $1}
EOM
  for version in v1alpha1 v1beta1; do
    kubectl apply -f - >/dev/null <<EOM || return
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: ${version}.${SAMPLE_APISERVER_GROUP}
spec:
  group: ${SAMPLE_APISERVER_GROUP}
  version: ${version}
  groupPriorityMinimum: 1000
  versionPriority: 15
  service: {name: ${SAMPLE_APISERVER_SERVICE}, namespace: ${SAMPLE_APISERVER_NAMESPACE}, port: $1}
  caBundle: $(base64 -w0 <"${CP_CA_CERT}")
EOM
    kubectl wait --for=condition=Available --timeout=120s "apiservice/${version}.${SAMPLE_APISERVER_GROUP}" >/dev/null || return
  done
}
