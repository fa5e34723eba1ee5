# shellcheck shell=bash
# The installer library: sourced by the scripts that install pinned tools into .cache/
# (install-tools.sh, install-backup-tools.sh, install-node.sh, install-e2e-tools.sh,
# install-bench-tools.sh, the CRD cache of validate.sh), which set cache_dir
# before calling anything here. Builds on scripts/lib.sh (log, die, elapsed, versions), which it
# sources.
#
#   installer_setup NAME   one run at a time (lock .lock-NAME in cache_dir), staging folders
#                          (.tmp-NAME-*) that disappear unless renamed into place
#   go_tools_setup NAME    the same, plus the Go build environment (needs go on PATH)
#   env_export NAME VALUE [PATH]  an env file's export line, when PATH (default VALUE) exists
#   want TOOL              true when TOOL is in the array 'selected' (the tools asked for)
#   cached LABEL PATH      true when PATH exists (a finished install), saying so unless quiet=1
#   new_tmp VAR LABEL      a fresh staging folder in the cache, its path stored in VAR
#   publish STAGED FINAL   atomically rename a completed staging folder to its final name
#   write_env_file FILE    atomically replace FILE with stdin (the export lines)
#   go_module_dir MOD@VER  the module's source folder in the Go module cache (downloading it)
#   go_build_tool ...      build a Go tool at a pinned version (see below)
#   go_install_tool ...    go_build_tool into DIR/BIN unless cached, with the logging around it
#   progress_start LABEL START, progress_stop   a ticker that logs the elapsed time meanwhile
# shellcheck disable=SC2034,SC2154  # sets LDFLAGS and tmp_prefix for the sourcing script; reads its cache_dir, selected, quiet

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

installer_setup() {
  local name="$1"
  tmp_prefix=".tmp-${name}-"
  mkdir -p "${cache_dir}"

  # One run of each installer at a time (a second run waits, then reuses the results). Each
  # installer has its own lock and its own staging names, so two may run side by side.
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
  trap installer_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

go_tools_setup() {
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
  installer_setup "$1"
}

installer_cleanup() {
  local d
  progress_stop
  for d in "${tmp_dirs[@]+"${tmp_dirs[@]}"}"; do
    if [[ -n "${d}" && -e "${d}" ]]; then
      chmod -R u+w "${d}" 2>/dev/null || true
      rm -rf "${d}" || true
    fi
  done
  return 0
}

want() {
  local t
  for t in "${selected[@]}"; do [[ "${t}" == "$1" ]] && return 0; done
  return 1
}

# A tool is only ever published complete (new_tmp + publish), so its presence means a finished
# install.
cached() {
  [[ -e "$2" ]] || return 1
  [[ "${quiet:-0}" == 1 ]] || log "$1: cached ($2)"
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

# env_export NAME VALUE [PATH]: the env file's `export NAME=VALUE` line, when PATH (default: VALUE)
# exists: a tool not installed is left out rather than named.
env_export() {
  [[ -e "${3:-$2}" ]] && printf 'export %s=%q\n' "$1" "$2"
  return 0
}

write_env_file() {
  local file="$1" tmp
  tmp="$(mktemp "${cache_dir}/${tmp_prefix}env.XXXXXX")"
  tmp_dirs+=("${tmp}")
  cat >"${tmp}"
  chmod 0644 "${tmp}"
  mv -f "${tmp}" "${file}"
}

# The module's source lands, read-only, in the Go module cache; callers copy what they need.
# Needs no go_tools_setup (validate.sh calls it without): the two settings it needs are here.
go_module_dir() {
  local json
  if ! json="$(cd "${cache_dir}" && GOTOOLCHAIN=local GOWORK=off go mod download -json "$1")"; then
    printf '%s\n' "${json}" >&2
    die "could not download $1 (Go module proxy)"
  fi
  printf '%s\n' "${json}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

# progress_start LABEL START / progress_stop: while a long step runs, log "LABEL: 2m30s so far"
# every 15 s on a terminal, every 60 s otherwise (CI logs), so a first run that compiles for
# minutes shows it is alive and how long each tool has taken. One ticker at a time.
progress_pid=""
progress_start() {
  local label="$1" start="$2" every=60
  progress_stop
  [[ -t 2 ]] && every=15
  # The subshell does not run the EXIT trap; installer_cleanup stops it if the installer dies.
  # sleep holds no pipe open: killing the ticker must not leave a reader waiting for EOF.
  # shellcheck disable=SC2217  # sleep's stdin is closed on purpose: see above
  ( while sleep "${every}" </dev/null >/dev/null 2>&1; do log "${label}: $(elapsed "${start}") so far"; done ) &
  progress_pid=$!
}
progress_stop() {
  [[ -n "${progress_pid}" ]] || return 0
  kill "${progress_pid}" 2>/dev/null || true
  wait "${progress_pid}" 2>/dev/null || true
  progress_pid=""
}

# go_build_tool NAME OUT PKG VERSION LDFLAGS [REPLACE...]
# Builds PKG@VERSION to OUT as a dependency of a throwaway scratch module (in a temporary
# folder), rather than with 'go install PKG@VERSION', because:
#   - 'go install PKG@VERSION' refuses modules with replace directives (the core module has
#     one: the scratch module repeats it via REPLACE arguments, "old=new@version");
#   - 'go install PKG@VERSION' also looks up the module's latest version (deprecation check)
#     and fails hard when the proxy will not list versions (proxy.golang.org answers 403 to
#     @v/list for the crossplane modules here); 'go get' only warns.
# With no replace directives upstream, the scratch module's build list is exactly the one
# 'go install' would use (minimal version selection over the tool module's own go.mod).
go_build_tool() {
  local name="$1" out="$2" pkg="$3" version="$4" ldflags="$5"
  shift 5
  local mod r start
  start=$(date +%s)
  new_tmp mod "${name}-module"
  progress_start "${name} ${version}" "${start}"
  # (set -e does not apply inside a subshell that is the left side of '||': chain with &&.)
  (
    cd "${mod}" &&
      go mod init "local.invalid/${name}" >/dev/null 2>&1 &&
      for r in "$@"; do go mod edit -replace="${r}" || exit 1; done &&
      log "${name} ${version}: downloading modules (go get)" &&
      # 'go get' is chatty (a line per module): show its output only when it fails.
      if [[ -n "${INSTALL_TOOLS_VERBOSE:-}" ]]; then
        go get -tool "${pkg}@${version}"
      elif ! go get -tool "${pkg}@${version}" >go-get.log 2>&1; then
        cat go-get.log >&2
        exit 1
      fi &&
      log "${name} ${version}: compiling (go build; modules took $(elapsed "${start}"))" &&
      go build -ldflags="${ldflags}" -o "${out}" "${pkg}"
  ) || die "${name}: build of ${pkg}@${version} failed"
  progress_stop
  rm -rf "${mod}"
  [[ -x "${out}" ]] || die "${name}: build produced no binary"
  "${out}" --help >/dev/null || die "${name}: built binary does not run"
}

# go_install_tool NAME VERSION DIR PKG LDFLAGS [REPLACE...]: DIR/NAME built by go_build_tool
# and published as DIR, unless already there.
go_install_tool() {
  local name="$1" version="$2" dir="$3" start tmp
  shift 3
  cached "${name} ${version}" "${dir}/${name}" && return 0
  start=$(date +%s)
  log "${name} ${version}: building (takes minutes the first time)"
  new_tmp tmp "${name}-${version}"
  go_build_tool "${name}" "${tmp}/${name}" "$1" "${version}" "${@:2}"
  publish "${tmp}" "${dir}"
  log "${name} ${version}: built in $(elapsed "${start}")"
}
