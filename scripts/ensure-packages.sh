# shellcheck shell=bash
# Sourced by the image, xpkg and smoke scripts: `ensure_packages PKG...` installs the Debian
# packages that are missing (apt-get, quietly; the full log only on failure). Needs root, as
# the scripts that use it do.
ensure_packages() {
  local missing=() p log
  for p in "$@"; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    return 1
  fi
  echo "[packages] installing ${missing[*]}" >&2
  log="$(mktemp)"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "apt-get could not install ${missing[*]}" >&2
    return 1
  fi
  rm -f "$log"
}
