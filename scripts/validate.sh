#!/usr/bin/env bash
# Validates the rendered examples offline with the real `crossplane resource validate`
# (CLI v2.5.0), every scenario of scripts/render.sh that renders objects:
#   - the XR (spec and the status the function writes) against the scenario's XRD;
#   - HTTPRoutes against the pinned Gateway API standard CRDs (install-tools.sh, v1.4.0);
#   - provider-kubernetes Objects (output mode Object) against provider-kubernetes's CRDs
#     (Go module github.com/crossplane-contrib/provider-kubernetes, pinned below, cached in
#     .cache/validate/), and the manifest each wraps like a directly composed object;
#   - Job and CronJob against the Kubernetes Go types the CLI has built in (typed decoding and
#     unknown fields; the unit tests check them fully with kubernetes-models);
#   - examples/production/ (the DeploymentRuntimeConfig and the Function a PLANA engineer
#     applies) against Crossplane core's own pkg.crossplane.io CRDs (the core module, pinned as
#     scripts/install-tools.sh pins the core, from the Go module cache), the PodDisruptionBudget
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
set -euo pipefail
cd "$(dirname "$0")/.."

render=0
case "${1:-}" in
  "") ;;
  --render) render=1 ;;
  -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  *) echo "usage: $0 [--render]" >&2; exit 2 ;;
esac

scripts/install-tools.sh crossplane gateway-api >&2
# shellcheck source=/dev/null
. .cache/tools/env.sh

shopt -s nullglob
rendered=(.cache/rendered/*.yaml)
if [ "$render" = 1 ] || [ ${#rendered[@]} -eq 0 ]; then
  [ -f dist/function.mjs ] || npm run build >&2
  echo "[validate] rendering the examples (scripts/render.sh)" >&2
  bash scripts/render.sh >/dev/null
  rendered=(.cache/rendered/*.yaml)
fi

cache="$PWD/.cache/validate"
mkdir -p "$cache/xpkg.crossplane.io/crossplane/crossplane@stable"

# provider-kubernetes's CRDs (Object: kubernetes.crossplane.io/v1alpha2 and
# kubernetes.m.crossplane.io/v1alpha1), from its Go module, cached by version. v1.3.1: the
# newest whose go.mod the local Go toolchain accepts (v1.4.x asks for Go 1.27.1).
PROVIDER_KUBERNETES_VERSION=v1.3.1
pk_crds="$cache/provider-kubernetes-${PROVIDER_KUBERNETES_VERSION}/crds"
if [ ! -f "$pk_crds/kubernetes.crossplane.io_objects.yaml" ]; then
  echo "[validate] fetching provider-kubernetes ${PROVIDER_KUBERNETES_VERSION} CRDs (Go module proxy)" >&2
  tmp="$(mktemp -d)"
  json="$(cd "$tmp" && GOTOOLCHAIN=local GOWORK=off GOFLAGS='' go mod download -json \
    "github.com/crossplane-contrib/provider-kubernetes@${PROVIDER_KUBERNETES_VERSION}")" || {
    printf '%s\n' "$json" >&2
    rm -rf "$tmp"
    echo "FAIL: could not download provider-kubernetes ${PROVIDER_KUBERNETES_VERSION}" >&2
    exit 1
  }
  src="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  mkdir -p "$tmp/crds"
  cp "$src"/package/crds/kubernetes.crossplane.io_objects.yaml \
    "$src"/package/crds/kubernetes.m.crossplane.io_objects.yaml "$tmp/crds/"
  chmod -R u+w,a+r "$tmp/crds"
  mkdir -p "$(dirname "$pk_crds")"
  rm -rf "$pk_crds"
  mv "$tmp/crds" "$pk_crds"
  rm -rf "$tmp"
fi

# Crossplane core's package CRDs (DeploymentRuntimeConfig, Function), from the core's Go module.
CROSSPLANE_CORE_VERSION=v2.3.4
xp_crds="$cache/crossplane-${CROSSPLANE_CORE_VERSION}/crds"
if [ ! -f "$xp_crds/pkg.crossplane.io_deploymentruntimeconfigs.yaml" ]; then
  echo "[validate] fetching Crossplane ${CROSSPLANE_CORE_VERSION} package CRDs (Go module proxy)" >&2
  tmp="$(mktemp -d)"
  json="$(cd "$tmp" && GOTOOLCHAIN=local GOWORK=off GOFLAGS='' go mod download -json \
    "github.com/crossplane/crossplane/v2@${CROSSPLANE_CORE_VERSION}")" || {
    printf '%s\n' "$json" >&2
    rm -rf "$tmp"
    echo "FAIL: could not download github.com/crossplane/crossplane/v2@${CROSSPLANE_CORE_VERSION}" >&2
    exit 1
  }
  src="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  mkdir -p "$tmp/crds"
  cp "$src"/cluster/crds/pkg.crossplane.io_deploymentruntimeconfigs.yaml \
    "$src"/cluster/crds/pkg.crossplane.io_functions.yaml "$tmp/crds/"
  chmod -R u+w,a+r "$tmp/crds"
  mkdir -p "$(dirname "$xp_crds")"
  rm -rf "$xp_crds"
  mv "$tmp/crds" "$xp_crds"
  rm -rf "$tmp"
fi

work="$cache/resources"
rm -rf "$work"
mkdir -p "$work"
node scripts/validate-lib.mjs prepare "$work" >"$work/scenarios"

failed=0
count=0
while read -r name file xrd; do
  count=$((count + 1))
  echo "== ${name} (${file#"$PWD/"} against ${xrd})"
  # The scenario's XRD, the Gateway API CRDs, provider-kubernetes's Object CRDs and the
  # function's Input CRD (not among the rendered objects; loaded for completeness).
  extensions="${xrd},${GATEWAY_API_CRDS},${pk_crds},package/input"
  set +e
  "$CROSSPLANE_BIN" resource validate "$extensions" "$file" --cache-dir="$cache" -o json \
    >"$work/${name}.json" 2>"$work/${name}.stderr"
  code=$?
  set -e
  if ! node scripts/validate-lib.mjs check "$name" <"$work/${name}.json"; then
    failed=1
  elif [ "$code" -ne 0 ]; then
    echo "FAIL ${name}: crossplane resource validate exited ${code}" >&2
    failed=1
  fi
  if [ "$failed" = 1 ] && [ -s "$work/${name}.stderr" ]; then cat "$work/${name}.stderr" >&2; fi
done <"$work/scenarios"

# The production deployment example.
echo "== production (examples/production/ against Crossplane ${CROSSPLANE_CORE_VERSION}'s package CRDs)"
set +e
"$CROSSPLANE_BIN" resource validate "$xp_crds" examples/production --cache-dir="$cache" -o json \
  >"$work/production.json" 2>"$work/production.stderr"
code=$?
set -e
if ! node scripts/validate-lib.mjs check production DeploymentRuntimeConfig Function PodDisruptionBudget <"$work/production.json"; then
  failed=1
  cat "$work/production.stderr" >&2
elif [ "$code" -ne 0 ]; then
  echo "FAIL production: crossplane resource validate exited ${code}" >&2
  cat "$work/production.stderr" >&2
  failed=1
fi

if [ "$count" -eq 0 ]; then
  echo "FAIL: no rendered scenario to validate in .cache/rendered/" >&2
  exit 1
fi
if [ "$failed" -ne 0 ]; then
  echo "validation FAILED (reports in ${work#"$PWD/"}/)" >&2
  exit 1
fi
echo "ok: ${count} rendered scenarios and examples/production validated"
