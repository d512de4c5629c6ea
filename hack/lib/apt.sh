# shellcheck shell=bash
# apt_ensure <package>...: installs the Debian packages that are not installed yet (apt-get update first), as
# root or through sudo -n. The scripts that need a package from Debian (busybox-static for the images,
# containerd and friends for the real node) call it, so that a fresh machine needs no step by hand.
apt_ensure() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q "install ok installed" || missing+=("${pkg}")
  done
  ((${#missing[@]} > 0)) || return 0
  local sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo -n)
  echo "apt: installing ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
