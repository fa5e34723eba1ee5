# Sourced by scripts/install-tools.sh and scripts/install-bench-tools.sh, after they set
# cache_dir and define log and die: the Go build environment, one lock per installer, and
# staging folders that disappear unless renamed into place.
#
#   go_tools_setup NAME    NAME keys the lock (.lock-NAME) and the staging folders (.tmp-NAME-*)
#   new_tmp VAR LABEL      a fresh staging folder in the cache, its path stored in VAR
#   publish STAGED FINAL   atomically rename a completed staging folder to its final name
#   go_build_tool ...      build a Go tool at a pinned version (see below)
#   elapsed START          minutes and seconds since START (date +%s)
#   progress_start LABEL START, progress_stop   a ticker that logs the elapsed time meanwhile
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
  progress_stop
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

elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# progress_start LABEL START / progress_stop: while a long step runs, log "LABEL: 2m30s so far"
# every 15 s on a terminal, every 60 s otherwise (CI logs), so a first run that compiles for
# minutes shows it is alive and how long each tool has taken. One ticker at a time.
progress_pid=""
progress_start() {
  local label="$1" start="$2" every=60
  progress_stop
  [[ -t 2 ]] && every=15
  # The subshell does not run the EXIT trap; go_tools_cleanup stops it if the installer dies.
  # sleep holds no pipe open: killing the ticker must not leave a reader waiting for EOF.
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
