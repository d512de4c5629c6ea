# shellcheck shell=bash
# A real Kubernetes node for the local control plane (hack/lib/control-plane.sh with CP_NODE=real): containerd
# and runc (Debian's packages), the CNI bridge and host-local plugins, kubelet and kube-proxy (built at the
# control plane's version by `hack/build-control-plane.sh node`), and CoreDNS for the cluster's names. Pods run
# real containers from images imported into containerd (make images; no registry is reachable).
# Sourced by control-plane.sh; needs root.
#
#   node_network_up      the bridge cnat0 with the node's address (before kube-apiserver, which listens on it)
#   node_start           containerd (+ images), kubelet, kube-proxy, CoreDNS; returns once the node is Ready
#   node_teardown        after every process is stopped: what they left on the machine (mounts, links, iptables
#                        chains, sysctls, cgroups, the host paths kubelet and containerd write regardless)
#
# The node is named cnat-node; its address, 10.88.0.1, is the bridge's (the kernel here has no dummy links,
# and loopback cannot be a node address). Pods get addresses of 10.88.0.0/16 on that bridge, Services of
# 10.96.0.0/16 (kube-proxy, iptables mode). CoreDNS listens on the node address; kubelet gives it to Pods as
# their nameserver (cluster domain cluster.local). Only one real node runs on a machine at a time: the bridge
# name and the host paths are the machine's.
#
# Settings this machine needs (../../../shared/notes/real-node.md has the measurements):
# - root lacks CAP_SYS_RESOURCE, so nothing may lower an oom_score_adj: containerd's restrict_oom_score_adj
#   and kubelet's oomScoreAdj 0, or runc fails every sandbox;
# - cgroups v1: kubelet's failCgroupV1 false and the cgroupfs driver, containerd without SystemdCgroup.
# kubelet 1.37 accepts Debian's containerd 1.6 over CRI v1 but reports it as losing support
# (CRILosingSupport): a kubelet 1.38 needs containerd 2 (github.com/containerd/containerd/v2, on the module
# proxy, built like kubelet).

# shellcheck source=hack/lib/apt.sh
source "${CP_ROOT}/hack/lib/apt.sh"

NODE_NAME=cnat-node
NODE_BRIDGE=cnat0
NODE_IP=10.88.0.1
NODE_POD_CIDR=10.88.0.0/16
NODE_SERVICE_CIDR=10.96.0.0/16
NODE_DNS_DOMAIN=cluster.local
NODE_BIN_DIR="${NODE_BIN_DIR:-${CP_BIN_DIR}/node}"
NODE_IMAGES_DIR="${NODE_IMAGES_DIR:-${CP_ROOT}/_output/images}"
# containerd's state (its socket, the shims' sockets) needs a short path: unix sockets allow 108 bytes.
NODE_CONTAINERD_STATE=/run/cnat-node/containerd
NODE_CONTAINERD_SOCK="${NODE_CONTAINERD_STATE}/containerd.sock"
NODE_SANDBOX_IMAGE=registry.k8s.io/pause:3.10.1
NODE_DIR="${CP_RUN_DIR}/node"
NODE_STORAGE_CLASS=local
NODE_VOLUMES="${NODE_VOLUMES:-6}"

# Paths kubelet, containerd and the CNI plugins write whatever they are configured with; node_teardown removes
# those that did not exist before node_network_up (recorded in ${NODE_DIR}/preexisting).
# (/run/netns, shared with whoever else makes network namespaces, is handled apart: _node_remove_netns_dir.)
NODE_HOST_PATHS=(/run/cnat-node /run/containerd /var/lib/cni /var/log/containers /var/log/pods /var/lib/kubelet
  /usr/libexec/kubernetes /etc/cni /opt/cni /opt/containerd /var/lib/containerd)
# Sysctls kubelet (kernel.panic & co., unless protectKernelDefaults), kube-proxy and the bridge plugin
# (ip_forward) set; node_teardown puts back the values recorded before (${NODE_DIR}/sysctls).
NODE_SYSCTLS=(net.ipv4.ip_forward net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables
  net.bridge.bridge-nf-call-ip6tables vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

node_log() { echo "node: $*" >&2; }

# node_binary <name>: where a node component's binary is (containerd is Debian's).
node_binary() {
  case "$1" in
  containerd) command -v containerd ;;
  *) echo "${NODE_BIN_DIR}/$1" ;;
  esac
}

# node_check: what the node needs, before anything is changed. Installs Debian's packages if missing.
node_check() {
  [[ "$(id -u)" == 0 ]] || { node_log "a real node needs root"; return 1; }
  apt_ensure containerd runc containernetworking-plugins iptables nftables conntrack iproute2 || return
  for bin in kubelet kube-proxy coredns; do
    [[ -x "$(node_binary "${bin}")" ]] || { node_log "$(node_binary "${bin}") missing: run hack/build-control-plane.sh node"; return 1; }
  done
  [[ -s "${NODE_IMAGES_DIR}/images.txt" ]] || { node_log "no images in ${NODE_IMAGES_DIR}: run make images"; return 1; }
  if ip link show "${NODE_BRIDGE}" >/dev/null 2>&1; then
    node_log "link ${NODE_BRIDGE} exists: another real node runs on this machine (or one was not torn down: hack/local-down.sh)"
    return 1
  fi
}

# node_network_up: records what teardown restores, then the bridge with the node's address.
node_network_up() {
  local p s
  node_check || return
  # A fresh node: no volume, image store or configuration of an earlier one in the same run dir.
  rm -rf "${NODE_DIR}"
  mkdir -p "${NODE_DIR}"
  for p in "${NODE_HOST_PATHS[@]}" /run/netns; do [[ ! -e "${p}" ]] || echo "${p}"; done >"${NODE_DIR}/preexisting"
  for s in "${NODE_SYSCTLS[@]}"; do
    [[ ! -e "/proc/sys/${s//.//}" ]] || echo "${s}=$(sysctl -n "${s}")"
  done >"${NODE_DIR}/sysctls"
  _node_iptables_chains >"${NODE_DIR}/iptables.before"
  _node_nft_tables >"${NODE_DIR}/nft.before"
  ip link add "${NODE_BRIDGE}" type bridge || return
  ip addr add "${NODE_IP}/${NODE_POD_CIDR#*/}" dev "${NODE_BRIDGE}" || return
  ip link set "${NODE_BRIDGE}" up || return
  node_log "bridge ${NODE_BRIDGE} up, node address ${NODE_IP}"
}

# ---------------------------------------------------------------- configuration

node_write_containerd_config() {
  mkdir -p "${NODE_DIR}/cni/net.d" "${NODE_DIR}/containerd"
  cat >"${NODE_DIR}/containerd/config.toml" <<EOF
version = 2
root = "${NODE_DIR}/containerd/root"
state = "${NODE_CONTAINERD_STATE}"
# opt would install into /opt/containerd; nothing here uses it.
disabled_plugins = ["io.containerd.internal.v1.opt"]
[grpc]
  address = "${NODE_CONTAINERD_SOCK}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${NODE_SANDBOX_IMAGE}"
  # Root here cannot lower an oom_score_adj (no CAP_SYS_RESOURCE): without this runc fails every sandbox.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # cgroups v1 with the cgroupfs driver, as kubelet's.
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${NODE_DIR}/cni/net.d"
EOF
  # The bridge exists already (node_network_up) with the gateway's address. No ipMasq: Pods talk to the node
  # and to each other only, and masquerading would add iptables rules to clean up.
  cat >"${NODE_DIR}/cni/net.d/10-cnat.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "cnat",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "${NODE_BRIDGE}",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "${NODE_DIR}/cni/ipam",
        "ranges": [[{"subnet": "${NODE_POD_CIDR}", "rangeStart": "10.88.1.1", "gateway": "${NODE_IP}"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "loopback"}
  ]
}
EOF
}

node_write_kubelet_config() {
  local healthz="$1" d="${CP_CERT_DIR}"
  mkdir -p "${NODE_DIR}/kubelet"
  cat >"${NODE_DIR}/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${NODE_IP}
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${healthz}
tlsCertFile: ${d}/kubelet-serving.crt
tlsPrivateKeyFile: ${d}/kubelet-serving.key
# kube-apiserver (logs, exec, port-forward) presents its kubelet client certificate; everyone else is asked
# about with a SubjectAccessReview. Nobody anonymous.
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${CP_CA_CERT}}
authorization:
  mode: Webhook
containerRuntimeEndpoint: unix://${NODE_CONTAINERD_SOCK}
cgroupDriver: cgroupfs
failCgroupV1: false
# Root here cannot lower an oom_score_adj.
oomScoreAdj: 0
clusterDNS: [${NODE_IP}]
clusterDomain: ${NODE_DNS_DOMAIN}
volumePluginDir: ${NODE_DIR}/kubelet/volume-plugins
# The images are imported, never pulled: keep them however full the disk is, and evict only on a disk that
# is really full (the machine's disk is shared and may be mostly used already).
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
  nodefs.inodesFree: 1%
failSwapOn: false
serializeImagePulls: false
EOF
}

node_write_kube_proxy_config() {
  local healthz="$1" metrics="$2"
  mkdir -p "${NODE_DIR}/kube-proxy"
  _cp_kubeconfig "${NODE_DIR}/kube-proxy/kubeconfig" "${CP_CERT_DIR}/kube-proxy"
  # conntrack zeros: leave the machine's conntrack sysctls as they are. nodePortAddresses: the node address
  # only, so kube-proxy needs no route_localnet for NodePorts on 127.0.0.1.
  cat >"${NODE_DIR}/kube-proxy/config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection:
  kubeconfig: ${NODE_DIR}/kube-proxy/kubeconfig
hostnameOverride: ${NODE_NAME}
clusterCIDR: ${NODE_POD_CIDR}
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:${healthz}
metricsBindAddress: 127.0.0.1:${metrics}
nodePortAddresses: [${NODE_IP}/32]
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
}

# node_gen_certs: the node's certificates, signed by the cluster CA (called by cp_gen_certs with CP_NODE=real).
node_gen_certs() {
  local d="${CP_CERT_DIR}"
  _cp_cert "${d}/ca" "${d}/kubelet" "/O=system:nodes/CN=system:node:${NODE_NAME}" clientAuth
  _cp_cert "${d}/ca" "${d}/kubelet-serving" "/CN=${NODE_NAME}" serverAuth "${NODE_NAME}" "${NODE_IP}"
  # kube-apiserver's identity towards the kubelet (logs, exec, port-forward).
  _cp_cert "${d}/ca" "${d}/kube-apiserver-kubelet-client" /O=system:masters/CN=kube-apiserver-kubelet-client clientAuth
  # Bound to system:node-proxier by Kubernetes' default RBAC.
  _cp_cert "${d}/ca" "${d}/kube-proxy" /CN=system:kube-proxy clientAuth
  # Bound to the ClusterRole of node/coredns-rbac.yaml.
  _cp_cert "${d}/ca" "${d}/coredns" /CN=system:coredns clientAuth
}

# ---------------------------------------------------------------- processes

node_start_containerd() {
  node_write_containerd_config
  cp_spawn containerd --config "${NODE_DIR}/containerd/config.toml" || return
  cp_wait_until containerd containerd ctr --address "${NODE_CONTAINERD_SOCK}" version || return
  cp_log "containerd is ready"
  # Every image an install and the tests pull, and the sandbox image.
  node_import_images "${NODE_IMAGES_DIR}"
}

# node_import_images <dir>: imports the images of <dir>/images.txt ("file<TAB>name:tag" per archive, as
# hack/build-images.sh and hack/build-release.sh --images write it) into the node's containerd.
node_import_images() {
  local dir="$1" file name
  while IFS=$'\t' read -r file name; do
    [[ -n "${file}" ]] || continue
    ctr --address "${NODE_CONTAINERD_SOCK}" -n k8s.io images import --no-unpack "${dir}/${file}" >/dev/null || {
      cp_log "importing ${file} (${name}) failed"
      return 1
    }
  done <"${dir}/images.txt"
  cp_log "imported the images of ${dir}/images.txt"
}

node_start_kubelet() {
  local healthz
  healthz="$(cp_free_ports 1)" || return
  node_write_kubelet_config "${healthz}"
  _cp_kubeconfig "${NODE_DIR}/kubelet/kubeconfig" "${CP_CERT_DIR}/kubelet"
  cp_spawn kubelet --config "${NODE_DIR}/kubelet/config.yaml" --kubeconfig "${NODE_DIR}/kubelet/kubeconfig" \
    --hostname-override "${NODE_NAME}" --node-ip "${NODE_IP}" || return
  cp_wait kubelet "http://127.0.0.1:${healthz}/healthz"
}

node_start_kube_proxy() {
  local healthz metrics
  read -r healthz metrics <<<"$(cp_free_ports 2)" || return
  node_write_kube_proxy_config "${healthz}" "${metrics}"
  cp_spawn kube-proxy --config "${NODE_DIR}/kube-proxy/config.yaml" || return
  cp_wait kube-proxy "http://127.0.0.1:${healthz}/livez"
}

node_start_coredns() {
  local health ready kc="${NODE_DIR}/coredns/kubeconfig"
  read -r health ready <<<"$(cp_free_ports 2)" || return
  mkdir -p "${NODE_DIR}/coredns"
  _cp_kubeconfig "${kc}" "${CP_CERT_DIR}/coredns"
  kubectl --kubeconfig "${CP_KUBECONFIG}" apply -f "${CP_ROOT}/hack/lib/node/coredns-rbac.yaml" >/dev/null || return
  sed -e "s|{\$CLUSTER_DNS_IP}|${NODE_IP}|g" -e "s|{\$CLUSTER_DNS_PORT}|53|g" -e "s|{\$CLUSTER_DNS_KUBECONFIG}|${kc}|g" \
    -e "s|{\$CLUSTER_DNS_HEALTH_PORT}|${health}|g" -e "s|{\$CLUSTER_DNS_READY_PORT}|${ready}|g" \
    "${CP_ROOT}/hack/lib/node/Corefile.tmpl" >"${NODE_DIR}/coredns/Corefile"
  cp_spawn coredns -conf "${NODE_DIR}/coredns/Corefile" || return
  cp_wait coredns "http://${NODE_IP}:${ready}/ready"
}

# node_wait_ready: the Node Ready and schedulable (cp_node_schedulable).
node_wait_ready() {
  cp_wait_until kubelet "node ${NODE_NAME}, Ready and schedulable," cp_node_schedulable "${NODE_NAME}" || return
  cp_log "node ${NODE_NAME} (kubelet, containerd) is Ready"
}

# node_add_volume <name>: one more local PersistentVolume of the node's StorageClass, a directory under the
# run dir (2Gi is its declared size, what etcd's claims ask for; the directory takes what is written).
node_add_volume() {
  local dir="${NODE_DIR}/volumes/$1"
  mkdir -p "${dir}"
  kubectl --kubeconfig "${CP_KUBECONFIG}" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $1
  labels:
    cnat.programming-kubernetes.info/node-volume: "true"
spec:
  capacity:
    storage: 2Gi
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ${NODE_STORAGE_CLASS}
  local:
    path: ${dir}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - key: kubernetes.io/hostname
          operator: In
          values: [${NODE_NAME}]
EOF
}

# node_start_storage: the cluster's default StorageClass, local volumes bound when a Pod is scheduled (as a
# cluster without a provisioner has them), and NODE_VOLUMES PersistentVolumes of it: three for etcd's
# members, the rest for members that lose theirs.
node_start_storage() {
  local i
  kubectl --kubeconfig "${CP_KUBECONFIG}" apply -f - >/dev/null <<EOF || return
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ${NODE_STORAGE_CLASS}
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
EOF
  for ((i = 0; i < NODE_VOLUMES; i++)); do node_add_volume "node-volume-${i}" || return; done
  cp_log "StorageClass ${NODE_STORAGE_CLASS} (default) with ${NODE_VOLUMES} local PersistentVolumes"
}

node_start() {
  node_start_containerd && node_start_kubelet && node_start_kube_proxy && node_start_coredns && node_wait_ready &&
    node_start_storage
}

# ---------------------------------------------------------------- teardown

# node_stop_containers: every container of the node killed and removed, while containerd still runs (the
# shims exit with their containers).
node_stop_containers() {
  local c="ctr --address ${NODE_CONTAINERD_SOCK} -n k8s.io" id
  cp_running containerd || return 0
  for id in $(${c} tasks ls -q 2>/dev/null); do ${c} tasks kill -s SIGKILL "${id}" >/dev/null 2>&1 || true; done
  sleep 1
  for id in $(${c} tasks ls -q 2>/dev/null); do ${c} tasks delete -f "${id}" >/dev/null 2>&1 || true; done
  for id in $(${c} containers ls -q 2>/dev/null); do ${c} containers delete "${id}" >/dev/null 2>&1 || true; done
}

# _node_kill_leftovers: node processes cp_stop did not stop (their pid file lost, a binary moved): each names
# a file of this node's dir on its command line, so nothing else matches.
_node_kill_leftovers() {
  local pids i
  pids="$(pgrep -f -- "--?(config|conf|kubeconfig) ${NODE_DIR}/" 2>/dev/null || true)"
  [[ -n "${pids}" ]] || return 0
  node_log "stopping processes of the node left running: ${pids//$'\n'/ }"
  # shellcheck disable=SC2086 # a list of pids
  kill -TERM ${pids} 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do
    pgrep -f -- "--?(config|conf|kubeconfig) ${NODE_DIR}/" >/dev/null || return 0
    sleep 1
  done
  # shellcheck disable=SC2086
  kill -KILL ${pids} 2>/dev/null || true
}

# _node_kill_shims: shims that outlived containerd (started with our socket as their address).
_node_kill_shims() {
  local pid
  for pid in $(pgrep -f "containerd-shim.*${NODE_CONTAINERD_SOCK}" 2>/dev/null); do
    kill -KILL "${pid}" 2>/dev/null || true
  done
}

# _node_unmount_under <dir>...: every mount below the dirs, deepest first.
_node_unmount_under() {
  local dir m
  for dir in "$@"; do
    [[ -e "${dir}" ]] || continue
    awk -v d="${dir}" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do
      umount "${m}" 2>/dev/null || umount -l "${m}" 2>/dev/null || node_log "cannot unmount ${m}"
    done
  done
}

# _node_iptables_chains: "<cmd> <table> <chain>" for every KUBE-* and CNI-* chain of iptables and ip6tables.
_node_iptables_chains() {
  local cmd table
  for cmd in iptables ip6tables; do
    command -v "${cmd}" >/dev/null || continue
    for table in filter nat mangle raw; do
      "${cmd}" -t "${table}" -S 2>/dev/null | awk -v c="${cmd}" -v t="${table}" '$1 == "-N" && $2 ~ /^(KUBE|CNI)-/ {print c, t, $2}'
    done
  done
}

# _node_remove_chains: the KUBE-* and CNI-* chains kubelet, kube-proxy and the CNI plugins made (those in
# ${NODE_DIR}/iptables.before, there before the node, excepted), and the rules of other chains that jump to
# them (by rule number, highest first, so that the numbers do not shift).
_node_remove_chains() {
  local cmd table chain other n
  # (grep finds nothing when the node never got as far as kube-proxy: not a failure of the teardown.)
  _node_iptables_chains | { grep -vxF -f "${NODE_DIR}/iptables.before" || true; } | while read -r cmd table chain; do
    "${cmd}" -t "${table}" -F "${chain}" 2>/dev/null || true
    for other in $("${cmd}" -t "${table}" -S | awk '$1 == "-P" || $1 == "-N" {print $2}'); do
      for n in $("${cmd}" -t "${table}" -L "${other}" -n --line-numbers 2>/dev/null | awk -v c="${chain}" '$2 == c {print $1}' | sort -rn); do
        "${cmd}" -t "${table}" -D "${other}" "${n}" 2>/dev/null || true
      done
    done
  done
  _node_iptables_chains | { grep -vxF -f "${NODE_DIR}/iptables.before" || true; } | while read -r cmd table chain; do
    "${cmd}" -t "${table}" -X "${chain}" 2>/dev/null || node_log "cannot delete ${cmd} -t ${table} chain ${chain}"
  done
}

# _node_nft_tables: "<family> <name>" of every nftables table (iptables-nft makes one per table it uses).
_node_nft_tables() {
  command -v nft >/dev/null || return 0
  nft list tables 2>/dev/null | awk '$1 == "table" {print $2, $3}'
}

# _node_remove_nft_tables: tables that appeared with the node (kubelet's and kube-proxy's iptables-nft use)
# and hold no rule any more.
_node_remove_nft_tables() {
  local family name
  _node_nft_tables | { grep -vxF -f "${NODE_DIR}/nft.before" || true; } | while read -r family name; do
    if ! nft list table "${family}" "${name}" | grep -qvE '^[[:space:]]*(table|chain|type|policy|\}|$)'; then
      nft delete table "${family}" "${name}" || node_log "cannot delete nftables table ${family} ${name}"
    else
      node_log "nftables table ${family} ${name} still holds rules: left alone"
    fi
  done
}

# _node_remove_netns_dir: /run/netns, if the node's namespaces made it (it was not there before) and no
# namespace of anyone else is in it now: unmounted (ip netns makes it a shared mount) and removed.
_node_remove_netns_dir() {
  grep -qxF /run/netns "${NODE_DIR}/preexisting" && return 0
  [[ -d /run/netns && -z "$(ls -A /run/netns)" ]] || return 0
  while mountpoint -q /run/netns; do umount /run/netns || break; done
  rmdir /run/netns 2>/dev/null || true
}

# _node_remove_cgroups: the kubepods hierarchy kubelet made in every cgroup v1 controller (and the v2 mount).
_node_remove_cgroups() {
  local dir
  for dir in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods /sys/fs/cgroup/unified/kubepods; do
    [[ -d "${dir}" ]] || continue
    find "${dir}" -depth -type d -exec rmdir {} + 2>/dev/null || node_log "cannot remove all of ${dir}"
  done
}

# node_teardown: after the node's processes are stopped (cp_stop), undoes what they did to the machine.
# Safe to run again, and when the node never came up.
node_teardown() {
  local p s v
  [[ -f "${NODE_DIR}/preexisting" ]] || return 0
  _node_kill_leftovers
  _node_kill_shims
  # kube-proxy's own cleanup first (its iptables and nftables rules), then what is left by name.
  if [[ -x "$(node_binary kube-proxy)" && -f "${NODE_DIR}/kube-proxy/config.yaml" ]]; then
    "$(node_binary kube-proxy)" --cleanup --config "${NODE_DIR}/kube-proxy/config.yaml" >/dev/null 2>&1 || true
  fi
  _node_remove_chains
  _node_remove_nft_tables
  _node_unmount_under /run/cnat-node /run/containerd /var/lib/kubelet "${NODE_DIR}"
  # Network namespaces the CNI plugins made (cni-*), with the veths in them; then the bridge. Namespaces of
  # any other name are someone else's.
  for p in /run/netns/cni-*; do
    [[ ! -e "${p}" ]] || ip netns delete "$(basename "${p}")" 2>/dev/null || { umount "${p}" 2>/dev/null; rm -f "${p}"; }
  done
  _node_remove_netns_dir
  ip link delete "${NODE_BRIDGE}" 2>/dev/null || true
  _node_remove_cgroups
  while IFS='=' read -r s v; do
    [[ -z "${s}" || "$(sysctl -n "${s}" 2>/dev/null)" == "${v}" ]] || sysctl -qw "${s}=${v}" >/dev/null || node_log "cannot restore ${s}=${v}"
  done <"${NODE_DIR}/sysctls"
  for p in "${NODE_HOST_PATHS[@]}"; do
    grep -qxF "${p}" "${NODE_DIR}/preexisting" || [[ ! -e "${p}" && ! -L "${p}" ]] || rm -rf "${p}"
  done
  # The container images and snapshots (containerd's root) and the local volumes are the node's: they go
  # with it (what etcd stored in its volumes too). The configuration stays, with the logs, for a look after.
  rm -rf "${NODE_DIR}/containerd/root" "${NODE_DIR}/volumes"
  rm -f "${NODE_DIR}/preexisting" "${NODE_DIR}/iptables.before" "${NODE_DIR}/nft.before"
  node_log "torn down: no process, mount, link, chain, cgroup or host path of the node is left"
}
