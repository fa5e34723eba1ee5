# Sourced by scripts/install-tools.sh and scripts/install-bench-tools.sh, after they set
# cache_dir and define log and die: the Go build environment, one lock per installer, and
# staging folders that disappear unless renamed into place.
#
#   go_tools_setup NAME    NAME keys the lock (.lock-NAME) and the staging folders (.tmp-NAME-*)
#   new_tmp VAR LABEL      a fresh staging folder in the cache, its path stored in VAR
#   publish STAGED FINAL   atomically rename a completed staging folder to its final name
# shellcheck shell=bash disable=SC2034,SC2154  # sets LDFLAGS and tmp_prefix for the sourcing script; reads its cache_dir

go_tools_setup() {
  local name="$1"
  command -v go >/dev/null 2>&1 || die "go is not on PATH"
  export GOTOOLCHAIN=local   # never download another Go toolchain
  export GOWORK=off          # ignore any go.work around the scratch folders
  export CGO_ENABLED="${CGO_ENABLED:-0}"
  case " ${GOFLAGS:-} " in
    *" -trimpath "*) ;;
    *) export GOFLAGS="${GOFLAGS:+${GOFLAGS} }-trimpath" ;;
  esac
  # GOPATH / GOMODCACHE: Go's defaults (~/go) persist between runs; respected if set.
  LDFLAGS="-s -w"
  tmp_prefix=".tmp-${name}-"
  mkdir -p "${cache_dir}"

  # One run of each installer at a time (a second run waits, then reuses the results). Each
  # installer has its own lock and its own staging names, so the two may run side by side.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"${cache_dir}/.lock-${name}"
    if ! flock -n 9; then
      log "another ${name} installer is running; waiting for it"
      flock 9
    fi
    # Holding the lock, no run of this installer uses staging folders: drop any a killed run left.
    find "${cache_dir}" -mindepth 1 -maxdepth 1 -name "${tmp_prefix}*" -exec chmod -R u+w {} + -exec rm -rf {} + 2>/dev/null || true
  fi

  tmp_dirs=()
  trap go_tools_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

go_tools_cleanup() {
  local d
  for d in "${tmp_dirs[@]+"${tmp_dirs[@]}"}"; do
    if [[ -n "${d}" && -e "${d}" ]]; then
      chmod -R u+w "${d}" 2>/dev/null || true
      rm -rf "${d}" || true
    fi
  done
  return 0
}

# Not called in $(...): the registration in tmp_dirs must reach the calling shell. The folder is
# in the cache, on the same filesystem as the final place, so the final rename is atomic.
new_tmp() {
  local d
  d="$(mktemp -d "${cache_dir}/${tmp_prefix}$2.XXXXXX")"
  chmod 0755 "${d}"
  tmp_dirs+=("${d}")
  printf -v "$1" '%s' "${d}"
}

publish() {
  local staged="$1" final="$2"
  if [[ -e "${final}" ]]; then
    # Only reached when FINAL is incomplete (e.g. made by hand): replace it.
    chmod -R u+w "${final}" 2>/dev/null || true
    rm -rf "${final}"
  fi
  mv -T "${staged}" "${final}"
}

# write_env_file FILE: atomically replace FILE with what stdin holds (the export lines).
write_env_file() {
  local file="$1" tmp
  tmp="$(mktemp "${cache_dir}/${tmp_prefix}env.XXXXXX")"
  tmp_dirs+=("${tmp}")
  cat >"${tmp}"
  chmod 0644 "${tmp}"
  mv -f "${tmp}" "${file}"
}
