#!/usr/bin/env bash
# Certificates for deploying cnat-apiserver in a cluster without cert-manager (with it, use
# artifacts/deploy/overlays/cert-manager instead).
#
# Makes a CA and a serving certificate signed by it, and writes a kustomize overlay of artifacts/deploy that
# adds them: the TLS Secret cnat-apiserver-serving and the CA as caBundle of both APIServices.
#
# Usage: hack/deploy-certs.sh [output-dir]      (default: _output/deploy in the repository)
#        CNAT_IMAGE=registry.example/cnat-apiserver:v1 hack/deploy-certs.sh    (image other than the base's)
# Then:  kubectl apply -k <output-dir>
#
# Re-running it with the same directory keeps the CA (so caBundle, and the APIServices, do not change) and
# the serving certificate while it is valid for 30 more days; otherwise it signs a new serving certificate,
# which the running server picks up from the re-applied Secret without a restart. Delete the directory to
# start over with a new CA.
#
# The directory holds private keys (ca.key, serving.key): keep it out of version control.
# Needs openssl only; applying the overlay needs kubectl (or kustomize).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="${1:-${REPO_ROOT}/_output/deploy}"
NAMESPACE=cnat-system
SERVICE=cnat-apiserver
# kube-apiserver dials the APIServices' Service and verifies the certificate against
# <service>.<namespace>.svc; the .cluster.local name is for clients that use the full name. Names go into
# subjectAltName: Go has ignored the CN of server certificates since 1.15.
SANS=("${SERVICE}.${NAMESPACE}.svc" "${SERVICE}.${NAMESPACE}.svc.cluster.local")
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

make_ca() {
  log "making a new CA in ${OUT_DIR}"
  quiet openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 -days "${CA_DAYS}" \
    -keyout "${OUT_DIR}/ca.key" -out "${OUT_DIR}/ca.crt" -subj "/CN=cnat-apiserver-ca" \
    -extensions v3 -config <(
      openssl_conf
      printf '[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n'
    )
}

make_serving_cert() {
  local san sans=""
  for san in "${SANS[@]}"; do sans+=",DNS:${san}"; done
  log "signing a new serving certificate for ${SANS[*]}"
  quiet openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "${OUT_DIR}/serving.key" -out "${OUT_DIR}/serving.csr" -subj "/CN=${SANS[0]}" \
    -config <(openssl_conf)
  quiet openssl x509 -req -sha256 -days "${SERVING_DAYS}" -in "${OUT_DIR}/serving.csr" \
    -CA "${OUT_DIR}/ca.crt" -CAkey "${OUT_DIR}/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -extfile <(printf '%s\n' "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
      "subjectAltName=${sans#,}" "authorityKeyIdentifier=keyid") \
    -out "${OUT_DIR}/serving.crt"
  rm -f "${OUT_DIR}/serving.csr"
}

# serving_cert_usable: the serving certificate exists, chains to this CA, is for a TLS server named like
# the Service, and stays valid for RENEW_SECONDS more.
serving_cert_usable() {
  [[ -f "${OUT_DIR}/serving.crt" && -f "${OUT_DIR}/serving.key" ]] || return 1
  openssl verify -CAfile "${OUT_DIR}/ca.crt" -purpose sslserver -verify_hostname "${SANS[0]}" \
    "${OUT_DIR}/serving.crt" >/dev/null 2>&1 || return 1
  openssl x509 -in "${OUT_DIR}/serving.crt" -noout -checkend "${RENEW_SECONDS}" >/dev/null
}

# relative_path <from-dir> <to-dir>: a relative path keeps the overlay usable from any working directory;
# without GNU realpath (macOS) the absolute path does too, for this machine.
relative_path() {
  realpath --relative-to="$1" "$2" 2>/dev/null || echo "$2"
}

# Private keys: readable by their owner only.
umask 077
mkdir -p "${OUT_DIR}"
OUT_DIR="$(cd "${OUT_DIR}" && pwd)"

if [[ ! -f "${OUT_DIR}/ca.crt" || ! -f "${OUT_DIR}/ca.key" ]]; then
  make_ca
  rm -f "${OUT_DIR}/serving.crt" "${OUT_DIR}/serving.key"
fi
if serving_cert_usable; then
  log "keeping the serving certificate in ${OUT_DIR} (valid for 30 days or more)"
else
  make_serving_cert
fi

ca_bundle="$(openssl base64 -A <"${OUT_DIR}/ca.crt")"
# image_override <reference>: kustomize's images entry for another image. kustomize wants the name, tag and
# digest apart (a tag left inside newName would get the base's ":latest" appended).
image_override() {
  local ref="$1" name tag="" digest=""
  name="${ref%%@*}"
  [[ "${ref}" == *@* ]] && digest="${ref#*@}"
  # A tag is a ":" after the last "/" (a ":" before it is a registry port).
  if [[ "${name##*/}" == *:* ]]; then
    tag="${name##*:}"
    name="${name%:*}"
  fi
  printf '%s\n' "images:" "- name: ghcr.io/programming-kubernetes/cnat-apiserver" "  newName: ${name}"
  if [[ -n "${digest}" ]]; then
    printf '  digest: %s\n' "${digest}"
  else
    printf '  newTag: %s\n' "${tag:-latest}"
  fi
}
images=""
if [[ -n "${CNAT_IMAGE:-}" ]]; then
  images="$(image_override "${CNAT_IMAGE}")"
fi

cat >"${OUT_DIR}/kustomization.yaml" <<EOF
# Generated by hack/deploy-certs.sh: artifacts/deploy with cnat-apiserver's serving certificate and its CA.
# This directory holds private keys: do not commit it. Apply with: kubectl apply -k ${OUT_DIR}
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- $(relative_path "${OUT_DIR}" "${REPO_ROOT}/artifacts/deploy")
# The name the Deployment mounts: no hash suffix. The server reloads the files when the Secret changes.
secretGenerator:
- name: cnat-apiserver-serving
  namespace: ${NAMESPACE}
  type: kubernetes.io/tls
  files:
  - tls.crt=serving.crt
  - tls.key=serving.key
  - ca.crt=ca.crt
  options:
    disableNameSuffixHash: true
patches:
# kube-apiserver verifies cnat-apiserver's certificate with this CA.
- target:
    group: apiregistration.k8s.io
    kind: APIService
  patch: |
    - op: replace
      path: /spec/caBundle
      value: ${ca_bundle}
${images}
EOF

cat <<EOM
deploy-certs: wrote ${OUT_DIR}
  CA ca.crt, serving certificate serving.crt for ${SANS[*]}
  (ca.key and serving.key are private keys: keep the directory out of version control)
Deploy cnat-apiserver with:
  kubectl apply -k ${OUT_DIR}
  kubectl wait --for=condition=Available --timeout=180s apiservice/v1beta1.cnat.programming-kubernetes.info
EOM
