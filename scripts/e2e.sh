#!/usr/bin/env bash
# The end-to-end suite (npm run e2e): the examples reconciled by a real control plane.
#
#   scripts/e2e.sh [VITEST ARGS...]     e.g. scripts/e2e.sh test/e2e/1-direct.e2e.ts
#
# 1. Installs (or reuses, cached by version under .cache/) Crossplane v2 core and the
#    Gateway API CRDs (scripts/install-tools.sh), etcd, kube-apiserver, kube-controller-manager,
#    kubectl, provider-kubernetes, Crossplane v1 core and a registry (scripts/install-e2e-tools.sh).
# 2. Builds the function bundle (dist/function.mjs), unless E2E_SKIP_BUILD=1.
# 3. Runs vitest over test/e2e/ inside private network, PID and mount namespaces: every server
#    listens on a loopback no other process can reach, ports never clash with anything else on
#    the machine, and when the run ends, however it ends, the kernel kills every process in it
#    (--kill-child ends the namespace's first process; the rest die with it). Within the run,
#    each scenario stops its own processes by PID.
# E2E_KEEP=1 keeps each control plane's folder (logs, kubeconfigs) for a look afterwards.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SECONDS=0

[[ $(id -u) -eq 0 ]] || die "needs root for unshare --net --pid (private namespaces)"
command -v openssl >/dev/null || die "openssl is missing (apt-get install openssl)"
command -v ip >/dev/null || die "ip is missing (apt-get install iproute2)"

scripts/install-tools.sh crossplane core gateway-api
scripts/install-e2e-tools.sh etcd kubernetes crossplane-crds provider-kubernetes crossplane-v1 registry
# shellcheck source=/dev/null
. .cache/tools/env.sh
# shellcheck source=/dev/null
. .cache/e2e/env.sh
log "tools ready after ${SECONDS}s"

if [[ "${E2E_SKIP_BUILD:-}" != 1 ]]; then npm run build >/dev/null; fi
# Scenario 5 installs the package itself; CI has built it by now (scripts/build-xpkg.sh).
if [[ ! -f .cache/xpkg/function-plana-tenant.xpkg ]]; then bash scripts/build-xpkg.sh; fi

mkdir -p .cache/e2e/runs
export E2E_RUN_DIR="${PWD}/.cache/e2e/runs"
t=$SECONDS
set +e
unshare --net --pid --mount --fork --kill-child --mount-proc -- \
  bash -c 'ip link set lo up && node_modules/.bin/vitest run --config vitest.e2e.config.ts "$@"; exit $?' e2e "$@"
rc=$?
set -e
log "suite took $((SECONDS - t))s (total ${SECONDS}s), exit ${rc}"
exit "${rc}"
