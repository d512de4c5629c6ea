#!/usr/bin/env bash
# Builds, without docker and without pulling anything from a registry, the images a cnat installation pulls
# (artifacts/deploy/images) plus the pod sandbox image, as docker-archive tarballs into _output/images/:
# what `docker save` writes, what `ctr -n k8s.io images import <file>` and `docker load` read. A cluster
# without access to a registry (a local or air-gapped one, the e2e tests) imports them instead of pulling.
#
#   cnat-apiserver.tar   ghcr.io/programming-kubernetes/cnat-apiserver:${CNAT_IMAGE_TAG:-local}
#   cnat-controller.tar  ghcr.io/programming-kubernetes/cnat-controller:${CNAT_IMAGE_TAG:-local}
#       The layout of the repository's Dockerfile (static binary at /usr/local/bin/component, user
#       65532:65532) on what distroless static:nonroot has: /etc/passwd and /etc/group with root, nobody and
#       nonroot, the CA certificates (this machine's, Debian's ca-certificates), /tmp, /home/nonroot.
#   etcd.tar             registry.k8s.io/etcd:3.7.0-0 (the name artifacts/deploy/images pins)
#       etcd, etcdctl and etcdutl v3.7.0 from _output/bin (hack/build-control-plane.sh) at /usr/local/bin,
#       on the same distroless-like base, no shell, as upstream's image.
#   busybox.tar          docker.io/library/busybox:1.36 (cnat's default image for an At)
#       Debian's busybox-static standing in for the upstream tag: Debian 12 ships busybox 1.35, not 1.36.
#       /bin/busybox and a symlink per applet, so that sh -c, echo, sleep, date work; CMD ["sh"].
#   pause.tar            registry.k8s.io/pause:3.10.1, the sandbox image: hack/tools/images/pause.
#
# _output/images/images.txt lists "file<TAB>name:tag" per archive for whoever imports them. The image
# builder (hack/tools/images, go-containerregistry) goes to _output/tools. An image whose inputs (files,
# flags, builder) did not change since the last run is not written again; cnat's binaries are stamped with
# their build date, so theirs always are.
#
# Usage: hack/build-images.sh        (make images)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=hack/lib/apt.sh
source "${REPO_ROOT}/hack/lib/apt.sh"
OUT_DIR="${REPO_ROOT}/_output/images"
TOOLS_DIR="${REPO_ROOT}/_output/tools"
BIN_DIR="${REPO_ROOT}/_output/bin"
CNAT_IMAGE_TAG="${CNAT_IMAGE_TAG:-local}"
ETCD_VERSION=3.7.0
ETCD_IMAGE="registry.k8s.io/etcd:${ETCD_VERSION}-0"
BUSYBOX_IMAGE="docker.io/library/busybox:1.36"
PAUSE_IMAGE="registry.k8s.io/pause:3.10.1"
PATH_ENV="PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Every binary in an image is static: the images have no libc.
export CGO_ENABLED=0

# Real directories of this checkout (_output/bin may be a symlink shared with other checkouts).
mkdir -p "${OUT_DIR}/bin" "${TOOLS_DIR}"

# The builder and the pause program, from their own module's go.mod/go.sum, never a go.work above it.
(cd "${REPO_ROOT}/hack/tools/images" && GOWORK=off go build -trimpath -ldflags "-s -w" -o "${TOOLS_DIR}/" . ./pause)
BUILDER="${TOOLS_DIR}/images"

# image <short name> <builder flags...>: writes _output/images/<short name>.tar unless the inputs are those
# of the archive already there (recorded beside it in .<short name>.inputs).
IMAGES_TXT=()
image() {
  local short="$1" out="${OUT_DIR}/$1.tar" stamp="${OUT_DIR}/.$1.inputs" inputs prev="" arg tag=""
  shift
  inputs="$(
    sha256sum "${BUILDER}"
    echo "SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-}" # the builder's default mtime
    for arg in "$@"; do
      printf '%s\n' "${arg}"
      [[ "${prev}" != --file ]] || sha256sum "${arg%%:*}"
      prev="${arg}"
    done
  )"
  prev=""
  for arg in "$@"; do
    [[ "${prev}" != --tag ]] || tag="${arg}"
    prev="${arg}"
  done
  IMAGES_TXT+=("${short}.tar	${tag}")
  if [[ -f "${out}" && -f "${stamp}" && "$(cat "${stamp}")" == "${inputs}" ]]; then
    echo "${short}.tar: up to date (${tag})"
    return
  fi
  "${BUILDER}" --out "${out}" "$@"
  printf '%s\n' "${inputs}" >"${stamp}"
}

# What distroless static:nonroot has besides its binaries.
DISTROLESS=(
  --account root:0:0:/root --account nobody:65534:65534:/nonexistent --account nonroot:65532:65532:/home/nonroot
  --dir /root:0700 --dir /home/nonroot:0700:65532:65532 --dir /tmp:1777
  --file /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:0644
  --env "${PATH_ENV}" --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
)

# cnat-apiserver and cnat-controller, as the Dockerfile builds them.
revision="$(git -C "${REPO_ROOT}" rev-parse HEAD)"
ldflags="-s -w $("${REPO_ROOT}/hack/version-ldflags.sh")"
(cd "${REPO_ROOT}" && go build -trimpath -ldflags "${ldflags}" -o "${OUT_DIR}/bin/" ./cmd/cnat-apiserver ./cmd/cnat-controller)
for component in cnat-apiserver cnat-controller; do
  # "cnat-apiserver v1.0.0-dev+0123456789ab": the label says what the binary says.
  version="$("${OUT_DIR}/bin/${component}" --version | awk '{print $2}')"
  image "${component}" "${DISTROLESS[@]}" \
    --file "${OUT_DIR}/bin/${component}:/usr/local/bin/component:0755" \
    --entrypoint /usr/local/bin/component --user 65532:65532 \
    --label "org.opencontainers.image.version=${version}" --label "org.opencontainers.image.revision=${revision}" \
    --label org.opencontainers.image.source=https://github.com/programming-kubernetes/cnat \
    --tag "ghcr.io/programming-kubernetes/${component}:${CNAT_IMAGE_TAG}"
done

# etcd: the binaries the local control plane runs (hack/build-control-plane.sh copies them from its cache
# when they are built already).
if [[ ! -x "${BIN_DIR}/etcd" || ! -x "${BIN_DIR}/etcdctl" || ! -x "${BIN_DIR}/etcdutl" ]]; then
  "${REPO_ROOT}/hack/build-control-plane.sh"
fi
# Into a variable first: grep -q stops reading at the match, and under pipefail the writer's SIGPIPE would
# fail the pipeline.
etcd_version="$("${BIN_DIR}/etcd" --version)"
if ! grep -qx "etcd Version: ${ETCD_VERSION}" <<<"${etcd_version}"; then
  echo "${BIN_DIR}/etcd is not etcd ${ETCD_VERSION}, which ${ETCD_IMAGE} names: rebuild it (hack/build-control-plane.sh)" >&2
  exit 1
fi
image etcd "${DISTROLESS[@]}" \
  --file "${BIN_DIR}/etcd:/usr/local/bin/etcd:0755" --file "${BIN_DIR}/etcdctl:/usr/local/bin/etcdctl:0755" \
  --file "${BIN_DIR}/etcdutl:/usr/local/bin/etcdutl:0755" \
  --entrypoint /usr/local/bin/etcd --tag "${ETCD_IMAGE}"

# busybox: Debian's static build (the busybox package's is dynamic, and the image has no libc).
apt_ensure busybox-static
applets=()
while read -r applet; do
  [[ "${applet}" == bin/busybox ]] || applets+=(--symlink "/${applet}:/bin/busybox")
done < <(/bin/busybox --list-full | sort)
image busybox --file /bin/busybox:/bin/busybox:0755 "${applets[@]}" \
  --account root:0:0:/root:/bin/sh --account nobody:65534:65534:/home \
  --dir /root:0700 --dir /tmp:1777 --dir /home --dir /var \
  --env "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --cmd sh --tag "${BUSYBOX_IMAGE}"

image pause --file "${TOOLS_DIR}/pause:/pause:0755" --entrypoint /pause --user 65535:65535 --tag "${PAUSE_IMAGE}"

printf '%s\n' "${IMAGES_TXT[@]}" >"${OUT_DIR}/images.txt"
echo "images in ${OUT_DIR}: import each with ctr -n k8s.io images import <file> (list: images.txt)"
