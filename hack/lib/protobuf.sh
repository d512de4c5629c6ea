# shellcheck shell=bash
# Protobuf for the served API versions, the way Kubernetes makes its own: go-to-protobuf writes a
# generated.proto from the Go types, protoc with code-generator's gogo plugin turns it into generated.pb.go
# (marshalers only: the Go types stay the hand-written ones).
#
# Source from hack/update-codegen.sh (with ROOT and BOILERPLATE set); call cnat_gen_protobuf <package dir>...

# cnat_ensure_protoc: protoc, from Debian when it is missing (CI runs as root on a fresh machine). The
# generated code depends on the protoc version only through the descriptor it embeds; Debian bookworm's 3.21
# is the one the checked-in files were made with.
cnat_ensure_protoc() {
  if command -v protoc >/dev/null; then
    return
  fi
  if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "protoc is missing: install protobuf-compiler (Debian) or put protoc on PATH" >&2
    return 1
  fi
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null
}

# cnat_gen_protobuf <package dir>...: generated.proto and generated.pb.go in each package.
cnat_gen_protobuf() {
  local tools src module pkgs=() dir
  cnat_ensure_protoc || return
  tools="$(mktemp -d -t cnat-protobuf.XXXXXX)"
  # Removed when this function returns; the trap then clears itself (a RETURN trap is global otherwise).
  # shellcheck disable=SC2064 # expand now: tools is local
  trap "rm -rf '${tools}'; trap - RETURN" RETURN

  # protoc-gen-gogo and goimports must be on PATH for go-to-protobuf; both at the versions go.mod pins.
  go build -o "${tools}/bin/" \
    k8s.io/code-generator/cmd/go-to-protobuf \
    k8s.io/code-generator/cmd/go-to-protobuf/protoc-gen-gogo \
    golang.org/x/tools/cmd/goimports

  # go-to-protobuf and protoc address .proto files by Go import path under one source root (GOPATH style):
  # link this module and the modules whose .proto files ours import into such a root.
  src="${tools}/src"
  for module in "$(go list -m):${ROOT}" \
    "k8s.io/apimachinery:$(go list -m -f '{{.Dir}}' k8s.io/apimachinery)" \
    "github.com/gogo/protobuf:$(go list -m -f '{{.Dir}}' github.com/gogo/protobuf)"; do
    mkdir -p "${src}/$(dirname "${module%%:*}")"
    ln -s "${module#*:}" "${src}/${module%%:*}"
  done

  for dir in "$@"; do
    pkgs+=("$(cd "${dir}" && go list -find .)")
  done
  # The apimachinery packages are only imported ('-'): their generated files come with apimachinery.
  PATH="${tools}/bin:${PATH}" "${tools}/bin/go-to-protobuf" \
    --go-header-file "${BOILERPLATE}" \
    --output-dir "${src}" \
    --proto-import "${src}" \
    --apimachinery-packages "-k8s.io/apimachinery/pkg/util/intstr,-k8s.io/apimachinery/pkg/api/resource,-k8s.io/apimachinery/pkg/runtime/schema,-k8s.io/apimachinery/pkg/runtime,-k8s.io/apimachinery/pkg/apis/meta/v1" \
    --packages "$(IFS=,; echo "${pkgs[*]}")"
}
