#!/usr/bin/env bash
# Renders every example scenario through the real `crossplane render` (the pinned CLI with the
# pinned core binary, scripts/versions.sh; no Docker) against this function, started locally
# with --insecure.
#
#   scripts/render.sh [NAME...]       a summary per scenario (XR conditions, composed objects,
#                                     warnings, the Fatal) that fits on a screen; the full
#                                     output of each in .cache/rendered/NAME.yaml
#   scripts/render.sh --raw [NAME...] the full YAML streams instead of the summaries
#   scripts/render.sh --all [NAME...] also the Crossplane v1 scenarios (builds crank once)
#   scripts/render.sh --check         every scenario against its golden examples/rendered/*.yaml
#   scripts/render.sh --update        rewrite the golden files (review the diff before committing)
#
# Printing renders the Crossplane v2 scenarios by default, so a first run builds only the v2
# CLI and the core binary, not crank; --check and --update (CI) always render every scenario.
# Expects `npm run build` to have run (npm run render does both). The function runs with a
# fixed clock (--fixed-time) so that backup health, and so the goldens, do not depend on today.

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode=print
raw=0
all=0
only=()
for arg in "$@"; do
  case "$arg" in
    --check) mode=check all=1 ;;
    --update) mode=update all=1 ;;
    --raw) raw=1 ;;
    --all) all=1 ;;
    -h|--help) print_help; exit 0 ;;
    -*) echo "usage: $0 [--raw] [--all] [NAME...] | --check | --update" >&2; exit 2 ;;
    *) only+=("$arg") ;;
  esac
done
if [ "$mode" != print ] && { [ "$raw" = 1 ] || [ ${#only[@]} -gt 0 ]; }; then
  echo "$0: --check and --update take every scenario and print no YAML" >&2
  exit 2
fi

# name | CLI (v2: the crossplane CLI + core; v1: crank) | XRD | XR | Composition |
# observed-state folder ("-" for none) | required resources, what the cluster already holds
# ("-" for none) | expected exit code
scenarios=(
  "acme|v2|examples/xrd.yaml|examples/xr.yaml|examples/composition.yaml|-|-|0"
  "acme-ready|v2|examples/xrd.yaml|examples/xr.yaml|examples/composition.yaml|examples/observed/ready|-|0"
  "acme-degraded|v2|examples/xrd.yaml|examples/xr.yaml|examples/composition.yaml|examples/observed/degraded|-|0"
  # The major upgrade 18 -> 19 from the observed v18 state: the route moves to plana-odoo-19.
  "acme-upgrade-v19|v2|examples/xrd.yaml|examples/xr-upgrade-v19.yaml|examples/composition.yaml|examples/observed/ready|-|0"
  # A hand-made HTTPRoute already holds acme's name: ResourceConflict, nothing composed.
  "acme-takeover-refused|v2|examples/xrd.yaml|examples/xr.yaml|examples/composition.yaml|-|examples/required/foreign-route.yaml|1"
  "boreal-v19-alias|v2|examples/xrd.yaml|examples/xr-v19-alias.yaml|examples/composition.yaml|-|-|0"
  "zora-enterprise|v2|examples/xrd.yaml|examples/xr-enterprise.yaml|examples/composition.yaml|-|-|0"
  # crank v2.2 exits 3 on a Fatal result; the v2.5 CLI driving the core binary exits 1 and
  # prints the Fatal's message, which the golden file holds.
  "invalid|v2|examples/xrd.yaml|examples/xr-invalid.yaml|examples/composition.yaml|-|-|1"
  "namespaced|v2|examples/namespaced/xrd.yaml|examples/namespaced/xr.yaml|examples/composition.yaml|-|-|0"
  "namespaced-ready|v2|examples/namespaced/xrd.yaml|examples/namespaced/xr.yaml|examples/composition.yaml|examples/namespaced/observed|-|0"
  "v1|v1|examples/v1/xrd.yaml|examples/v1/xr.yaml|examples/v1/composition.yaml|-|-|0"
  "v1-ready|v1|examples/v1/xrd.yaml|examples/v1/xr.yaml|examples/v1/composition.yaml|examples/v1/observed|-|0"
  # The composite a claim sales/acme makes: a generated name, the claim's name in a label.
  "v1-claim|v1|examples/v1/xrd.yaml|examples/v1/xr-claim.yaml|examples/v1/composition.yaml|-|-|0"
)

# The scenarios this run renders, and the tools they need.
selected=()
skipped_v1=()
for s in "${scenarios[@]}"; do
  IFS='|' read -r name cli _ <<<"$s"
  if [ ${#only[@]} -gt 0 ]; then
    for o in "${only[@]}"; do [ "$o" = "$name" ] && selected+=("$s"); done
  elif [ "$cli" = v2 ] || [ "$all" = 1 ]; then
    selected+=("$s")
  else
    skipped_v1+=("$name")
  fi
done
for o in "${only[@]+"${only[@]}"}"; do
  printf '%s\n' "${scenarios[@]}" | grep -q "^${o}|" || {
    echo "$0: no scenario '$o'; the scenarios: $(printf '%s\n' "${scenarios[@]}" | cut -d'|' -f1 | tr '\n' ' ')" >&2
    exit 2
  }
done
tools=()
printf '%s\n' "${selected[@]}" | grep -q '^[^|]*|v2|' && tools+=(crossplane core)
printf '%s\n' "${selected[@]}" | grep -q '^[^|]*|v1|' && tools+=(crank)
scripts/install-tools.sh --quiet "${tools[@]}" >&2
# shellcheck source=/dev/null
. .cache/tools/env.sh

# The instant the examples' observed state describes (examples/observed/*/backup.yaml).
FIXED_TIME=2026-11-22T10:00:00Z
log=.cache/render-function.log
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
node dist/function.mjs --insecure --address="127.0.0.1:${port}" --fixed-time="${FIXED_TIME}" >"$log" 2>&1 &
fn_pid=$!
trap 'kill "$fn_pid" 2>/dev/null || true; wait "$fn_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then break; fi
  if ! kill -0 "$fn_pid" 2>/dev/null; then echo "the function did not start:" >&2; cat "$log" >&2; exit 1; fi
  sleep 0.1
done

failed=0
mkdir -p examples/rendered .cache/rendered
# The Function, pointed at the port the function listens on (crank has no -a flag).
sed -e "s|runtime-development-target: .*|runtime-development-target: 127.0.0.1:${port}|" examples/functions.yaml >.cache/rendered/functions.yaml
for s in "${selected[@]}"; do
  IFS='|' read -r name cli xrd xr composition observed required want <<<"$s"
  if [ "$cli" = v2 ]; then
    cmd=("$CROSSPLANE_BIN" render "$xr" "$composition" .cache/rendered/functions.yaml
      "--crossplane-binary=${CROSSPLANE_CORE_BIN}" "--xrd=${xrd}" -r --timeout=30s)
  else
    cmd=("$CRANK_BIN" render "$xr" "$composition" .cache/rendered/functions.yaml -r --timeout=30s)
  fi
  [ "$observed" != "-" ] && cmd+=(-o "$observed")
  [ "$required" != "-" ] && cmd+=(-e "$required")
  out=.cache/rendered/${name}.yaml
  set +e
  "${cmd[@]}" 2>".cache/rendered/${name}.stderr" | node scripts/normalize-render.mjs >"$out"
  code=${PIPESTATUS[0]}
  set -e
  # A rejected XR has no output on stdout; its golden is the error crossplane prints.
  [ "$code" -ne 0 ] && sed -e 's/^/# /' ".cache/rendered/${name}.stderr" >>"$out"
  if [ "$code" -ne "$want" ]; then
    echo "FAIL ${name}: ${cli} render exited ${code}, want ${want}" >&2
    cat ".cache/rendered/${name}.stderr" >&2
    failed=1
    continue
  fi
  case "$mode" in
    print)
      if [ "$raw" = 1 ]; then
        printf '### %s (%s CLI): %s with %s (exit %s)\n' "$name" "$cli" "$xr" "$composition" "$code"
        [ "$observed" != "-" ] && printf '### observed state: %s\n' "$observed"
        cat "$out"
      else
        if [ "$cli" = v2 ]; then
          label="$(basename "$(dirname "$CROSSPLANE_BIN")") + $(basename "$(dirname "$CROSSPLANE_CORE_BIN")")"
        else
          label="$(basename "$(dirname "$CRANK_BIN")")"
        fi
        node scripts/render-summary.mjs "$name" "$label" "$xr" "$observed" "$code" "$out" ".cache/rendered/${name}.stderr"
        echo
      fi
      ;;
    update)
      cp "$out" "examples/rendered/${name}.yaml"
      echo "wrote examples/rendered/${name}.yaml"
      ;;
    check)
      if diff -u "examples/rendered/${name}.yaml" "$out" >&2; then
        echo "ok   ${name}"
      else
        echo "FAIL ${name}: output differs from examples/rendered/${name}.yaml (scripts/render.sh --update regenerates it)" >&2
        failed=1
      fi
      ;;
  esac
done
if [ "$mode" = print ] && [ "$raw" = 0 ]; then
  echo "Full outputs: .cache/rendered/*.yaml. The raw YAML streams: npm run render -- --raw"
  [ ${#skipped_v1[@]} -eq 0 ] ||
    echo "Not rendered: ${skipped_v1[*]} (Crossplane v1, crank): npm run render -- --all (builds crank once)"
fi
exit "$failed"
