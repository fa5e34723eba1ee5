#!/usr/bin/env bash
# Smoke test of the built Crossplane package, run the way Crossplane runs a function:
#
#   scripts/smoke-xpkg.sh [XPKG]      default .cache/xpkg/function-plana-tenant.xpkg
#                                     (built with scripts/build-xpkg.sh when missing)
#
# 1. Inspects the package (scripts/smoke-inspect.mjs): one Function metadata object, the Input
#    CRD, the examples, the image config (entrypoint, user 65532, working directory, port 9443,
#    the same as the Dockerfile's), production dependencies only.
# 2. Unpacks the image's filesystem (skopeo: docker-archive -> OCI layout; umoci unpack) and
#    runs the image's entrypoint in it as the image's user, in its working directory, with its
#    environment plus TLS_SERVER_CERTS_DIR=/tls/server, on port 9443: chrooted (unshare
#    --root), the root filesystem read-only, fresh certificates (openssl: a CA, a server
#    certificate for localhost/127.0.0.1, a client certificate) on a tmpfs at /tls/server,
#    /proc, a minimal /dev and a tmpfs /tmp mounted - all inside a private mount namespace,
#    so nothing stays mounted afterwards.
# 3. Calls it (scripts/smoke-client.mjs, @grpc/grpc-js + the SDK): an mTLS RunFunction with
#    PLANA's example XR must return desired `route`, `backup` and one `filestore-*`; a client
#    without a certificate, one with a certificate from another CA and a plaintext client must
#    be refused.
#    Its Prometheus metrics on :8080 must count those calls (grpc_server_handled_total).
# 4. Stops it with SIGTERM and expects exit code 0; its log must be JSON lines.
# Work folder: .cache/smoke/ (the unpacked image is removed when the test passes).
#
# Needs root (chroot, mounts, a private network namespace, so no port needs to be free) and
# `npm ci` done (the client uses the repository's node_modules). Installs skopeo, umoci and
# openssl when missing.

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
self="$repo_root/scripts/$script_name.sh"
start=$(date +%s)

case "${1:-}" in -h|--help) print_help; exit 0 ;; esac
[ "$(id -u)" -eq 0 ] || fail "run as root (chroot and mounts)"

if [ -z "${SMOKE_XPKG_IN_NAMESPACE:-}" ]; then
  ensure_packages skopeo umoci openssl
  pkg="${1:-.cache/xpkg/function-plana-tenant.xpkg}"
  if [ ! -f "$pkg" ]; then
    [ -z "${1:-}" ] || fail "no package $pkg"
    log "no $pkg: running scripts/build-xpkg.sh"
    scripts/build-xpkg.sh
  fi
  # Everything below runs in private mount and network namespaces: its mounts vanish with it,
  # and the function's ports (9443, metrics on 8080 on every interface, as in a pod) are seen
  # by nothing else on the machine.
  # The Node the tests run on (installed, if need be, while the network is still there).
  SMOKE_TESTS_NODE="$("$(scripts/install-node.sh)/node" --version)"
  exec env SMOKE_XPKG_IN_NAMESPACE=1 SMOKE_TESTS_NODE="$SMOKE_TESTS_NODE" unshare --mount --net --propagation private -- "$self" "$pkg"
fi
pkg="$1"
ip link set lo up

work="$PWD/.cache/smoke"
rm -rf "$work"
mkdir -p "$work/xpkg" "$work/certs"

# ---------------------------------------------------------------- 1. inspect
log "package: $pkg ($(du -b "$pkg" | cut -f1) bytes)"
tar -xf "$pkg" -C "$work/xpkg" manifest.json
config_blob="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1]))[0].Config)' "$work/xpkg/manifest.json")"
tar -xf "$pkg" -C "$work/xpkg" "$config_blob"

log "unpacking the image (skopeo copy docker-archive: -> oci:, umoci unpack)"
skopeo copy -q "docker-archive:$pkg" "oci:$work/oci:pkg"
umoci unpack --image "$work/oci:pkg" "$work/bundle" >/dev/null
rootfs="$work/bundle/rootfs"

log "inspecting the package"
node scripts/smoke-inspect.mjs "$work/xpkg" "$rootfs" >"$work/inspect.txt" || {
  grep -v '^config ' "$work/inspect.txt" >&2
  fail "package inspection"
}
grep -v '^config ' "$work/inspect.txt"
config="$(sed -n 's/^config //p' "$work/inspect.txt")"

# The process as the image config describes it.
mapfile -t entry < <(node -e 'const c = JSON.parse(process.argv[1]); for (const a of [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])]) console.log(a)' "$config")
mapfile -t image_env < <(node -e 'for (const e of JSON.parse(process.argv[1]).Env ?? []) console.log(e)' "$config")
user="$(node -e 'console.log(JSON.parse(process.argv[1]).User || "0:0")' "$config")"
workdir="$(node -e 'console.log(JSON.parse(process.argv[1]).WorkingDir || "/")' "$config")"
uid="${user%%:*}"
gid="${user#*:}"
[ "$gid" != "$user" ] || gid="$uid"
[[ "$uid" =~ ^[0-9]+$ && "$gid" =~ ^[0-9]+$ ]] || fail "image user '$user' is not numeric uid:gid"
[ "$uid" -ne 0 ] || fail "the image runs as root"

# ---------------------------------------------------------------- 2. certificates
log "certificates (openssl)"
certs="$work/certs"
(
  cd "$certs"
  q() { "$@" >/dev/null 2>&1 || { echo "openssl failed: $*" >&2; exit 1; }; }
  ca() { # ca NAME CN
    q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
      -subj "/CN=$2" -keyout "$1.key" -out "$1.crt" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  }
  leaf() { # leaf NAME CA CN EXTENSIONS
    q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$3" \
      -keyout "$1.key" -out "$1.csr"
    printf '%s\n' "$4" >"$1.ext"
    q openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 1 \
      -extfile "$1.ext" -out "$1.crt"
  }
  ca ca "smoke CA"
  leaf server ca function-plana-tenant \
    "$(printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' \
      'extendedKeyUsage=serverAuth' 'subjectAltName=DNS:localhost,IP:127.0.0.1')"
  leaf client ca crossplane \
    "$(printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=clientAuth')"
  ca rogue-ca "another CA"
  leaf rogue rogue-ca crossplane \
    "$(printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=clientAuth')"
)

# ---------------------------------------------------------------- 3. the filesystem
# Read-only root; what a pod gets besides: /proc, a minimal /dev, a writable /tmp, and the TLS
# secret (files 0644, root-owned, as a Secret volume's defaults) at /tls/server.
mkdir -p "$rootfs/tls" "$rootfs/proc" "$rootfs/dev" "$rootfs/tmp"
mount --bind "$rootfs" "$rootfs"
mount -o remount,bind,ro "$rootfs"
mount -t proc -o nosuid,nodev,noexec proc "$rootfs/proc"
mount -t tmpfs -o nosuid,mode=0755,size=64k dev "$rootfs/dev"
for n in null zero random urandom; do
  touch "$rootfs/dev/$n"
  mount --bind "/dev/$n" "$rootfs/dev/$n"
done
mount -t tmpfs -o nosuid,nodev,mode=1777,size=16m tmp "$rootfs/tmp"
mount -t tmpfs -o nosuid,nodev,mode=0755,size=1m tls "$rootfs/tls"
mkdir "$rootfs/tls/server"
cp "$certs/server.crt" "$rootfs/tls/server/tls.crt"
cp "$certs/server.key" "$rootfs/tls/server/tls.key"
cp "$certs/ca.crt" "$rootfs/tls/server/ca.crt"
chmod 0644 "$rootfs/tls/server/"*
mount -o remount,ro "$rootfs/tls"

# The image runs the Node the tests ran on (scripts/versions.sh pins it; the Dockerfile's
# default base names the same release).
image_node="$(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  unshare --root="$rootfs" --setgid="$gid" --setuid="$uid" -- node --version 2>&1)" || fail "node --version in the image: $image_node"
tests_node="$SMOKE_TESTS_NODE"
[ "$image_node" = "$tests_node" ] || fail "the image runs node $image_node, the tests $tests_node"
echo "ok   image node $image_node, the same as the tests'"

# ---------------------------------------------------------------- 4. run it
if (exec 3<>/dev/tcp/127.0.0.1/9443) 2>/dev/null; then
  fail "something already listens on 127.0.0.1:9443"
fi
log "starting: ${entry[*]} (user $uid:$gid, cwd $workdir, chroot $rootfs)"
env -i "${image_env[@]}" TLS_SERVER_CERTS_DIR=/tls/server \
  unshare --root="$rootfs" --wd="$workdir" --setgid="$gid" --setuid="$uid" -- "${entry[@]}" \
  >"$work/function.log" 2>&1 &
fn_pid=$!
stopped=0
cleanup() {
  if [ "$stopped" = 0 ] && kill -0 "$fn_pid" 2>/dev/null; then
    kill -KILL "$fn_pid" 2>/dev/null || true
    wait "$fn_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

fail_with_log() {
  log "function log:"
  sed 's/^/    /' "$work/function.log" >&2
  fail "$1"
}

# localhost: the server certificate's DNS name (a TLS server name may not be an IP address).
client=(node scripts/smoke-client.mjs --address=localhost:9443)
mtls=(--ca="$certs/ca.crt" --cert="$certs/client.crt" --key="$certs/client.key")
"${client[@]}" --expect=ok --wait=60 "${mtls[@]}" || fail_with_log "RunFunction over mutual TLS"
"${client[@]}" --expect=refused --ca="$certs/ca.crt" || fail_with_log "a client without a certificate was answered"
"${client[@]}" --expect=refused --ca="$certs/ca.crt" --cert="$certs/rogue.crt" --key="$certs/rogue.key" ||
  fail_with_log "a client with a certificate from another CA was answered"
"${client[@]}" --expect=refused --plaintext || fail_with_log "a plaintext client was answered"
# Still serving after the refusals.
"${client[@]}" --expect=ok --wait=10 "${mtls[@]}" || fail_with_log "RunFunction over mutual TLS after the refused clients"

# Prometheus metrics where a Go function serves them, counting the calls above as go-grpc-middleware does.
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
  fetch("http://127.0.0.1:8080/metrics").then((r) => r.text()).then((t) => {
    const m = /^grpc_server_handled_total\{grpc_code="OK",grpc_method="RunFunction",grpc_service="apiextensions\.fn\.proto\.v1\.FunctionRunnerService",grpc_type="unary"\} (\d+)$/m.exec(t);
    if (!m || Number(m[1]) < 2) { console.error(t.split("\n").filter((l) => l.startsWith("grpc_server_handled_total{grpc_code=\"OK\"")).join("\n")); process.exit(1); }
    console.log(`ok   metrics on :8080: grpc_server_handled_total{grpc_code="OK",...v1...} ${m[1]}`);
  }, (e) => { console.error(String(e)); process.exit(1); });
' || fail_with_log "no Prometheus metrics on :8080 counting the calls"

kill -0 "$fn_pid" 2>/dev/null || fail_with_log "the function exited early"
ps_line="$(ps -o user=,group=,args= -p "$fn_pid" || true)"
echo "ok   running as: ${ps_line}"
[ "$(awk '/^Uid:/{print $2}' "/proc/$fn_pid/status")" = "$uid" ] || fail_with_log "not running as uid $uid"

# ---------------------------------------------------------------- 5. stop it
kill -TERM "$fn_pid"
code=0
wait "$fn_pid" || code=$?
stopped=1
[ "$code" -eq 0 ] || fail_with_log "exit code $code after SIGTERM, want 0"
echo "ok   SIGTERM: exit code 0"
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
  const bad = lines.filter((l) => { try { JSON.parse(l); return false } catch { return true } });
  if (lines.length === 0 || bad.length > 0) { console.error("not JSON:", bad.slice(0, 3).join(" | ")); process.exit(1) }
  console.log(`ok   log: ${lines.length} JSON lines`);
' "$work/function.log" || fail_with_log "the function's log is not JSON lines"

# Passed: drop the unpacked image (its mounts first); keep the log and the certificates.
umount -R "$rootfs"
rm -rf "$work/bundle" "$work/oci"
log "passed in $(elapsed "$start")"
