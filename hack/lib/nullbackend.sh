# shellcheck shell=bash
# The null backend of the benchmarks (test/bench/nullbackend: discovery and a map of Ats, nothing else) as
# an aggregated server of the local control plane: a process of its own (pid file nullbackend.pid, so that
# the benchmarks see its CPU apart), registered through its own APIService, on loopback as cnat-apiserver is
# (hack/lib/cnat.sh: an ExternalName Service "localhost", the cluster CA as caBundle).
#
# Source after control-plane.sh. hack/local-up.sh starts it when CP_NULL_BACKEND=true (make bench does);
# NULL_BACKEND_FLAGS adds flags (e.g. --disable-http2-serving).

NULL_BACKEND_DIR="${CP_RUN_DIR}/nullbackend"
NULL_BACKEND_NAMESPACE=cnat-bench
NULL_BACKEND_SERVICE=nullbackend
NULL_BACKEND_GROUP=null.bench.cnat.programming-kubernetes.info
if [[ "${CP_NULL_BACKEND:-false}" == true ]]; then
  CP_COMPONENTS+=(nullbackend)
  CP_EXTRA_ENV="${CP_EXTRA_ENV:-} NULL_BACKEND_URL"
fi

# nullbackend_start: builds and starts the null backend on a free port and registers it; returns once its
# APIService is Available. Sets NULL_BACKEND_URL (its own URL, for direct calls).
nullbackend_start() {
  local port
  rm -rf "${NULL_BACKEND_DIR}"
  mkdir -p "${NULL_BACKEND_DIR}"
  (cd "${CP_ROOT}" && go build -o "${CP_BIN_DIR}/" ./test/bench/nullbackend) || return
  cp_sign_serving_cert "${NULL_BACKEND_DIR}/serving" "${NULL_BACKEND_SERVICE}.${NULL_BACKEND_NAMESPACE}.svc" localhost 127.0.0.1 || return
  port="$(cp_free_ports 1)"
  # shellcheck disable=SC2086 # NULL_BACKEND_FLAGS is a list of flags
  cp_spawn nullbackend --secure-port "${port}" --bind-address 127.0.0.1 \
    --tls-cert-file "${NULL_BACKEND_DIR}/serving.crt" --tls-private-key-file "${NULL_BACKEND_DIR}/serving.key" \
    ${NULL_BACKEND_FLAGS:-} || return
  cp_wait nullbackend --cacert "${CP_CA_CERT}" "https://127.0.0.1:${port}/readyz" || return
  nullbackend_register "${port}" || return
  NULL_BACKEND_URL="https://127.0.0.1:${port}"
  export NULL_BACKEND_URL
  cp_log "null backend registered: APIService v1beta1.${NULL_BACKEND_GROUP} is Available"
}

# nullbackend_register <port>: its namespace, Service and APIService.
nullbackend_register() {
  kubectl apply -f - >/dev/null <<EOM || return
apiVersion: v1
kind: Namespace
metadata:
  name: ${NULL_BACKEND_NAMESPACE}
---
apiVersion: v1
kind: Service
metadata:
  name: ${NULL_BACKEND_SERVICE}
  namespace: ${NULL_BACKEND_NAMESPACE}
spec:
  type: ExternalName
  externalName: localhost
  ports:
  - {name: https, port: $1}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1beta1.${NULL_BACKEND_GROUP}
spec:
  group: ${NULL_BACKEND_GROUP}
  version: v1beta1
  groupPriorityMinimum: 1000
  versionPriority: 15
  service: {name: ${NULL_BACKEND_SERVICE}, namespace: ${NULL_BACKEND_NAMESPACE}, port: $1}
  caBundle: $(base64 -w0 <"${CP_CA_CERT}")
EOM
  kubectl wait --for=condition=Available --timeout=120s "apiservice/v1beta1.${NULL_BACKEND_GROUP}" >/dev/null
}
