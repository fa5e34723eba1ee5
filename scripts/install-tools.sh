#!/usr/bin/env bash
# Pinned, idempotent installer for the Crossplane tooling this project tests against.
#
# Builds (from the Go module proxy, with the local Go toolchain) and caches, keyed by the
# version scripts/versions.sh pins, under <repo>/.cache/tools/ (git-ignored):
#   crossplane   Crossplane CLI                   .cache/tools/crossplane-<version>/crossplane
#   core         Crossplane core (for             .cache/tools/crossplane-core-<version>/crossplane-core
#                `crossplane render --crossplane-binary`)
#   crank        crank (Crossplane v1's CLI)      .cache/tools/crank-<version>/crank
#   gateway-api  Gateway API standard CRDs        .cache/tools/gateway-api-<version>/crds/*.yaml
#
# Usage:
#   scripts/install-tools.sh                 # install everything
#   scripts/install-tools.sh crossplane core # install only the named tools
#   source .cache/tools/env.sh               # CROSSPLANE_BIN, CROSSPLANE_CORE_BIN, CRANK_BIN,
#                                            # GATEWAY_API_CRDS (absolute paths)
#
# A tool already present in the cache is reused as is. Every tool is built in a temporary
# folder next to its final place and renamed into place only once complete, so an
# interrupted run never leaves something a later run would mistake for a finished build.
# Nothing is vendored: sources stay in the Go module cache (GOMODCACHE, default ~/go/pkg/mod).

# shellcheck source=scripts/install-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/install-lib.sh"
cache_dir="${repo_root}/.cache/tools"

ALL_TOOLS=(crossplane core crank gateway-api)

usage() {
  cat <<EOF
Usage: $(basename "$0") [-q|--quiet] [TOOL...]

Builds and caches pinned tools under .cache/tools/ (no TOOL = all of them).
Tools:
  crossplane   Crossplane CLI ${CROSSPLANE_CLI_VERSION} (github.com/crossplane/cli/v2/cmd/crossplane)
  core         Crossplane core ${CROSSPLANE_CORE_VERSION}, for 'crossplane render --crossplane-binary'
  crank        crank ${CROSSPLANE_V1_VERSION} (Crossplane v1 CLI)
  gateway-api  Gateway API ${GATEWAY_API_VERSION} standard CRDs (config/crd/standard/*.yaml)
  all          all of the above

Afterwards: source .cache/tools/env.sh
EOF
}

# ---------------------------------------------------------------- arguments
selected=()
quiet=0
# -q/--quiet (scripts/render.sh): say nothing about tools already cached; still show builds.
args=()
for arg in "$@"; do [[ "${arg}" == -q || "${arg}" == --quiet ]] && quiet=1 || args+=("${arg}"); done
set -- "${args[@]+"${args[@]}"}"
if [[ $# -eq 0 ]]; then
  selected=("${ALL_TOOLS[@]}")
else
  for arg in "$@"; do
    case "${arg}" in
      -h|--help) usage; exit 0 ;;
      all) selected+=("${ALL_TOOLS[@]}") ;;
      crossplane|core|crank|gateway-api) selected+=("${arg}") ;;
      crossplane-core) selected+=(core) ;;
      gateway|gatewayapi|gateway-api-crds) selected+=(gateway-api) ;;
      *) usage >&2; die "unknown tool '${arg}'" ;;
    esac
  done
fi

go_tools_setup tools

# ---------------------------------------------------------------- tools
crossplane_dir="${cache_dir}/crossplane-${CROSSPLANE_CLI_VERSION}"
crossplane_bin="${crossplane_dir}/crossplane"
core_dir="${cache_dir}/crossplane-core-${CROSSPLANE_CORE_VERSION}"
core_bin="${core_dir}/crossplane-core"
crank_dir="${cache_dir}/crank-${CROSSPLANE_V1_VERSION}"
crank_bin="${crank_dir}/crank"
gateway_dir="${cache_dir}/gateway-api-${GATEWAY_API_VERSION}"
gateway_crds="${gateway_dir}/crds"
# Each binary reports its version as upstream's release builds do (-X ...version=).
version_flag=-X=github.com/crossplane/crossplane-runtime/v2/pkg/version.version

install_crossplane() {
  go_install_tool crossplane "${CROSSPLANE_CLI_VERSION}" "${crossplane_dir}" \
    github.com/crossplane/cli/v2/cmd/crossplane "${LDFLAGS} ${version_flag}=${CROSSPLANE_CLI_VERSION}"
}

install_core() {
  # The core module replaces apis/v2 with its ./apis folder: use the published apis/v2.
  go_install_tool crossplane-core "${CROSSPLANE_CORE_VERSION}" "${core_dir}" \
    github.com/crossplane/crossplane/v2/cmd/crossplane "${LDFLAGS} ${version_flag}=${CROSSPLANE_CORE_VERSION}" \
    "github.com/crossplane/crossplane/apis/v2=github.com/crossplane/crossplane/apis/v2@${CROSSPLANE_CORE_VERSION}"
}

install_crank() {
  # The version is what 'crank beta validate' uses for its default Crossplane image tag.
  go_install_tool crank "${CROSSPLANE_V1_VERSION}" "${crank_dir}" \
    github.com/crossplane/crossplane/cmd/crank \
    "${LDFLAGS} -X=github.com/crossplane/crossplane/internal/version.version=${CROSSPLANE_V1_VERSION}"
}

install_gateway_api() {
  cached "gateway-api ${GATEWAY_API_VERSION}" "${gateway_crds}/gateway.networking.k8s.io_httproutes.yaml" && return 0
  local start tmp src n
  start=$(date +%s)
  log "gateway-api ${GATEWAY_API_VERSION}: fetching CRDs"
  new_tmp tmp "gateway-api-${GATEWAY_API_VERSION}"
  src="$(go_module_dir "sigs.k8s.io/gateway-api@${GATEWAY_API_VERSION}")" || exit 1
  [[ -n "${src}" && -d "${src}/config/crd/standard" ]] \
    || die "gateway-api: no config/crd/standard in sigs.k8s.io/gateway-api@${GATEWAY_API_VERSION} (${src})"
  mkdir -p "${tmp}/crds"
  cp "${src}"/config/crd/standard/*.yaml "${tmp}/crds/"
  chmod -R u+w,a+r "${tmp}/crds"
  n=$(find "${tmp}/crds" -name '*.yaml' | wc -l)
  [[ -f "${tmp}/crds/gateway.networking.k8s.io_httproutes.yaml" ]] \
    || die "gateway-api: HTTPRoute CRD missing from ${src}/config/crd/standard"
  printf 'sigs.k8s.io/gateway-api %s config/crd/standard\n' "${GATEWAY_API_VERSION}" >"${tmp}/SOURCE"
  publish "${tmp}" "${gateway_dir}"
  log "gateway-api ${GATEWAY_API_VERSION}: ${n} CRDs in $(elapsed "${start}")"
}

total_start=$(date +%s)
# Say up front what this run will build, so a first run's minutes are expected, not a hang.
to_build=()
want crossplane && [[ ! -x "${crossplane_bin}" ]] && to_build+=("crossplane ${CROSSPLANE_CLI_VERSION}")
want core && [[ ! -x "${core_bin}" ]] && to_build+=("crossplane-core ${CROSSPLANE_CORE_VERSION}")
want crank && [[ ! -x "${crank_bin}" ]] && to_build+=("crank ${CROSSPLANE_V1_VERSION}")
want gateway-api && [[ ! -d "${gateway_crds}" ]] && to_build+=("gateway-api ${GATEWAY_API_VERSION} CRDs")
if [[ ${#to_build[@]} -gt 0 ]]; then
  log "first use: building $(IFS=,; printf '%s' "${to_build[*]}" | sed 's/,/, /g') into ${cache_dir} (once; each Go tool takes minutes on 2 cores, cached afterwards)"
fi
want crossplane && install_crossplane
want core && install_core
want crank && install_crank
want gateway-api && install_gateway_api

# ---------------------------------------------------------------- env file
# Lists every cached tool of the pinned versions (not only those selected this run).
env_file="${cache_dir}/env.sh"
{
  printf '# Generated by scripts/install-tools.sh; source it: . %s\n' "${env_file}"
  env_export CROSSPLANE_BIN "${crossplane_bin}"
  env_export CROSSPLANE_CORE_BIN "${core_bin}"
  env_export CRANK_BIN "${crank_bin}"
  env_export GATEWAY_API_CRDS "${gateway_crds}"
} | write_env_file "${env_file}"

if [[ "${quiet}" == 1 ]]; then
  [[ ${#to_build[@]} -eq 0 ]] || log "done in $(elapsed "${total_start}")"
else
  log "done in $(elapsed "${total_start}"); environment (also in ${env_file}):"
  grep '^export ' "${env_file}" || true
fi
