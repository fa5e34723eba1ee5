#!/usr/bin/env bash
# Pinned, idempotent installer for the benchmark's competitor (bench/, issue 5).
#
# Builds (from the Go module proxy, with the local Go toolchain) and caches under
# <repo>/.cache/tools/ (git-ignored):
#   go-templating  function-go-templating (GO_TEMPLATING_VERSION in scripts/versions.sh)
#                  .cache/tools/function-go-templating-VERSION/function-go-templating
#   loadgen        the benchmark's grpc-go load     .cache/tools/bench-loadgen-<source hash>/loadgen
#                  generator, from bench/loadgen/ (its go.mod and go.sum pin grpc-go), keyed by
#                  a hash of its sources so that an edit rebuilds it
#   gosdk          the Go SDK peer: function-plana-  .cache/tools/bench-gosdk-<source hash>/function-plana-tenant-gosdk
#                  tenant by hand on function-sdk-go, from bench/gosdk/ (its go.mod and go.sum
#                  pin the SDK, k8s.io/api and Gateway API), keyed by a hash of its sources
#
# Usage:
#   scripts/install-bench-tools.sh           # install both (no-op when cached)
#   scripts/install-bench-tools.sh loadgen   # only the named tool
#   source .cache/tools/bench-env.sh         # FUNCTION_GO_TEMPLATING_BIN, BENCH_LOADGEN_BIN, BENCH_GOSDK_BIN
#
# A tool already present in the cache is reused as is. The build happens in a temporary folder
# next to its final place and is renamed into place only once complete, so an interrupted run
# never leaves something a later run would mistake for a finished build. Nothing is vendored:
# sources stay in the Go module cache (GOMODCACHE, default ~/go/pkg/mod). Nothing from here is
# committed. Same library (scripts/install-lib.sh) as scripts/install-tools.sh.
# shellcheck source=scripts/install-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/install-lib.sh"

GO_TEMPLATING_PKG="github.com/crossplane-contrib/function-go-templating"

usage() {
  cat <<EOF
Usage: $(basename "$0") [TOOL...]

Builds and caches the benchmark's tools under .cache/tools/ (no TOOL = all of them).
Tools:
  go-templating  function-go-templating ${GO_TEMPLATING_VERSION} (${GO_TEMPLATING_PKG})
  loadgen        the load generator in bench/loadgen/
  gosdk          the Go SDK peer in bench/gosdk/
  all            all three
Afterwards: source .cache/tools/bench-env.sh
EOF
}

selected=()
if [[ $# -eq 0 ]]; then
  selected=(go-templating loadgen gosdk)
else
  for arg in "$@"; do
    case "${arg}" in
      -h|--help) usage; exit 0 ;;
      all) selected+=(go-templating loadgen gosdk) ;;
      go-templating|function-go-templating) selected+=(go-templating) ;;
      loadgen) selected+=(loadgen) ;;
      gosdk) selected+=(gosdk) ;;
      *) usage >&2; die "unknown tool '${arg}'" ;;
    esac
  done
fi

cache_dir="${repo_root}/.cache/tools"
go_tools_setup bench


# ---------------------------------------------------------------- tool
gt_dir="${cache_dir}/function-go-templating-${GO_TEMPLATING_VERSION}"
gt_bin="${gt_dir}/function-go-templating"

# As a dependency of a scratch module (install-lib.sh's go_build_tool says why).
install_go_templating() {
  go_install_tool function-go-templating "${GO_TEMPLATING_VERSION}" "${gt_dir}" "${GO_TEMPLATING_PKG}" "${LDFLAGS}"
}

# The load generator and the Go SDK peer are this repository's own sources: nothing to pin but
# their go.mod/go.sum; each cache folder carries a hash of the sources instead, so an edit
# rebuilds it and an unchanged tree reuses it.
src_hash() { cat "$1/go.mod" "$1/go.sum" "$1"/*.go | sha256sum | cut -c1-12; }

loadgen_src="${repo_root}/bench/loadgen"
loadgen_hash="$(src_hash "${loadgen_src}")"
loadgen_dir="${cache_dir}/bench-loadgen-${loadgen_hash}"
loadgen_bin="${loadgen_dir}/loadgen"

gosdk_src="${repo_root}/bench/gosdk"
gosdk_hash="$(src_hash "${gosdk_src}")"
gosdk_dir="${cache_dir}/bench-gosdk-${gosdk_hash}"
gosdk_bin="${gosdk_dir}/function-plana-tenant-gosdk"

# install_local NAME SRC HASH DIR BIN: go build of one of this repository's Go modules.
install_local() {
  local name="$1" src="$2" hash="$3" dir="$4" bin="$5" start tmp
  cached "${name} ${hash}" "${bin}" && return 0
  start=$(date +%s)
  log "${name} ${hash}: building ${src#"${repo_root}/"}"
  new_tmp tmp "bench-${name}-${hash}"
  # -mod=readonly: go.sum must already hold every checksum; the build writes nothing into the repo.
  (cd "${src}" && go build -mod=readonly -ldflags="${LDFLAGS}" -o "${tmp}/$(basename "${bin}")" .) \
    || die "${name}: build of ${src#"${repo_root}/"} failed"
  [[ -x "${tmp}/$(basename "${bin}")" ]] || die "${name}: build produced no binary"
  printf '%s (sources %s)\n' "${src#"${repo_root}/"}" "${hash}" >"${tmp}/SOURCE"
  go version >>"${tmp}/SOURCE"
  publish "${tmp}" "${dir}"
  log "${name} ${hash}: built in $(elapsed "${start}")"
}

want go-templating && install_go_templating
want loadgen && install_local loadgen "${loadgen_src}" "${loadgen_hash}" "${loadgen_dir}" "${loadgen_bin}"
want gosdk && install_local gosdk "${gosdk_src}" "${gosdk_hash}" "${gosdk_dir}" "${gosdk_bin}"

# ---------------------------------------------------------------- env file
env_file="${cache_dir}/bench-env.sh"
{
  printf '# Generated by scripts/install-bench-tools.sh; source it: . %s\n' "${env_file}"
  env_export FUNCTION_GO_TEMPLATING_BIN "${gt_bin}"
  env_export FUNCTION_GO_TEMPLATING_VERSION "${GO_TEMPLATING_VERSION}" "${gt_bin}"
  env_export BENCH_LOADGEN_BIN "${loadgen_bin}"
  env_export BENCH_GOSDK_BIN "${gosdk_bin}"
} | write_env_file "${env_file}"
log "environment (also in ${env_file}):"
grep '^export ' "${env_file}"
