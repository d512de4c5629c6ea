#!/usr/bin/env bash
# Prints every At in the etcd of the local control plane of hack/local-up.sh (CP_RUN_DIR, default
# _output/local-up; cnat-apiserver keeps its data under the etcd prefix /cnat there), one line each: its key,
# the revision it was last written at, its encoding and the version it is stored in. With a namespace, only
# that namespace's. docs/versions.md, "Check etcd", explains what it reads.
#
#   hack/stored-ats.sh walk
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CP_RUN_DIR="${CP_RUN_DIR:-${REPO_ROOT}/_output/local-up}"
[[ -f "${CP_RUN_DIR}/env" ]] || { echo "stored-ats: no local control plane in ${CP_RUN_DIR} (hack/local-up.sh)" >&2; exit 1; }
# shellcheck source=/dev/null
source "${CP_RUN_DIR}/env"

"${REPO_ROOT}/_output/bin/etcdctl" --endpoints "${CP_ETCD_URL}" \
  get --prefix "/cnat/cnat.programming-kubernetes.info/ats/${1:+$1/}" -w json |
  python3 -c '
import base64, json, re, sys
for kv in json.load(sys.stdin).get("kvs", []):
    v = base64.b64decode(kv["value"])
    key = base64.b64decode(kv["key"]).decode()
    if v.startswith(b"k8s:enc:"):  # encrypted at rest: only the provider is readable
        print(key, kv["mod_revision"], "encrypted", v.split(b":")[2].decode())
        continue
    enc = "protobuf" if v.startswith(b"k8s\x00") else "json"
    version = re.search(rb"cnat\.programming-kubernetes\.info/v\w+", v).group().decode()
    print(key, kv["mod_revision"], enc, version)'
