#!/usr/bin/env bash
# Restores cnat's etcd (the StatefulSet cnat-etcd of artifacts/deploy) from a snapshot taken with
# `etcdctl snapshot save` (docs/operations.md, "Snapshots and restore"), in the cluster, with kubectl only:
#
#   1. scales cnat-apiserver and then etcd to 0 (nothing writes while the data is replaced);
#   2. for each member N, runs a Pod cnat-etcd-restore-N on its volume (PVC data-cnat-etcd-N): an init
#      container (busybox, the At's default image) moves the old data dir aside to data.before-restore-<time>
#      and waits for the snapshot, which is streamed in with kubectl exec; then the etcd image's etcdutl
#      writes the member's new data dir (`etcdutl snapshot restore`, a new cluster token, the revision bumped
#      by a billion and marked compacted so that clients holding newer resourceVersions list again);
#   3. sets the ConfigMap cnat-etcd's initial-cluster-token to the new token (for later member replacements);
#   4. scales etcd back to 3, waits for it, then cnat-apiserver back to its replicas.
#
# While it runs, the At API is unavailable (APIServices unavailable: namespace deletion and garbage collection
# wait cluster-wide). The old data stays on each volume (data.before-restore-<time>) until removed by hand.
#
# Usage: hack/etcd-restore.sh <snapshot.db> [namespace]      (needs kubectl with the cluster's admin)
set -euo pipefail

SNAPSHOT="${1:?usage: hack/etcd-restore.sh <snapshot.db> [namespace]}"
NAMESPACE="${2:-cnat-system}"
KUBECTL="${KUBECTL:-kubectl}"
TIMEOUT="${CNAT_RESTORE_TIMEOUT:-300s}"
STAMP="$(date -u +%Y%m%d%H%M%S)"
TOKEN="cnat-etcd-restored-${STAMP}"
MEMBERS=3
PEERS="cnat-etcd-0=https://cnat-etcd-0.cnat-etcd.${NAMESPACE}.svc:2380,cnat-etcd-1=https://cnat-etcd-1.cnat-etcd.${NAMESPACE}.svc:2380,cnat-etcd-2=https://cnat-etcd-2.cnat-etcd.${NAMESPACE}.svc:2380"

log() { echo "etcd-restore: $*" >&2; }
k() { "${KUBECTL}" -n "${NAMESPACE}" "$@"; }

[[ -s "${SNAPSHOT}" ]] || { log "${SNAPSHOT}: no such snapshot"; exit 1; }
# The images the installation runs: etcd's for etcdutl, and the At's default image for the shell.
ETCD_IMAGE="$(k get statefulset cnat-etcd -o jsonpath='{.spec.template.spec.containers[0].image}')"
ADMISSION_CONFIGMAP="$(k get deployment cnat-apiserver -o jsonpath='{.spec.template.spec.volumes[?(@.name=="admission")].configMap.name}')"
SHELL_IMAGE="$(k get configmap "${ADMISSION_CONFIGMAP}" -o jsonpath='{.data.admission-config\.yaml}' | sed -n 's/^ *defaultImage: *//p')"
API_REPLICAS="$(k get deployment cnat-apiserver -o jsonpath='{.spec.replicas}')"
[[ -n "${ETCD_IMAGE}" && -n "${SHELL_IMAGE}" ]] || { log "cannot find the etcd image or the default At image"; exit 1; }

log "scaling cnat-apiserver and etcd to 0"
k scale deployment cnat-apiserver --replicas 0
k wait --for=delete pod -l app.kubernetes.io/name=cnat-apiserver --timeout "${TIMEOUT}"
k scale statefulset cnat-etcd --replicas 0
k wait --for=delete pod -l app.kubernetes.io/name=cnat-etcd --timeout "${TIMEOUT}"

for ((i = 0; i < MEMBERS; i++)); do
  member="cnat-etcd-${i}"
  log "restoring ${member} (token ${TOKEN})"
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: cnat-etcd-restore-${i}
  labels:
    app.kubernetes.io/name: cnat-etcd-restore
    app.kubernetes.io/part-of: cnat
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  enableServiceLinks: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    fsGroup: 65532
    seccompProfile:
      type: RuntimeDefault
  initContainers:
  - name: receive
    image: ${SHELL_IMAGE}
    command: [sh, -c, 'if [ -e /var/lib/etcd/data ]; then mv /var/lib/etcd/data /var/lib/etcd/data.before-restore-${STAMP}; fi; until [ -f /restore/snapshot.db ]; do sleep 1; done']
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    volumeMounts:
    - {name: data, mountPath: /var/lib/etcd}
    - {name: restore, mountPath: /restore}
  containers:
  - name: restore
    image: ${ETCD_IMAGE}
    command:
    - /usr/local/bin/etcdutl
    - snapshot
    - restore
    - /restore/snapshot.db
    - --name=${member}
    - --data-dir=/var/lib/etcd/data
    - --initial-cluster=${PEERS}
    - --initial-cluster-token=${TOKEN}
    - --initial-advertise-peer-urls=https://${member}.cnat-etcd.${NAMESPACE}.svc:2380
    - --bump-revision=1000000000
    - --mark-compacted
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    volumeMounts:
    - {name: data, mountPath: /var/lib/etcd}
    - {name: restore, mountPath: /restore}
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: data-${member}
  - name: restore
    emptyDir: {}
EOF
  # The init container runs once the Pod has its volume; the snapshot goes in under a temporary name and is
  # renamed, so that the init container never sees half of it.
  until [[ "$(k get pod "cnat-etcd-restore-${i}" -o jsonpath='{.status.initContainerStatuses[0].state.running.startedAt}')" != "" ]]; do
    phase="$(k get pod "cnat-etcd-restore-${i}" -o jsonpath='{.status.phase}')"
    [[ "${phase}" == Pending ]] || { log "cnat-etcd-restore-${i} is ${phase}"; exit 1; }
    sleep 1
  done
  k exec -i "cnat-etcd-restore-${i}" -c receive -- sh -c 'cat >/restore/snapshot.db.part && mv /restore/snapshot.db.part /restore/snapshot.db' <"${SNAPSHOT}"
  k wait --for=jsonpath='{.status.phase}'=Succeeded "pod/cnat-etcd-restore-${i}" --timeout "${TIMEOUT}" >/dev/null || {
    k logs "cnat-etcd-restore-${i}" -c restore >&2 || true
    exit 1
  }
  k delete pod "cnat-etcd-restore-${i}" --wait=true >/dev/null
done

k patch configmap cnat-etcd --type merge -p "{\"data\":{\"initial-cluster-token\":\"${TOKEN}\"}}" >/dev/null
log "scaling etcd to ${MEMBERS}, then cnat-apiserver to ${API_REPLICAS}"
k scale statefulset cnat-etcd --replicas "${MEMBERS}"
k rollout status statefulset cnat-etcd --timeout "${TIMEOUT}"
k scale deployment cnat-apiserver --replicas "${API_REPLICAS}"
k rollout status deployment cnat-apiserver --timeout "${TIMEOUT}"
log "restored from ${SNAPSHOT}"
