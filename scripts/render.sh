#!/usr/bin/env bash
# Renders every example scenario through the real `crossplane render` (CLI v2.5.0 with the
# v2.3.4 core binary, no Docker) against this function, started locally with --insecure.
#
#   scripts/render.sh            print each scenario's output
#   scripts/render.sh --check    compare each output with its golden file examples/rendered/*.yaml
#   scripts/render.sh --update   rewrite the golden files (review the diff before committing)
#
# Expects `npm run build` to have run (npm run render does both). The function runs with a
# fixed clock (--fixed-time) so that backup health, and so the goldens, do not depend on today.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=print
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  --update) mode=update ;;
  *) echo "usage: $0 [--check|--update]" >&2; exit 2 ;;
esac

scripts/install-tools.sh crossplane core >&2
# shellcheck source=/dev/null
. .cache/tools/env.sh

# The instant the examples' observed state describes (examples/observed/*/backup.yaml).
FIXED_TIME=2026-11-22T10:00:00Z
log=.cache/render-function.log
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
node dist/src/main.js --insecure --address="127.0.0.1:${port}" --fixed-time="${FIXED_TIME}" >"$log" 2>&1 &
fn_pid=$!
trap 'kill "$fn_pid" 2>/dev/null || true; wait "$fn_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then break; fi
  if ! kill -0 "$fn_pid" 2>/dev/null; then echo "the function did not start:" >&2; cat "$log" >&2; exit 1; fi
  sleep 0.1
done

# name | XR | observed-state folder ("-" for none) | expected exit code
scenarios=(
  "acme|examples/xr.yaml|-|0"
  "acme-ready|examples/xr.yaml|examples/observed/ready|0"
  "acme-degraded|examples/xr.yaml|examples/observed/degraded|0"
  "boreal-v19-alias|examples/xr-v19-alias.yaml|-|0"
  "zora-enterprise|examples/xr-enterprise.yaml|-|0"
  # crank v2.2 exits 3 on a Fatal result; the v2.5 CLI driving the core binary exits 1 and
  # prints the Fatal's message, which the golden file holds.
  "invalid|examples/xr-invalid.yaml|-|1"
)

failed=0
mkdir -p examples/rendered .cache/rendered
for s in "${scenarios[@]}"; do
  IFS='|' read -r name xr observed want <<<"$s"
  args=("$xr" examples/composition.yaml examples/functions.yaml
    "--crossplane-binary=${CROSSPLANE_CORE_BIN}" --xrd=examples/xrd.yaml -r --timeout=30s
    -a "render.crossplane.io/runtime-development-target=127.0.0.1:${port}")
  [ "$observed" != "-" ] && args+=(-o "$observed")
  out=.cache/rendered/${name}.yaml
  set +e
  "$CROSSPLANE_BIN" render "${args[@]}" 2>.cache/rendered/${name}.stderr | node scripts/normalize-render.mjs >"$out"
  code=${PIPESTATUS[0]}
  set -e
  # A rejected XR has no output on stdout; its golden is the error crossplane prints.
  [ "$code" -ne 0 ] && sed -e 's/^/# /' .cache/rendered/${name}.stderr >>"$out"
  if [ "$code" -ne "$want" ]; then
    echo "FAIL ${name}: crossplane render exited ${code}, want ${want}" >&2
    cat .cache/rendered/${name}.stderr >&2
    failed=1
    continue
  fi
  case "$mode" in
    print)
      printf '### %s: crossplane render %s (exit %s)\n' "$name" "$xr${observed/#-/}" "$code"
      [ "$observed" != "-" ] && printf '### observed state: %s\n' "$observed"
      cat "$out"
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
exit "$failed"
