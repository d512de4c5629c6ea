#!/usr/bin/env bash
# Certificates and keys for deploying cnat-apiserver in a cluster without cert-manager (with it, use
# artifacts/deploy/overlays/cert-manager instead).
#
# Makes two CAs, what they sign and an encryption key, and writes a kustomize overlay of artifacts/deploy
# that adds them:
# - the serving CA (ca.crt) and cnat-apiserver's serving certificate (serving.crt): the TLS Secret
#   cnat-apiserver-serving, and the CA as caBundle of both APIServices;
# - the etcd CA (etcd-ca.crt), separate so that nothing the serving CA signs is trusted by etcd: the member
#   certificate every etcd member serves and dials its peers with (etcd-member.crt, Secret cnat-etcd-member)
#   and cnat-apiserver's client certificate for etcd (etcd-client.crt, Secret cnat-etcd-client);
# - the EncryptionConfiguration that encrypts Ats in etcd with a random secretbox key
#   (encryption-config.yaml, Secret cnat-encryption-config, mounted by the component
#   artifacts/deploy/components/encryption-at-rest, which the overlay includes).
#
# Usage: hack/deploy-certs.sh [output-dir]      (default: _output/deploy in the repository)
# Then:  kubectl apply -k <output-dir>
#
# The overlay pulls the images artifacts/deploy/images sets: the one place for the images of cnat-apiserver,
# cnat-controller and etcd and the default image of Ats (docs/cluster.md).
#
# Re-running it with the same directory keeps both CAs (so caBundle, the APIServices and what etcd trusts do
# not change) and every certificate while it chains to its CA, carries the names it needs and is valid for 30
# more days; otherwise it signs a new one, which the running servers pick up from the re-applied Secrets
# without a restart. It never touches an existing encryption-config.yaml: its keys decrypt the stored Ats,
# and rotating them means editing that file (docs/operations.md). Delete the directory to start over with
# new CAs and a new key: only for a new installation, since the stored Ats stay encrypted with the old one.
#
# The directory holds private keys and the encryption key: keep it out of version control, and keep it: it is
# the only copy of the CA keys.
# Needs openssl only; applying the overlay needs kubectl (or kustomize).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# CNAT_IMAGE set cnat-apiserver's image alone, and the overlay forgot it when run again without it. Refuse
# it rather than deploy another image than the one asked for.
if [[ -n "${CNAT_IMAGE:-}" ]]; then
  echo "deploy-certs: CNAT_IMAGE is no longer read: set the images in ${REPO_ROOT}/artifacts/deploy/images/kustomization.yaml (docs/cluster.md)" >&2
  exit 1
fi
OUT_DIR="${1:-${REPO_ROOT}/_output/deploy}"
NAMESPACE=cnat-system
SERVICE=cnat-apiserver
# kube-apiserver dials the APIServices' Service and verifies the certificate against
# <service>.<namespace>.svc; the .cluster.local name is for clients that use the full name. Names go into
# subjectAltName: Go has ignored the CN of server certificates since 1.15.
SANS=("${SERVICE}.${NAMESPACE}.svc" "${SERVICE}.${NAMESPACE}.svc.cluster.local")
# The etcd StatefulSet of artifacts/deploy/server/etcd.yaml: its members are <name>-<i> behind the headless
# Service <name>. One certificate serves all of them (clients and peers dial <member>.<name>.<namespace>.svc)
# and each dials its peers with it; localhost and 127.0.0.1 for clients inside a member's Pod (etcdctl over
# kubectl port-forward or exec).
ETCD=cnat-etcd
ETCD_MEMBERS=3
ETCD_SANS=()
for ((i = 0; i < ETCD_MEMBERS; i++)); do
  ETCD_SANS+=("${ETCD}-${i}.${ETCD}.${NAMESPACE}.svc" "${ETCD}-${i}.${ETCD}.${NAMESPACE}.svc.cluster.local")
done
ETCD_SANS+=("${ETCD}.${NAMESPACE}.svc" "${ETCD}.${NAMESPACE}.svc.cluster.local" localhost 127.0.0.1)
# The CN etcd's --peer-cert-allowed-cn admits as a peer: a client certificate of the same CA cannot talk raft.
ETCD_MEMBER_CN="${ETCD}"
ETCD_CLIENT_CN="${SERVICE}"
CA_DAYS=3650
SERVING_DAYS=365
RENEW_SECONDS=$((30 * 24 * 3600))

log() { echo "deploy-certs: $*" >&2; }

# quiet <command...>: openssl chatters on stderr even when it succeeds; show what it said only if it fails.
quiet() {
  local out
  out="$("$@" 2>&1)" || { echo "${out}" >&2; return 1; }
}

# A minimal openssl config, so results do not depend on the system's openssl.cnf.
openssl_conf() { printf '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\n'; }

# ensure_ca <name> <cn>: keeps <name>.crt and .key, or makes a new CA there.
ensure_ca() {
  local name="$1" cn="$2"
  if [[ -f "${OUT_DIR}/${name}.crt" && -f "${OUT_DIR}/${name}.key" ]]; then
    return
  fi
  log "making a new CA ${cn} in ${OUT_DIR}/${name}.crt"
  quiet openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -days "${CA_DAYS}" \
    -keyout "${OUT_DIR}/${name}.key" -out "${OUT_DIR}/${name}.crt" -subj "/CN=${cn}" \
    -extensions v3 -config <(
      openssl_conf
      printf '[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n'
    )
}

# is_ip <name>: whether a subjectAltName is an IP address rather than a DNS name.
is_ip() { [[ "$1" =~ ^[0-9.]+$ || "$1" == *:* ]]; }

# sign_cert <name> <ca> <cn> <extendedKeyUsage> [san...]: a new key <name>.key and certificate <name>.crt
# signed by the CA <ca>.
sign_cert() {
  local name="$1" ca="$2" cn="$3" eku="$4" san sans=""
  shift 4
  for san in "$@"; do
    if is_ip "${san}"; then sans+=",IP:${san}"; else sans+=",DNS:${san}"; fi
  done
  log "signing a new certificate ${name}.crt for ${cn}${*:+ (${*})}"
  quiet openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "${OUT_DIR}/${name}.key" -out "${OUT_DIR}/${name}.csr" -subj "/CN=${cn}" \
    -config <(openssl_conf)
  # An ECDSA key signs (the handshake); it encrypts nothing, so no key encipherment.
  quiet openssl x509 -req -sha256 -days "${SERVING_DAYS}" -in "${OUT_DIR}/${name}.csr" \
    -CA "${OUT_DIR}/${ca}.crt" -CAkey "${OUT_DIR}/${ca}.key" -set_serial "0x$(openssl rand -hex 16)" \
    -extfile <(printf '%s\n' "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature" "extendedKeyUsage=${eku}" \
      ${sans:+"subjectAltName=${sans#,}"} "authorityKeyIdentifier=keyid") \
    -out "${OUT_DIR}/${name}.crt"
  rm -f "${OUT_DIR}/${name}.csr"
}

# cert_usable <name> <ca> <purposes> [san...]: <name>.crt and its key exist and belong together, the
# certificate chains to <ca> for each of the comma-separated openssl purposes (sslserver, sslclient), carries
# each name, and stays valid for RENEW_SECONDS more.
cert_usable() {
  local name="$1" ca="$2" purposes="$3" purpose san
  shift 3
  local crt="${OUT_DIR}/${name}.crt" key="${OUT_DIR}/${name}.key"
  [[ -f "${crt}" && -f "${key}" ]] || return 1
  [[ "$(openssl x509 -in "${crt}" -noout -pubkey 2>/dev/null)" == "$(openssl pkey -in "${key}" -pubout 2>/dev/null)" ]] ||
    return 1
  for purpose in ${purposes//,/ }; do
    openssl verify -CAfile "${OUT_DIR}/${ca}.crt" -purpose "${purpose}" "${crt}" >/dev/null 2>&1 || return 1
  done
  for san in "$@"; do
    local check=-verify_hostname
    is_ip "${san}" && check=-verify_ip
    openssl verify -CAfile "${OUT_DIR}/${ca}.crt" "${check}" "${san}" "${crt}" >/dev/null 2>&1 || return 1
  done
  openssl x509 -in "${crt}" -noout -checkend "${RENEW_SECONDS}" >/dev/null
}

# ensure_cert <name> <ca> <cn> <extendedKeyUsage> <purposes> [san...]: keeps a usable <name>.crt, or signs
# a new one.
ensure_cert() {
  local name="$1" ca="$2" cn="$3" eku="$4" purposes="$5"
  shift 5
  if cert_usable "${name}" "${ca}" "${purposes}" "$@"; then
    log "keeping ${name}.crt (valid for 30 days or more)"
  else
    sign_cert "${name}" "${ca}" "${cn}" "${eku}" "$@"
  fi
}

# ensure_encryption_config: keeps encryption-config.yaml, or writes one with a new random key. Ats only;
# identity last, so that Ats stored before encryption was turned on stay readable (a write encrypts them).
ensure_encryption_config() {
  local file="${OUT_DIR}/encryption-config.yaml"
  if [[ -f "${file}" ]]; then
    log "keeping encryption-config.yaml (its keys decrypt the stored Ats)"
    return
  fi
  local name key
  name="key-$(date -u +%Y%m%d)"
  key="$(openssl rand -base64 32)"
  log "writing encryption-config.yaml with a new secretbox key ${name}"
  cat >"${file}" <<EOF
# Generated by hack/deploy-certs.sh; edited by hand to rotate the key (docs/operations.md), never rewritten.
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources:
  - ats.cnat.programming-kubernetes.info
  providers:
  # The first provider encrypts what is written: XSalsa20-Poly1305 with a local 32-byte key, the one
  # Kubernetes recommends among the local-key providers (aescbc is open to padding oracle attacks, aesgcm
  # needs a new key every 200,000 writes).
  - secretbox:
      keys:
      - name: ${name}
        secret: ${key}
  # Reads what was stored before encryption was turned on.
  - identity: {}
EOF
}

# relative_path <from-dir> <to-dir>: the path of one absolute directory relative to another. kustomize
# accepts no absolute paths, and a relative one keeps the overlay usable from any working directory. In bash,
# as GNU realpath --relative-to is not everywhere (macOS).
relative_path() {
  local from="${1%/}" to="${2%/}" up=""
  while [[ "${to}/" != "${from}/"* ]]; do
    from="$(dirname "${from}")"
    from="${from%/}"
    up+="../"
  done
  local rest="${to#"${from}"}"
  rest="${rest#/}"
  echo "${up}${rest:-.}"
}

# Private keys: readable by their owner only.
umask 077
mkdir -p "${OUT_DIR}"
OUT_DIR="$(cd "${OUT_DIR}" && pwd)"

ensure_ca ca cnat-apiserver-ca
ensure_cert serving ca "${SANS[0]}" serverAuth sslserver "${SANS[@]}"
ensure_ca etcd-ca cnat-etcd-ca
# Members serve clients and peers and dial peers with it: both usages.
ensure_cert etcd-member etcd-ca "${ETCD_MEMBER_CN}" serverAuth,clientAuth sslserver,sslclient "${ETCD_SANS[@]}"
ensure_cert etcd-client etcd-ca "${ETCD_CLIENT_CN}" clientAuth sslclient
ensure_encryption_config

ca_bundle="$(openssl base64 -A <"${OUT_DIR}/ca.crt")"
# tls_secret <name> <certificate> <ca>: a secretGenerator entry for a TLS Secret with the CA that signed it
# (tls.crt, tls.key, ca.crt: the keys cert-manager writes too). No hash suffix: the Pods mount the Secret by
# this name, and the servers reload the files when the re-applied Secret changes.
tls_secret() {
  printf '%s\n' "- name: $1" "  namespace: ${NAMESPACE}" "  type: kubernetes.io/tls" "  files:" \
    "  - tls.crt=$2.crt" "  - tls.key=$2.key" "  - ca.crt=$3.crt" "  options:" "    disableNameSuffixHash: true"
}

cat >"${OUT_DIR}/kustomization.yaml" <<EOF
# Generated by hack/deploy-certs.sh: artifacts/deploy with cnat-apiserver's serving certificate and its CA,
# the certificates of etcd's members and of cnat-apiserver as etcd's client, and encryption at rest of Ats.
# This directory holds private keys: do not commit it. Apply with: kubectl apply -k ${OUT_DIR}
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- $(relative_path "${OUT_DIR}" "${REPO_ROOT}/artifacts/deploy")
secretGenerator:
$(tls_secret cnat-apiserver-serving serving ca)
$(tls_secret cnat-etcd-member etcd-member etcd-ca)
$(tls_secret cnat-etcd-client etcd-client etcd-ca)
# No hash suffix either: cnat-apiserver reloads the configuration when the Secret changes, no rollout needed.
- name: cnat-encryption-config
  namespace: ${NAMESPACE}
  files:
  - encryption-config.yaml
  options:
    disableNameSuffixHash: true
# Mounts the Secret and turns encryption on.
components:
- $(relative_path "${OUT_DIR}" "${REPO_ROOT}/artifacts/deploy/components/encryption-at-rest")
patches:
# kube-apiserver verifies cnat-apiserver's certificate with this CA.
- target:
    group: apiregistration.k8s.io
    kind: APIService
  patch: |
    - op: replace
      path: /spec/caBundle
      value: ${ca_bundle}
EOF

cat <<EOM
deploy-certs: wrote ${OUT_DIR}
  CA ca.crt, serving certificate serving.crt for ${SANS[*]}
  etcd CA etcd-ca.crt, member certificate etcd-member.crt, cnat-apiserver's etcd client certificate etcd-client.crt
  encryption at rest of Ats: encryption-config.yaml
  (the .key files and encryption-config.yaml are secret: keep the directory out of version control, and keep it)
Deploy cnat-apiserver with:
  kubectl apply -k ${OUT_DIR}
  kubectl wait --for=condition=Available --timeout=180s apiservice/v1beta1.cnat.programming-kubernetes.info
EOM
