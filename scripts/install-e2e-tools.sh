#!/usr/bin/env bash
# Pinned, idempotent installer for the real control plane the end-to-end suite (npm run e2e)
# runs on. Builds from the Go module proxy with the local Go toolchain and caches, keyed by
# version, under <repo>/.cache/e2e/ (git-ignored):
#   etcd                 etcd                               .cache/e2e/etcd-VERSION/etcd
#   kubernetes           kube-apiserver, kube-controller-manager, kubectl
#                                                           .cache/e2e/kubernetes-VERSION/
#   provider-kubernetes  provider-kubernetes, run out of cluster, and its CRDs
#                                                           .cache/e2e/provider-kubernetes-VERSION/
#   crossplane-v1        Crossplane v1 core (claims) and its CRDs
#                                                           .cache/e2e/crossplane-core-VERSION/
#   registry             distribution registry (the package-manager scenario)
#                                                           .cache/e2e/registry-VERSION/registry
#   crossplane-crds      Crossplane v2 core's own CRDs (cluster/crds of its module), which
#                        'crossplane core init' installs    .cache/e2e/crossplane-crds-VERSION/
# The versions, and why each: scripts/versions.sh.
# Crossplane v2 core and the Gateway API CRDs come from scripts/install-tools.sh.
#
# Usage:
#   scripts/install-e2e-tools.sh            # everything
#   scripts/install-e2e-tools.sh etcd ...   # only the named tools
#   source .cache/e2e/env.sh                # ETCD_BIN, KUBE_APISERVER_BIN, ... (absolute paths)
#
# Binaries, not the Go build cache (GB), are what is cached: ~400 MB.
# shellcheck source=scripts/install-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/install-lib.sh"
PROVIDER_KUBERNETES_VERSION="${PROVIDER_KUBERNETES_E2E_VERSION}"

ALL_TOOLS=(etcd kubernetes crossplane-crds provider-kubernetes crossplane-v1 registry)
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
go_tools_setup e2e

etcd_dir="${cache_dir}/etcd-${ETCD_VERSION}"
k8s_dir="${cache_dir}/kubernetes-${KUBERNETES_VERSION}"
pk_dir="${cache_dir}/provider-kubernetes-${PROVIDER_KUBERNETES_VERSION}"
xp1_dir="${cache_dir}/crossplane-core-${CROSSPLANE_V1_VERSION}"
registry_dir="${cache_dir}/registry-${REGISTRY_VERSION}"
xp2_crds_dir="${cache_dir}/crossplane-crds-${CROSSPLANE_CORE_VERSION}"

install_crossplane_crds() {
  if [[ -d "${xp2_crds_dir}" ]]; then log "crossplane ${CROSSPLANE_CORE_VERSION} CRDs: cached"; return 0; fi
  local tmp src
  new_tmp tmp "crossplane-crds-${CROSSPLANE_CORE_VERSION}"
  src="$(go_module_dir "github.com/crossplane/crossplane/v2@${CROSSPLANE_CORE_VERSION}")"
  [[ -f "${src}/cluster/crds/pkg.crossplane.io_functionrevisions.yaml" ]] || die "crossplane: no cluster/crds in ${src}"
  cp "${src}"/cluster/crds/*.yaml "${tmp}/"
  chmod -R u+w,a+r "${tmp}"
  publish "${tmp}" "${xp2_crds_dir}"
  log "crossplane ${CROSSPLANE_CORE_VERSION} CRDs: copied from ${src}"
}

# etcd's own replace directives are ignored when it is a dependency; its server package is main.
install_etcd() { go_install_tool etcd "${ETCD_VERSION}" "${etcd_dir}" go.etcd.io/etcd/server/v3 "${LDFLAGS}"; }

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

# install_with_crds NAME VERSION DIR BIN PKG LDFLAGS MODULE CRDS: DIR/BIN built from PKG at
# VERSION, and the CRDS folder of MODULE@VERSION copied to DIR/crds (the suite applies them, as
# the package manager would).
install_with_crds() {
  local name="$1" version="$2" dir="$3" bin="$4" pkg="$5" ldflags="$6" module="$7" crds="$8" start tmp src
  if [[ -x "${dir}/${bin}" && -d "${dir}/crds" ]]; then log "${name} ${version}: cached (${dir})"; return 0; fi
  start=$(date +%s)
  log "${name} ${version}: building"
  new_tmp tmp "${name}-${version}"
  go_build_tool "${name}" "${tmp}/${bin}" "${pkg}" "${version}" "${ldflags}"
  src="$(go_module_dir "${module}@${version}")"
  [[ -d "${src}/${crds}" ]] || die "${name}: no ${crds} in ${src}"
  mkdir -p "${tmp}/crds"
  cp "${src}/${crds}"/*.yaml "${tmp}/crds/"
  chmod -R u+w,a+r "${tmp}/crds"
  publish "${tmp}" "${dir}"
  log "${name} ${version}: built in $(elapsed "${start}")"
}

install_provider_kubernetes() {
  install_with_crds provider-kubernetes "${PROVIDER_KUBERNETES_VERSION}" "${pk_dir}" provider \
    github.com/crossplane-contrib/provider-kubernetes/cmd/provider "${LDFLAGS}" \
    github.com/crossplane-contrib/provider-kubernetes package/crds
}

install_crossplane_v1() {
  install_with_crds crossplane-core-v1 "${CROSSPLANE_V1_VERSION}" "${xp1_dir}" crossplane-core \
    github.com/crossplane/crossplane/cmd/crossplane \
    "${LDFLAGS} -X=github.com/crossplane/crossplane/internal/version.version=${CROSSPLANE_V1_VERSION}" \
    github.com/crossplane/crossplane cluster/crds
}

install_registry() {
  go_install_tool registry "${REGISTRY_VERSION}" "${registry_dir}" github.com/distribution/distribution/v3/cmd/registry "${LDFLAGS}"
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
  env_export ETCD_BIN "${etcd_dir}/etcd"
  env_export KUBE_APISERVER_BIN "${k8s_dir}/kube-apiserver" "${k8s_dir}/kubectl"
  env_export KUBE_CONTROLLER_MANAGER_BIN "${k8s_dir}/kube-controller-manager" "${k8s_dir}/kubectl"
  env_export KUBECTL_BIN "${k8s_dir}/kubectl"
  env_export KUBERNETES_VERSION "${KUBERNETES_VERSION}" "${k8s_dir}/kubectl"
  env_export PROVIDER_KUBERNETES_BIN "${pk_dir}/provider"
  env_export PROVIDER_KUBERNETES_CRDS "${pk_dir}/crds" "${pk_dir}/provider"
  env_export PROVIDER_KUBERNETES_VERSION "${PROVIDER_KUBERNETES_VERSION}" "${pk_dir}/provider"
  env_export CROSSPLANE_V1_BIN "${xp1_dir}/crossplane-core"
  env_export CROSSPLANE_V1_CRDS "${xp1_dir}/crds" "${xp1_dir}/crossplane-core"
  env_export CROSSPLANE_V1_VERSION "${CROSSPLANE_V1_VERSION}" "${xp1_dir}/crossplane-core"
  env_export CROSSPLANE_CRDS "${xp2_crds_dir}"
  env_export REGISTRY_BIN "${registry_dir}/registry"
} | write_env_file "${env_file}"

log "done in $(elapsed "${total_start}")"
grep '^export ' "${env_file}" || true
