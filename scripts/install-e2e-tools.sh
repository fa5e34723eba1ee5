#!/usr/bin/env bash
# Pinned, idempotent installer for the real control plane the end-to-end suite (npm run e2e)
# runs on. Builds from the Go module proxy with the local Go toolchain and caches, keyed by
# version, under <repo>/.cache/e2e/ (git-ignored):
#   etcd                 etcd v3.6.16                     .cache/e2e/etcd-v3.6.16/etcd
#   kubernetes           kube-apiserver, kube-controller-manager, kubectl v1.35.4
#                                                         .cache/e2e/kubernetes-v1.35.4/
#   provider-kubernetes  provider-kubernetes v1.2.0 (run out of cluster; see below why not
#                        v1.3.1)                           .cache/e2e/provider-kubernetes-v1.2.0/
#   crossplane-v1        Crossplane core v1.20.11 (claims) .cache/e2e/crossplane-core-v1.20.11/
#   registry             distribution registry v3.1.2 (the package-manager scenario)
#                                                         .cache/e2e/registry-v3.1.2/registry
#   crossplane-crds      Crossplane v2.3.4's own CRDs (cluster/crds of its module), which
#                        'crossplane core init' installs  .cache/e2e/crossplane-crds-v2.3.4/
# Crossplane core v2.3.4 and the Gateway API CRDs come from scripts/install-tools.sh.
#
# Usage:
#   scripts/install-e2e-tools.sh            # everything
#   scripts/install-e2e-tools.sh etcd ...   # only the named tools
#   source .cache/e2e/env.sh                # ETCD_BIN, KUBE_APISERVER_BIN, ... (absolute paths)
#
# Binaries, not the Go build cache (GB), are what is cached: ~400 MB.
set -euo pipefail

# The versions, and why v1.2.0 of provider-kubernetes: scripts/versions.sh.
# shellcheck source=scripts/versions.sh
. "$(dirname "${BASH_SOURCE[0]}")/versions.sh"
PROVIDER_KUBERNETES_VERSION="${PROVIDER_KUBERNETES_E2E_VERSION}"

ALL_TOOLS=(etcd kubernetes crossplane-crds provider-kubernetes crossplane-v1 registry)

log() { printf '[install-e2e-tools] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
repo_root="$(cd "${script_dir}/.." && pwd -P)"
cache_dir="${repo_root}/.cache/e2e"

selected=()
if [[ $# -eq 0 ]]; then
  selected=("${ALL_TOOLS[@]}")
else
  for arg in "$@"; do
    case "${arg}" in
      all) selected+=("${ALL_TOOLS[@]}") ;;
      etcd|kubernetes|crossplane-crds|provider-kubernetes|crossplane-v1|registry) selected+=("${arg}") ;;
      *) die "unknown tool '${arg}' (known: ${ALL_TOOLS[*]})" ;;
    esac
  done
fi
want() {
  local t
  for t in "${selected[@]}"; do [[ "${t}" == "$1" ]] && return 0; done
  return 1
}

# shellcheck source=scripts/go-tools-lib.sh
. "${script_dir}/go-tools-lib.sh"
go_tools_setup e2e

etcd_dir="${cache_dir}/etcd-${ETCD_VERSION}"
k8s_dir="${cache_dir}/kubernetes-${KUBERNETES_VERSION}"
pk_dir="${cache_dir}/provider-kubernetes-${PROVIDER_KUBERNETES_VERSION}"
xp1_dir="${cache_dir}/crossplane-core-${CROSSPLANE_V1_VERSION}"
registry_dir="${cache_dir}/registry-${REGISTRY_VERSION}"
xp2_crds_dir="${cache_dir}/crossplane-crds-${CROSSPLANE_CORE_VERSION}"

# module_dir MODULE@VERSION: where the Go module cache holds that module's source (downloading it).
module_dir() {
  local json
  json="$(cd "${cache_dir}" && go mod download -json "$1")" || { printf '%s\n' "${json}" >&2; return 1; }
  printf '%s\n' "${json}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

install_crossplane_crds() {
  if [[ -d "${xp2_crds_dir}" ]]; then log "crossplane ${CROSSPLANE_CORE_VERSION} CRDs: cached"; return 0; fi
  local tmp src
  new_tmp tmp "crossplane-crds-${CROSSPLANE_CORE_VERSION}"
  src="$(module_dir "github.com/crossplane/crossplane/v2@${CROSSPLANE_CORE_VERSION}")" || die "crossplane: could not download v2@${CROSSPLANE_CORE_VERSION}"
  [[ -f "${src}/cluster/crds/pkg.crossplane.io_functionrevisions.yaml" ]] || die "crossplane: no cluster/crds in ${src}"
  cp "${src}"/cluster/crds/*.yaml "${tmp}/"
  chmod -R u+w,a+r "${tmp}"
  publish "${tmp}" "${xp2_crds_dir}"
  log "crossplane ${CROSSPLANE_CORE_VERSION} CRDs: copied from ${src}"
}

install_etcd() {
  if [[ -x "${etcd_dir}/etcd" ]]; then log "etcd ${ETCD_VERSION}: cached"; return 0; fi
  local start tmp
  start=$(date +%s)
  log "etcd ${ETCD_VERSION}: building (~2 min on 2 cores)"
  new_tmp tmp "etcd-${ETCD_VERSION}"
  # etcd's own replace directives are ignored when it is a dependency; its server package is main.
  go_build_tool etcd "${tmp}/etcd" go.etcd.io/etcd/server/v3 "${ETCD_VERSION}" "${LDFLAGS}"
  publish "${tmp}" "${etcd_dir}"
  log "etcd ${ETCD_VERSION}: built in $(elapsed "${start}")"
}

# k8s.io/kubernetes cannot be 'go install'ed: its go.mod replaces its ~31 staging modules with
# ./staging folders. The scratch module requires it and replaces each staging module with the
# published k8s.io/<name> v0.<minor>.<patch>, the list generated from k8s.io/kubernetes's go.mod.
install_kubernetes() {
  if [[ -x "${k8s_dir}/kube-apiserver" && -x "${k8s_dir}/kube-controller-manager" && -x "${k8s_dir}/kubectl" ]]; then
    log "kubernetes ${KUBERNETES_VERSION}: cached"; return 0
  fi
  local start tmp mod gomod staging_version minor pkgs ldflags
  start=$(date +%s)
  log "kubernetes ${KUBERNETES_VERSION}: building kube-apiserver, kube-controller-manager, kubectl (~6 min cold on 2 cores)"
  new_tmp tmp "kubernetes-${KUBERNETES_VERSION}"
  new_tmp mod "kubernetes-module"
  staging_version="v0.${KUBERNETES_VERSION#v1.}"
  minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  pkgs=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl)
  # Without these the binaries report v0.0.0 (and kubectl refuses nothing, but says so).
  ldflags="${LDFLAGS}"
  local p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${p}.gitVersion=${KUBERNETES_VERSION} -X ${p}.gitMajor=1 -X ${p}.gitMinor=${minor}"
    ldflags+=" -X ${p}.gitTreeState=clean -X ${p}.buildDate=1970-01-01T00:00:00Z"
  done
  (
    cd "${mod}" &&
      go mod init local.invalid/kubernetes >/dev/null 2>&1 &&
      gomod="$(go mod download -json "k8s.io/kubernetes@${KUBERNETES_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')" &&
      [[ -f "${gomod}" ]] &&
      # Lines like 'k8s.io/api => ./staging/src/k8s.io/api' (in a replace block or not).
      sed -n 's#^[[:space:]]*\(replace[[:space:]]\{1,\}\)\{0,1\}\(k8s\.io/[A-Za-z0-9._/-]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\2#p' "${gomod}" >staging.txt &&
      [[ $(wc -l <staging.txt) -ge 20 ]] &&
      while read -r m; do go mod edit -replace="${m}=${m}@${staging_version}" || exit 1; done <staging.txt &&
      if ! go get "k8s.io/kubernetes@${KUBERNETES_VERSION}" >go-get.log 2>&1; then cat go-get.log >&2; exit 1; fi &&
      for p in "${pkgs[@]}"; do go get -tool "${p}@${KUBERNETES_VERSION}" >>go-get.log 2>&1 || { cat go-get.log >&2; exit 1; }; done &&
      go build -ldflags="${ldflags}" -o "${tmp}/" "${pkgs[@]}"
  ) || die "kubernetes: build of ${KUBERNETES_VERSION} failed"
  local reported
  reported="$("${tmp}/kubectl" version --client)" || die "kubernetes: built kubectl does not run"
  # Matched in a variable, not through `| grep -q`: under pipefail grep's early exit can kill
  # kubectl with SIGPIPE and fail the check at random.
  [[ "${reported}" == *"Client Version: ${KUBERNETES_VERSION}"* ]] || die "kubernetes: kubectl does not report ${KUBERNETES_VERSION} (it says: ${reported})"
  publish "${tmp}" "${k8s_dir}"
  log "kubernetes ${KUBERNETES_VERSION}: built in $(elapsed "${start}")"
}

install_provider_kubernetes() {
  if [[ -x "${pk_dir}/provider" && -d "${pk_dir}/crds" ]]; then log "provider-kubernetes ${PROVIDER_KUBERNETES_VERSION}: cached"; return 0; fi
  local start tmp src
  start=$(date +%s)
  log "provider-kubernetes ${PROVIDER_KUBERNETES_VERSION}: building"
  new_tmp tmp "provider-kubernetes-${PROVIDER_KUBERNETES_VERSION}"
  go_build_tool provider-kubernetes "${tmp}/provider" \
    github.com/crossplane-contrib/provider-kubernetes/cmd/provider "${PROVIDER_KUBERNETES_VERSION}" "${LDFLAGS}"
  # Its CRDs (package/crds) are applied by the suite, as the package manager would.
  src="$(module_dir "github.com/crossplane-contrib/provider-kubernetes@${PROVIDER_KUBERNETES_VERSION}")" || die "provider-kubernetes: download failed"
  [[ -d "${src}/package/crds" ]] || die "provider-kubernetes: no package/crds in ${src}"
  mkdir -p "${tmp}/crds"
  cp "${src}"/package/crds/*.yaml "${tmp}/crds/"
  chmod -R u+w,a+r "${tmp}/crds"
  publish "${tmp}" "${pk_dir}"
  log "provider-kubernetes ${PROVIDER_KUBERNETES_VERSION}: built in $(elapsed "${start}")"
}

install_crossplane_v1() {
  if [[ -x "${xp1_dir}/crossplane-core" && -d "${xp1_dir}/crds" ]]; then log "crossplane core ${CROSSPLANE_V1_VERSION}: cached"; return 0; fi
  local start tmp src
  start=$(date +%s)
  log "crossplane core ${CROSSPLANE_V1_VERSION}: building"
  new_tmp tmp "crossplane-core-${CROSSPLANE_V1_VERSION}"
  go_build_tool crossplane-core-v1 "${tmp}/crossplane-core" \
    github.com/crossplane/crossplane/cmd/crossplane "${CROSSPLANE_V1_VERSION}" \
    "${LDFLAGS} -X=github.com/crossplane/crossplane/internal/version.version=${CROSSPLANE_V1_VERSION}"
  src="$(module_dir "github.com/crossplane/crossplane@${CROSSPLANE_V1_VERSION}")" || die "crossplane ${CROSSPLANE_V1_VERSION}: download failed"
  [[ -d "${src}/cluster/crds" ]] || die "crossplane ${CROSSPLANE_V1_VERSION}: no cluster/crds in ${src}"
  mkdir -p "${tmp}/crds"
  cp "${src}"/cluster/crds/*.yaml "${tmp}/crds/"
  chmod -R u+w,a+r "${tmp}/crds"
  publish "${tmp}" "${xp1_dir}"
  log "crossplane core ${CROSSPLANE_V1_VERSION}: built in $(elapsed "${start}")"
}

install_registry() {
  if [[ -x "${registry_dir}/registry" ]]; then log "registry ${REGISTRY_VERSION}: cached"; return 0; fi
  local start tmp
  start=$(date +%s)
  log "registry ${REGISTRY_VERSION}: building"
  new_tmp tmp "registry-${REGISTRY_VERSION}"
  go_build_tool registry "${tmp}/registry" \
    github.com/distribution/distribution/v3/cmd/registry "${REGISTRY_VERSION}" "${LDFLAGS}"
  publish "${tmp}" "${registry_dir}"
  log "registry ${REGISTRY_VERSION}: built in $(elapsed "${start}")"
}

total_start=$(date +%s)
want etcd && install_etcd
want kubernetes && install_kubernetes
want crossplane-crds && install_crossplane_crds
want provider-kubernetes && install_provider_kubernetes
want crossplane-v1 && install_crossplane_v1
want registry && install_registry

env_file="${cache_dir}/env.sh"
{
  printf '# Generated by scripts/install-e2e-tools.sh; source it: . %s\n' "${env_file}"
  [[ -x "${etcd_dir}/etcd" ]] && printf 'export ETCD_BIN=%q\n' "${etcd_dir}/etcd"
  if [[ -x "${k8s_dir}/kubectl" ]]; then
    printf 'export KUBE_APISERVER_BIN=%q\n' "${k8s_dir}/kube-apiserver"
    printf 'export KUBE_CONTROLLER_MANAGER_BIN=%q\n' "${k8s_dir}/kube-controller-manager"
    printf 'export KUBECTL_BIN=%q\n' "${k8s_dir}/kubectl"
    printf 'export KUBERNETES_VERSION=%q\n' "${KUBERNETES_VERSION}"
  fi
  if [[ -x "${pk_dir}/provider" ]]; then
    printf 'export PROVIDER_KUBERNETES_BIN=%q\n' "${pk_dir}/provider"
    printf 'export PROVIDER_KUBERNETES_CRDS=%q\n' "${pk_dir}/crds"
    printf 'export PROVIDER_KUBERNETES_VERSION=%q\n' "${PROVIDER_KUBERNETES_VERSION}"
  fi
  if [[ -x "${xp1_dir}/crossplane-core" ]]; then
    printf 'export CROSSPLANE_V1_BIN=%q\n' "${xp1_dir}/crossplane-core"
    printf 'export CROSSPLANE_V1_CRDS=%q\n' "${xp1_dir}/crds"
    printf 'export CROSSPLANE_V1_VERSION=%q\n' "${CROSSPLANE_V1_VERSION}"
  fi
  [[ -d "${xp2_crds_dir}" ]] && printf 'export CROSSPLANE_CRDS=%q\n' "${xp2_crds_dir}"
  [[ -x "${registry_dir}/registry" ]] && printf 'export REGISTRY_BIN=%q\n' "${registry_dir}/registry"
  true
} | write_env_file "${env_file}"

log "done in $(elapsed "${total_start}")"
grep '^export ' "${env_file}" || true
