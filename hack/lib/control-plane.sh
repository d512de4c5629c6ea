# shellcheck shell=bash
# Functions to run a throw-away Kubernetes control plane (etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler) with one simulated
# node (kwok) on loopback for tests.
# Source this file; it does not run anything by itself.
#
#   source hack/lib/control-plane.sh
#   cp_start              # certs + etcd + kube-apiserver + controller-manager
#                         # + scheduler + kwok and its node
#   ...use $KUBECONFIG / $CP_APISERVER_URL...
#   cp_stop               # stops exactly the processes cp_start started
#
# Other processes (e.g. an aggregated API server built into _output/bin) can
# be started with cp_spawn/cp_wait; cp_stop stops them too (first), and
# cp_restart starts any of them again with the same command line.
# cp_sign_serving_cert <out-prefix> <san...> signs a serving cert with the
# cluster CA; cp_free_ports <n> picks free loopback ports.
#
# Binaries come from _output/bin (hack/build-control-plane.sh): with
# CP_KUBE_VERSION=<minor> (1.34, 1.35, 1.36) kube-apiserver,
# kube-controller-manager, kube-scheduler and kubectl are that older minor's,
# from _output/bin/kube-<minor>; by default the newest's. kubectl is always the
# one built there, put first on the PATH, never whatever the machine has. Also
# needs openssl, python3 (free ports), curl (readiness) and ps on the PATH.
# Everything lives under CP_RUN_DIR (default _output/local-up):
#   pki/ certificates and kubeconfigs, config/ configuration files, etcd/
#   data, logs/ one log per process, pids/ one pid file per process, env
#   (see cp_write_env).
#
# Variables set for callers (also written to $CP_RUN_DIR/env):
#   KUBECONFIG, CP_KUBECONFIG   admin kubeconfig (O=system:masters)
#   CP_APISERVER_URL            https://127.0.0.1:<port>
#   CP_CA_CERT, CP_CA_KEY       cluster CA (signs serving/client certs)
#   CP_FRONT_PROXY_CA_CERT      CA of the front-proxy client certificate
#   CP_ETCD_URL                 etcd client URL
#   CP_KUBECTL                  the kubectl built at the control plane's version
#   CP_KUBE_VERSION             the older minor running, empty for the newest
#
# The one node, kwok-node, is kwok's (hack/kwok): the scheduler binds Pods to
# it and kwok takes them through the stages of hack/kwok/stages.yaml (Running,
# then Succeeded, or Failed for a failing command); no container runs. Pods of
# a namespace annotated with CP_NO_KUBELET_ANNOTATION are never scheduled, so
# nothing but a test touches their status.
#
# With CP_NODE=real the node is real instead (hack/lib/node.sh, root only): cnat-node, with containerd, runc,
# the CNI bridge, kubelet, kube-proxy and CoreDNS; Pods run real containers from the images of make images,
# kube-apiserver listens on the node's address (CP_APISERVER_URL https://10.88.0.1:<port>) so that Pods reach
# it through the kubernetes Service, and the controllers of Deployments, StatefulSets, EndpointSlices,
# PodDisruptionBudgets and PersistentVolumes run too.
#
# With kwok there is no kubelet and no kube-proxy: Services get no routable ClusterIPs.
# An aggregated API server running on the host is reachable through an
# ExternalName Service pointing at "localhost" (the aggregator dials
# <externalName>:<APIService port> and verifies the certificate against
# <service>.<namespace>.svc).

CP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CP_BIN_DIR="${CP_BIN_DIR:-${CP_ROOT}/_output/bin}"
CP_KUBE_VERSION="${CP_KUBE_VERSION:-}"
CP_KUBE_BIN_DIR="${CP_BIN_DIR}${CP_KUBE_VERSION:+/kube-${CP_KUBE_VERSION}}"
export PATH="${CP_KUBE_BIN_DIR}:${CP_BIN_DIR}:${PATH}"
# The kubectl of the control plane's version, for callers in other shells (tests): written to the env file.
CP_KUBECTL="${CP_KUBE_BIN_DIR}/kubectl"
CP_RUN_DIR="${CP_RUN_DIR:-${CP_ROOT}/_output/local-up}"
CP_CERT_DIR="${CP_RUN_DIR}/pki"
CP_LOG_DIR="${CP_RUN_DIR}/logs"
CP_PID_DIR="${CP_RUN_DIR}/pids"
# kwok or real; by default the kind the control plane under CP_RUN_DIR was started with (so that
# local-down.sh stops and tears down a real node without being told), else kwok.
CP_NODE="${CP_NODE:-$(cat "${CP_RUN_DIR}/node-kind" 2>/dev/null || echo kwok)}"
CP_SERVICE_CIDR="10.0.0.0/24"
CP_START_TIMEOUT="${CP_START_TIMEOUT:-180}" # seconds per component

CP_CA_CERT="${CP_CERT_DIR}/ca.crt"
CP_CA_KEY="${CP_CERT_DIR}/ca.key"
CP_FRONT_PROXY_CA_CERT="${CP_CERT_DIR}/front-proxy-ca.crt"
CP_KUBECONFIG="${CP_CERT_DIR}/admin.kubeconfig"
CP_CONFIG_DIR="${CP_RUN_DIR}/config"
CP_KWOK_DIR="${CP_ROOT}/hack/kwok"
CP_KWOK_NODE=kwok-node
# PodNodeSelector gives the Pods of a namespace with this annotation a node
# selector that no node matches: they stay Pending, never scheduled, and kwok
# never sees them.
CP_NO_KUBELET_ANNOTATION="scheduler.alpha.kubernetes.io/node-selector=cnat.programming-kubernetes.info/kubelet=none"

# Components in start order; cp_stop stops them in reverse.
CP_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

# shellcheck source=hack/lib/node.sh
source "${CP_ROOT}/hack/lib/node.sh"
case "${CP_NODE}" in
kwok) ;;
real)
  CP_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy coredns)
  CP_SERVICE_CIDR="${NODE_SERVICE_CIDR}"
  ;;
*)
  echo "control-plane: CP_NODE=${CP_NODE}: want kwok (simulated, the default) or real (containerd and kubelet, root)" >&2
  return 1
  ;;
esac

cp_log() { echo "control-plane: $*" >&2; }

# cp_free_ports <n>: prints n distinct free TCP ports on 127.0.0.1.
# All sockets are held open until all are picked, so the ports differ.
cp_free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# ---------------------------------------------------------------- certificates

# Minimal openssl config so results do not depend on the system openssl.cnf.
_cp_openssl_conf() { printf '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\n'; }

# _cp_ca <prefix> <cn>: self-signed CA -> <prefix>.crt/.key
_cp_ca() {
  openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 3650 \
    -keyout "$1.key" -out "$1.crt" -subj "/CN=$2" -extensions v3 \
    -config <(_cp_openssl_conf; printf '[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\n') \
    2>/dev/null
}

# _cp_cert <ca-prefix> <out-prefix> <subject> <serverAuth|clientAuth> [san...]
# Signs a leaf certificate. SANs that look like IP addresses become IP SANs.
_cp_cert() {
  local ca="$1" out="$2" subj="$3" usage="$4" sans="" san
  shift 4
  for san in "$@"; do
    if [[ "${san}" =~ ^[0-9.]+$ || "${san}" == *:* ]]; then sans+=",IP:${san}"; else sans+=",DNS:${san}"; fi
  done
  local ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=${usage}"
  [[ -n "${sans}" ]] && ext+=$'\n'"subjectAltName=${sans#,}"
  openssl req -new -nodes -newkey rsa:2048 -keyout "${out}.key" -out "${out}.csr" \
    -subj "${subj}" -config <(_cp_openssl_conf) 2>/dev/null
  openssl x509 -req -sha256 -days 365 -in "${out}.csr" -CA "${ca}.crt" -CAkey "${ca}.key" \
    -set_serial "0x$(openssl rand -hex 16)" -extfile <(echo "${ext}") -out "${out}.crt" 2>/dev/null
  rm -f "${out}.csr"
}

# cp_sign_serving_cert <out-prefix> <san...>: serving certificate signed by
# the cluster CA (e.g. for an aggregated API server). The first SAN is the CN.
cp_sign_serving_cert() {
  local out="$1"
  shift
  (($# > 0)) || { cp_log "cp_sign_serving_cert: need at least one SAN"; return 1; }
  mkdir -p "$(dirname "${out}")"
  _cp_cert "${CP_CERT_DIR}/ca" "${out}" "/CN=$1" serverAuth "$@"
}

# _cp_kubeconfig <file> <client-cert-prefix>: kubeconfig using a client cert.
_cp_kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: ${CP_APISERVER_URL}
    certificate-authority: ${CP_CA_CERT}
users:
- name: user
  user:
    client-certificate: $2.crt
    client-key: $2.key
contexts:
- name: local
  context: {cluster: local, user: user}
current-context: local
EOF
}

# _cp_first_service_ip: the kubernetes Service's ClusterIP, the first address of the Service range.
_cp_first_service_ip() {
  local net="${CP_SERVICE_CIDR%/*}"
  echo "${net%.*}.$((${net##*.} + 1))"
}

cp_gen_certs() {
  local d="${CP_CERT_DIR}"
  mkdir -p "${d}"
  _cp_ca "${d}/ca" cnat-local-ca
  _cp_cert "${d}/ca" "${d}/kube-apiserver" /CN=kube-apiserver serverAuth \
    localhost 127.0.0.1 kubernetes kubernetes.default kubernetes.default.svc \
    kubernetes.default.svc.cluster.local "$(_cp_first_service_ip)" $([[ "${CP_NODE}" != real ]] || echo "${NODE_IP}")
  _cp_cert "${d}/ca" "${d}/admin" /O=system:masters/CN=admin clientAuth
  _cp_cert "${d}/ca" "${d}/kube-controller-manager" /CN=system:kube-controller-manager clientAuth
  _cp_cert "${d}/ca" "${d}/kube-scheduler" /CN=system:kube-scheduler clientAuth
  # kwok's user, bound to the ClusterRole of hack/kwok/rbac.yaml.
  _cp_cert "${d}/ca" "${d}/kwok" /CN=kwok-controller clientAuth
  # The aggregator authenticates to aggregated servers with this cert; they
  # trust it via the requestheader CA, which must differ from the client CA.
  _cp_ca "${d}/front-proxy-ca" cnat-local-front-proxy-ca
  _cp_cert "${d}/front-proxy-ca" "${d}/front-proxy-client" /CN=front-proxy-client clientAuth
  [[ "${CP_NODE}" != real ]] || node_gen_certs
  openssl genrsa -out "${d}/sa.key" 2048 2>/dev/null
  openssl rsa -in "${d}/sa.key" -pubout -out "${d}/sa.pub" 2>/dev/null
}

# ------------------------------------------------------------------- processes

_cp_pid_file() { echo "${CP_PID_DIR}/$1.pid"; }

# _cp_bin <name>: the binary of a component: the one cp_use_binary chose for it, Kubernetes' own of
# CP_KUBE_VERSION (and the etcd that minor ships), the rest from CP_BIN_DIR.
_cp_bin() {
  if [[ -f "${CP_RUN_DIR}/binaries/$1" ]]; then
    cat "${CP_RUN_DIR}/binaries/$1"
    return
  fi
  case "$1" in
  kube-apiserver | kube-controller-manager | kube-scheduler | etcd) echo "${CP_KUBE_BIN_DIR}/$1" ;;
  containerd | kubelet | kube-proxy | coredns) node_binary "$1" ;;
  # Further replicas of cnat-controller (cnat_start_controller cnat-controller-2): the same binary under a
  # name, pid file and log of their own.
  cnat-controller-*) echo "${CP_BIN_DIR}/cnat-controller" ;;
  *) echo "${CP_BIN_DIR}/$1" ;;
  esac
}

# _cp_pid <name>: prints the pid of a component if it is still the process
# we started (its command line runs our binary: guards against pid reuse),
# fails otherwise.
_cp_pid() {
  local f pid state
  f="$(_cp_pid_file "$1")"
  [[ -f "${f}" ]] || return 1
  pid="$(<"${f}")"
  # A zombie (exited, not yet reaped) counts as gone.
  state="$(ps -o stat= -p "${pid}" 2>/dev/null)" || return 1
  [[ "${state}" != Z* ]] || return 1
  [[ "$(ps -o args= -p "${pid}" 2>/dev/null)" == *"$(_cp_bin "$1") "* ]] || return 1
  echo "${pid}"
}

cp_running() { _cp_pid "$1" >/dev/null; }

# cp_spawn <name> <args...>: starts $CP_BIN_DIR/<name> in the background,
# logging to logs/<name>.log, its pid in pids/<name>.pid (cp_stop stops it),
# its arguments in cmdlines/<name> (cp_restart starts it again with them).
# nohup: survive the hangup of the terminal local-up.sh ran in.
cp_spawn() {
  local name="$1" bin
  bin="$(_cp_bin "$1")"
  shift
  [[ -x "${bin}" ]] || { cp_log "${bin} missing: run hack/build-control-plane.sh ${CP_KUBE_VERSION}"; return 1; }
  mkdir -p "${CP_LOG_DIR}" "${CP_PID_DIR}" "${CP_RUN_DIR}/cmdlines"
  # Its arguments, NUL-separated, for cp_restart.
  if (($# > 0)); then printf '%s\0' "$@"; fi >"${CP_RUN_DIR}/cmdlines/${name}"
  nohup "${bin}" "$@" >"${CP_LOG_DIR}/${name}.log" 2>&1 </dev/null &
  echo $! >"$(_cp_pid_file "${name}")"
  cp_log "started ${name} (pid $!, log ${CP_LOG_DIR}/${name}.log)"
}

# cp_wait <name> <curl args...>: waits until the URL answers ok, failing
# early (with the log tail) if the process dies.
cp_wait() {
  local name="$1"
  shift
  cp_wait_until "${name}" "${name}" curl -fsS --max-time 5 -o /dev/null "$@" || return
  cp_log "${name} is ready"
}

# cp_wait_until <name> <what> <command...>: runs the command every second until it succeeds, failing early
# (with the last lines of <name>'s log) if the component <name> dies, or after CP_START_TIMEOUT; <what> is
# what did not come, for that message.
cp_wait_until() {
  local name="$1" what="$2" deadline=$((SECONDS + CP_START_TIMEOUT))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ! cp_running "${name}" || ((SECONDS > deadline)); then
      cp_log "${what} did not become ready; last log lines of ${name}:"
      tail -n 30 "${CP_LOG_DIR}/${name}.log" >&2 || true
      return 1
    fi
    sleep 1
  done
}

# cp_node_schedulable <node>: the Node is Ready and has no taint left: the not-ready taint a new Node gets
# at admission is lifted by the node lifecycle controller once the Node is Ready, and only then does the
# scheduler use it.
cp_node_schedulable() {
  [[ -z "$(kubectl --kubeconfig "${CP_KUBECONFIG}" get node "$1" -o jsonpath='{.spec.taints}')" ]] &&
    kubectl --kubeconfig "${CP_KUBECONFIG}" wait --for=condition=Ready node "$1" --timeout 1s
}

# cp_minor_at_least <minor>: the control plane's Kubernetes minor (CP_KUBE_VERSION, 1.<minor>; empty: the
# newest, 1.37) is at least 1.<minor>.
cp_minor_at_least() {
  local minor="${CP_KUBE_VERSION:-1.37}"
  ((${minor#1.} >= $1))
}

cp_start_etcd() {
  local client peer
  read -r client peer <<<"$(cp_free_ports 2)" || return
  CP_ETCD_URL="http://127.0.0.1:${client}"
  # Single member, data under the run dir. --unsafe-no-fsync: test data is
  # thrown away anyway, and fsync dominates latency on slow disks.
  cp_spawn etcd \
    --name local --data-dir "${CP_RUN_DIR}/etcd" \
    --listen-client-urls "${CP_ETCD_URL}" --advertise-client-urls "${CP_ETCD_URL}" \
    --listen-peer-urls "http://127.0.0.1:${peer}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${peer}" \
    --initial-cluster "local=http://127.0.0.1:${peer}" \
    --unsafe-no-fsync --log-level warn || return
  cp_wait etcd "${CP_ETCD_URL}/health"
}

cp_start_apiserver() {
  local port d="${CP_CERT_DIR}" address=127.0.0.1 node_flags=(--endpoint-reconciler-type none)
  port="$(cp_free_ports 1)" || return
  if [[ "${CP_NODE}" == real ]]; then
    # Pods reach it at the kubernetes Service (kube-proxy, the lease reconciler's endpoints) on the node's
    # address; it reaches the kubelet by that address (the node's name resolves nowhere) with a client
    # certificate, and checks the kubelet's serving certificate.
    address="${NODE_IP}"
    node_flags=(--endpoint-reconciler-type lease
      --kubelet-client-certificate "${d}/kube-apiserver-kubelet-client.crt"
      --kubelet-client-key "${d}/kube-apiserver-kubelet-client.key"
      --kubelet-certificate-authority "${CP_CA_CERT}"
      --kubelet-preferred-address-types InternalIP)
  fi
  CP_APISERVER_URL="https://${address}:${port}"
  # --advertise-address: otherwise it is derived from the default route,
  #   which may not exist in a sandbox.
  # --endpoint-reconciler-type none (kwok): no need for endpoints of the
  #   "kubernetes" Service (nothing could route to them without kube-proxy).
  # PodNodeSelector: see CP_NO_KUBELET_ANNOTATION.
  # CP_APISERVER_EXTRA_FLAGS: more flags, split on spaces (test/reliability: an audit log).
  # shellcheck disable=SC2086
  cp_spawn kube-apiserver \
    --bind-address "${address}" --secure-port "${port}" --advertise-address "${address}" \
    --cert-dir "${d}" --tls-cert-file "${d}/kube-apiserver.crt" --tls-private-key-file "${d}/kube-apiserver.key" \
    --etcd-servers "${CP_ETCD_URL}" \
    "${node_flags[@]}" \
    --enable-admission-plugins PodNodeSelector \
    --service-cluster-ip-range "${CP_SERVICE_CIDR}" \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "${d}/sa.pub" --service-account-signing-key-file "${d}/sa.key" \
    --authorization-mode Node,RBAC \
    --client-ca-file "${CP_CA_CERT}" \
    --requestheader-client-ca-file "${CP_FRONT_PROXY_CA_CERT}" \
    --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User \
    --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "${d}/front-proxy-client.crt" --proxy-client-key-file "${d}/front-proxy-client.key" \
    --enable-aggregator-routing=false ${CP_APISERVER_EXTRA_FLAGS:-} || return
  _cp_kubeconfig "${CP_KUBECONFIG}" "${d}/admin"
  cp_wait kube-apiserver --cacert "${CP_CA_CERT}" --cert "${d}/admin.crt" --key "${d}/admin.key" \
    "${CP_APISERVER_URL}/readyz"
}

cp_start_controller_manager() {
  local port d="${CP_CERT_DIR}" kc="${CP_CERT_DIR}/kube-controller-manager.kubeconfig"
  port="$(cp_free_ports 1)" || return
  _cp_kubeconfig "${kc}" "${d}/kube-controller-manager"
  # Only the controllers the tests meet: namespace deletion, garbage
  # collection, service accounts (+ their tokens), the aggregation of
  # ClusterRoles (so that admin/edit/view cover ats), resource quota (the
  # usage in a ResourceQuota's status, ats included), and the node lifecycle
  # (it lifts the not-ready taint a new Node gets once kwok reports it Ready).
  # A real node runs what artifacts/deploy holds: Deployments, a StatefulSet on PersistentVolumes, Services
  # (EndpointSlices), PodDisruptionBudgets (the Eviction API reads their status), the Pods' garbage, and
  # the ConfigMap kube-root-ca.crt every Pod's service account token volume mounts.
  local controllers=namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,clusterrole-aggregation-controller,resourcequota-controller,node-lifecycle-controller
  # From 1.37 on, the storage version migrator too (storagemigration.k8s.io/v1: the StorageVersionMigrator
  # gate is GA and on, the API group enabled by default): a StorageVersionMigration rewrites every stored
  # object of a resource (docs/versions.md). It finds the objects through the garbage collector's monitors.
  # Before 1.37 the gate is off (beta in 1.35 and 1.36, and its API then is a v1beta1 kube-apiserver does not
  # serve by default): the controller would not start.
  if cp_minor_at_least 37; then
    controllers+=,storage-version-migrator-controller
  fi
  if [[ "${CP_NODE}" == real ]]; then
    controllers+=,deployment-controller,replicaset-controller,statefulset-controller,endpointslice-controller,endpoints-controller,disruption-controller,persistentvolume-binder-controller,persistentvolume-protection-controller,persistentvolumeclaim-protection-controller,pod-garbage-collector-controller,ttl-controller,taint-eviction-controller,root-ca-certificate-publisher-controller
  fi
  # CP_CONTROLLER_MANAGER_EXTRA_FLAGS: more flags, split on spaces (-v=2: why a StorageVersionMigration waits).
  # shellcheck disable=SC2086
  cp_spawn kube-controller-manager \
    --kubeconfig "${kc}" --authentication-kubeconfig "${kc}" --authorization-kubeconfig "${kc}" \
    --bind-address 127.0.0.1 --secure-port "${port}" --cert-dir "${d}/kube-controller-manager-serving" \
    --controllers "${controllers}" \
    --service-account-private-key-file "${d}/sa.key" --root-ca-file "${CP_CA_CERT}" \
    --use-service-account-credentials --leader-elect=false ${CP_CONTROLLER_MANAGER_EXTRA_FLAGS:-} || return
  # /healthz is served without authentication (--authorization-always-allow-paths).
  cp_wait kube-controller-manager -k "https://127.0.0.1:${port}/healthz"
}

cp_start_scheduler() {
  local port d="${CP_CERT_DIR}" kc="${CP_CERT_DIR}/kube-scheduler.kubeconfig" config="${CP_CONFIG_DIR}/kube-scheduler.yaml"
  port="$(cp_free_ports 1)" || return
  _cp_kubeconfig "${kc}" "${d}/kube-scheduler"
  mkdir -p "${CP_CONFIG_DIR}"
  # The client's default QPS and burst (50/100) would take ten seconds and
  # more to bind 1000 Pods due at once (make bench).
  cat >"${config}" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: ${kc}
  qps: 2000
  burst: 2000
leaderElection:
  leaderElect: false
EOF
  cp_spawn kube-scheduler --config "${config}" \
    --authentication-kubeconfig "${kc}" --authorization-kubeconfig "${kc}" \
    --bind-address 127.0.0.1 --secure-port "${port}" --cert-dir "${d}/kube-scheduler-serving" || return
  cp_wait kube-scheduler -k "https://127.0.0.1:${port}/healthz"
}

# cp_start_kwok: kwok with its RBAC, then its node; returns once the node is
# Ready and schedulable.
cp_start_kwok() {
  local port d="${CP_CERT_DIR}" kc="${CP_CERT_DIR}/kwok.kubeconfig"
  port="$(cp_free_ports 1)" || return
  _cp_kubeconfig "${kc}" "${d}/kwok"
  kubectl --kubeconfig "${CP_KUBECONFIG}" apply -f "${CP_KWOK_DIR}/rbac.yaml" >/dev/null || return
  cp_spawn kwok --kubeconfig "${kc}" \
    --config "${CP_KWOK_DIR}/kwok.yaml" --config "${CP_KWOK_DIR}/stages.yaml" \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --server-address "127.0.0.1:${port}" || return
  cp_wait kwok "http://127.0.0.1:${port}/healthz" || return
  kubectl --kubeconfig "${CP_KUBECONFIG}" apply -f "${CP_KWOK_DIR}/node.yaml" >/dev/null || return
  cp_wait_until kwok "node ${CP_KWOK_NODE}, Ready and schedulable," cp_node_schedulable "${CP_KWOK_NODE}" || return
  cp_log "node ${CP_KWOK_NODE} (kwok) is Ready"
}

# _cp_start_node: the node Pods run on, kwok's or a real one.
_cp_start_node() {
  if [[ "${CP_NODE}" == real ]]; then node_start; else cp_start_kwok; fi
}

# cp_start: fresh control plane (wipes the previous one under CP_RUN_DIR).
# Stops whatever it started if a component fails to come up. (The start
# functions use "|| return" because set -e does not apply inside "if !".)
cp_start() {
  rm -rf "${CP_RUN_DIR:?}"/{pki,config,etcd,logs,pids,cmdlines,env}
  mkdir -p "${CP_RUN_DIR}"
  cp_gen_certs
  echo "${CP_NODE}" >"${CP_RUN_DIR}/node-kind"
  if [[ "${CP_NODE}" == real ]] && ! node_network_up; then
    cp_stop
    return 1
  fi
  if ! { cp_start_etcd && cp_start_apiserver && cp_start_controller_manager && cp_start_scheduler && _cp_start_node; }; then
    cp_stop
    return 1
  fi
  export KUBECONFIG="${CP_KUBECONFIG}" CP_KUBECONFIG CP_APISERVER_URL CP_CA_CERT CP_CA_KEY \
    CP_FRONT_PROXY_CA_CERT CP_ETCD_URL CP_RUN_DIR CP_NO_KUBELET_ANNOTATION
}

# cp_stop_one <name>: SIGTERM, SIGKILL after 30s; waits until it is gone.
cp_stop_one() {
  local name="$1" pid i
  if pid="$(_cp_pid "${name}")"; then
    cp_log "stopping ${name} (pid ${pid})"
    kill -TERM "${pid}" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do
      cp_running "${name}" || break
      if ((i == 30)); then
        cp_log "${name} ignored SIGTERM for 30s, killing it"
        kill -KILL "${pid}" 2>/dev/null || true
      fi
      sleep 1
    done
  fi
  rm -f "$(_cp_pid_file "${name}")"
}

# cp_restart <name> [args...]: stops a component started with cp_spawn, if it
# runs, and starts it again with the arguments it was started with, args
# appended (a flag given again takes its last value). Returns once it is
# started, not ready: the caller times that. The log so far is kept as
# <name>.log.<n>.
cp_restart() {
  local name="$1"
  shift
  cp_respawn "${name}" "${CP_RUN_DIR}/cmdlines/${name}" "$@"
}

# cp_respawn <name> <argument file> [args...]: cp_restart with the arguments of a file cp_spawn wrote (a copy
# kept from an earlier start), args appended.
cp_respawn() {
  local name="$1" cmdline="$2" i=1
  local -a args
  shift 2
  [[ -f "${cmdline}" ]] || { cp_log "${name} was never started here (no ${cmdline})"; return 1; }
  mapfile -d '' args <"${cmdline}"
  cp_stop_one "${name}"
  while [[ -e "${CP_LOG_DIR}/${name}.log.${i}" ]]; do i=$((i + 1)); done
  if [[ -e "${CP_LOG_DIR}/${name}.log" ]]; then mv "${CP_LOG_DIR}/${name}.log" "${CP_LOG_DIR}/${name}.log.${i}"; fi
  cp_spawn "${name}" "${args[@]}" "$@"
}

# cp_use_binary <name> <binary>: from now on the component runs that binary (another release of it), for
# cp_spawn, cp_restart and the checks that a pid is still the component's; no binary: CP_BIN_DIR's again.
cp_use_binary() {
  mkdir -p "${CP_RUN_DIR}/binaries"
  if [[ -n "${2:-}" ]]; then
    echo "$2" >"${CP_RUN_DIR}/binaries/$1"
  else
    rm -f "${CP_RUN_DIR}/binaries/$1"
  fi
}

# cp_stop: stops every process started with cp_spawn (pid files), extra ones
# (e.g. an aggregated server) first, then the control plane in reverse start
# order. Idempotent.
cp_stop() {
  local f name i
  for f in "${CP_PID_DIR}"/*.pid; do
    [[ -e "${f}" ]] || continue
    name="$(basename "${f}" .pid)"
    [[ " ${CP_COMPONENTS[*]} " == *" ${name} "* ]] || cp_stop_one "${name}"
  done
  for ((i = ${#CP_COMPONENTS[@]} - 1; i >= 0; i--)); do
    # A real node's containers go before containerd does (their shims would outlive it).
    [[ "${CP_COMPONENTS[i]}" != containerd ]] || node_stop_containers
    cp_stop_one "${CP_COMPONENTS[i]}"
  done
  [[ "${CP_NODE}" != real ]] || node_teardown
  rm -f "${CP_RUN_DIR}/env"
}

# cp_all_running: true if every control-plane component is up.
cp_all_running() {
  local name
  for name in "${CP_COMPONENTS[@]}"; do cp_running "${name}" || return 1; done
}

# cp_any_running: true if any process with a pid file is up.
cp_any_running() {
  local f
  for f in "${CP_PID_DIR}"/*.pid; do
    [[ -e "${f}" ]] && cp_running "$(basename "${f}" .pid)" && return 0
  done
  return 1
}

# cp_write_env: writes $CP_RUN_DIR/env, to be sourced by callers
# ("source _output/local-up/env") in other shells.
cp_write_env() {
  local v
  for v in KUBECONFIG CP_KUBECONFIG CP_APISERVER_URL CP_CA_CERT CP_CA_KEY CP_FRONT_PROXY_CA_CERT CP_ETCD_URL CP_RUN_DIR \
    CP_NO_KUBELET_ANNOTATION CP_KUBECTL CP_KUBE_VERSION CP_NODE \
    ${CP_EXTRA_ENV:-}; do
    printf 'export %s=%q\n' "${v}" "${!v}"
  done >"${CP_RUN_DIR}/env"
}
