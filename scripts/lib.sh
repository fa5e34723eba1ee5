# shellcheck shell=bash
# Sourced first by every script in scripts/ (scripts/install-lib.sh and scripts/image-lib.sh
# source it too, and build on it): what each script used to repeat.
#   - strict mode: set -euo pipefail;
#   - repo_root (absolute) and the working directory set to it, so every path in a script is
#     relative to the repository whatever the caller's directory;
#   - every pinned version (scripts/versions.sh);
#   - script_name (the file name without .sh) and the helpers
#       log MSG...           "[script_name] MSG" on stderr
#       die MSG...           "[script_name] error: MSG" on stderr, exit 1 (could not do the job)
#       fail MSG...          "[script_name] FAIL: MSG" on stderr, exit 1 (a check it runs failed)
#       elapsed START        the time since START (date +%s), as 1m05s
#       print_help           the script's header comment, for -h/--help
#       ensure_packages PKG...  installs the Debian packages that are missing (needs root)
# Not for scripts/use-node.sh, which is sourced into the caller's own shell: strict mode and a cd
# would change that shell.
[[ -z "${lib_sh_loaded:-}" ]] || return 0
lib_sh_loaded=1

set -euo pipefail

script_name="$(basename "$0" .sh)"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${repo_root}"

# shellcheck source=scripts/versions.sh
. "${repo_root}/scripts/versions.sh"

log() { printf '[%s] %s\n' "${script_name}" "$*" >&2; }
die() { log "error: $*"; exit 1; }
fail() { log "FAIL: $*"; exit 1; }

elapsed() { local s=$(($(date +%s) - $1)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# The comment block after the shebang, without its '# ' (the header is the script's manual).
print_help() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

# ensure_packages PKG...: apt-get installs those not installed, quietly (the full log only on
# failure). Needs root, as the scripts that use it do.
ensure_packages() {
  local missing=() p aptlog
  for p in "$@"; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ "$(id -u)" -eq 0 ]] || die "missing Debian packages: ${missing[*]} (run as root, or install them)"
  log "installing ${missing[*]} (apt-get)"
  aptlog="$(mktemp)"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >"${aptlog}" 2>&1; then
    cat "${aptlog}" >&2
    rm -f "${aptlog}"
    die "apt-get could not install ${missing[*]}"
  fi
  rm -f "${aptlog}"
}
