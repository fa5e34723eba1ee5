#!/usr/bin/env bash
# Validates the rendered examples offline with the real `crossplane resource validate`
# (the pinned CLI), every scenario of scripts/render.sh that renders objects:
#   - the XR (spec and the status the function writes) against the scenario's XRD;
#   - HTTPRoutes against the pinned Gateway API standard CRDs (install-tools.sh);
#   - provider-kubernetes Objects (output mode Object) against provider-kubernetes's CRDs
#     (Go module github.com/crossplane-contrib/provider-kubernetes at
#     PROVIDER_KUBERNETES_CRDS_VERSION, cached in .cache/validate/), and the manifest each wraps
#     like a directly composed object;
#   - Job and CronJob against the Kubernetes Go types the CLI has built in (typed decoding and
#     unknown fields; the unit tests check them fully with kubernetes-models);
#   - examples/production/ (the DeploymentRuntimeConfig and the Function a PLANA engineer
#     applies) against Crossplane core's own pkg.crossplane.io CRDs (the core module at
#     CROSSPLANE_CORE_VERSION, from the Go module cache), the PodDisruptionBudget
#     like Job and CronJob.
# Fails (exit 1) on any validation error and on any missing schema other than Job/CronJob.
#
#   scripts/validate.sh            validate .cache/rendered/ (renders first when it is empty)
#   scripts/validate.sh --render   run scripts/render.sh first in any case
#
# The rendered XR gets back the spec of its XR file (render.sh does not pass
# --include-full-xr) and render's Result documents are dropped: see scripts/validate-lib.mjs.
# Offline: the extensions are local files, and the Crossplane image folder in the cache
# (.cache/validate/xpkg.crossplane.io/crossplane/crossplane@stable) is created beforehand so
# that the CLI does not try to download Crossplane's own CRDs (no Crossplane kind is validated).
# The versions: scripts/versions.sh.

# shellcheck source=scripts/install-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/install-lib.sh"

render=0
case "${1:-}" in
  "") ;;
  --render) render=1 ;;
  -h|--help) print_help; exit 0 ;;
  *) echo "usage: $0 [--render]" >&2; exit 2 ;;
esac

scripts/install-tools.sh crossplane gateway-api >&2
# shellcheck source=/dev/null
. .cache/tools/env.sh

shopt -s nullglob
rendered=(.cache/rendered/*.yaml)
if [ "$render" = 1 ] || [ ${#rendered[@]} -eq 0 ]; then
  [ -f dist/function.mjs ] || npm run build >&2
  log "rendering the examples (scripts/render.sh)"
  bash scripts/render.sh >/dev/null
  rendered=(.cache/rendered/*.yaml)
fi

cache_dir="$PWD/.cache/validate"
# One run at a time (the reports folder is shared); CRDs fetched into staging folders first.
# Go is needed only to fetch CRDs the cache does not hold yet.
installer_setup validate
mkdir -p "$cache_dir/xpkg.crossplane.io/crossplane/crossplane@stable"

# module_crds VAR NAME MODULE VERSION SUBDIR FILE...: sets VAR to .cache/validate/NAME-VERSION/crds,
# which holds those CRD files of MODULE@VERSION's SUBDIR, copied from the Go module cache once.
module_crds() {
  local var="$1" name="$2" module="$3" version="$4" subdir="$5" dir tmp src f
  shift 5
  dir="$cache_dir/$name-$version"
  printf -v "$var" '%s' "$dir/crds"
  [ -f "$dir/crds/$1" ] && return 0
  log "fetching $name $version CRDs (Go module proxy)"
  new_tmp tmp "$name-$version"
  src="$(go_module_dir "$module@$version")" || exit 1
  mkdir -p "$tmp/crds"
  for f in "$@"; do cp "$src/$subdir/$f" "$tmp/crds/"; done
  chmod -R u+w,a+r "$tmp/crds"
  publish "$tmp" "$dir"
}

pk_crds="" xp_crds="" # set by module_crds
# provider-kubernetes's Object CRDs (kubernetes.crossplane.io/v1alpha2 and
# kubernetes.m.crossplane.io/v1alpha1); why this version: scripts/versions.sh.
module_crds pk_crds provider-kubernetes github.com/crossplane-contrib/provider-kubernetes \
  "$PROVIDER_KUBERNETES_CRDS_VERSION" package/crds \
  kubernetes.crossplane.io_objects.yaml kubernetes.m.crossplane.io_objects.yaml
# Crossplane core's package CRDs (DeploymentRuntimeConfig, Function).
module_crds xp_crds crossplane github.com/crossplane/crossplane/v2 "$CROSSPLANE_CORE_VERSION" cluster/crds \
  pkg.crossplane.io_deploymentruntimeconfigs.yaml pkg.crossplane.io_functions.yaml

work="$cache_dir/resources"
rm -rf "$work"
mkdir -p "$work"
node scripts/validate-lib.mjs prepare "$work" >"$work/scenarios"

# check NAME EXTENSIONS FILE [KIND...]: crossplane resource validate of FILE against
# EXTENSIONS, its JSON report checked by validate-lib.mjs (KINDs: see there); failed=1 if not.
check() {
  local name="$1" extensions="$2" file="$3" code=0
  shift 3
  "$CROSSPLANE_BIN" resource validate "$extensions" "$file" --cache-dir="$cache_dir" -o json \
    >"$work/${name}.json" 2>"$work/${name}.stderr" || code=$?
  if ! node scripts/validate-lib.mjs check "$name" "$@" <"$work/${name}.json"; then
    failed=1
  elif [ "$code" -ne 0 ]; then
    echo "FAIL ${name}: crossplane resource validate exited ${code}" >&2
    failed=1
  else
    return 0
  fi
  if [ -s "$work/${name}.stderr" ]; then cat "$work/${name}.stderr" >&2; fi
}

failed=0
count=0
while read -r name file xrd; do
  count=$((count + 1))
  echo "== ${name} (${file#"$PWD/"} against ${xrd})"
  # The scenario's XRD, the Gateway API CRDs, provider-kubernetes's Object CRDs and the
  # function's Input CRD (not among the rendered objects; loaded for completeness).
  check "$name" "${xrd},${GATEWAY_API_CRDS},${pk_crds},package/input" "$file"
done <"$work/scenarios"

# The production deployment example.
echo "== production (examples/production/ against Crossplane ${CROSSPLANE_CORE_VERSION}'s package CRDs)"
check production "$xp_crds" examples/production DeploymentRuntimeConfig Function PodDisruptionBudget

if [ "$count" -eq 0 ]; then
  fail "no rendered scenario to validate in .cache/rendered/"
fi
if [ "$failed" -ne 0 ]; then
  echo "validation FAILED (reports in ${work#"$PWD/"}/)" >&2
  exit 1
fi
echo "ok: ${count} rendered scenarios and examples/production validated"
