#!/usr/bin/env bash
# Builds the tenant backup image (images/backup/Dockerfile) without a Docker daemon or a
# registry, the way scripts/build-image.sh builds the function's: buildah (chroot isolation, as
# root) with a local Debian 13 (trixie) base made by mmdebstrap standing in for
# debian:trixie-slim. rclone comes from scripts/install-backup-tools.sh. Writes
#   .cache/backup-image/tenant-backup.tar   docker-archive tarball, named
#                                           git.planapulse.com/plana-pulse/tenant-backup:<tag>
#   .cache/backup-image/rootfs/             the image's root filesystem, which the real-tools
#                                           suite (npm run test:backup) runs the pod's steps in
#   .cache/backup-image/image-env           the image's ENV, one NAME=VALUE a line
#   .cache/backup-image/env.sh              BACKUP_IMAGE, BACKUP_ROOTFS
# Skips the build when no input changed (the Dockerfile, the rclone binary, the base, this
# script). --force builds anyway.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tag the function's Input defaults to (src/input/schema.ts, backup.image).
IMAGE_REF=git.planapulse.com/plana-pulse/tenant-backup:1.0.0-pg17-rclone1.76.0
DEBIAN_SUITE=trixie
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
BASE_PACKAGES=postgresql-client-17,age,ca-certificates
DPKG_FILTERS=(
  'path-exclude=/usr/share/man/*'
  'path-exclude=/usr/share/doc/*'
  'path-include=/usr/share/doc/*/copyright'
  'path-exclude=/usr/share/locale/*'
  'path-exclude=/usr/share/info/*'
)
BASE_RECIPE_VERSION=1
PATH_ENV=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

log() { printf '[build-backup-image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
start=$(date +%s)

[ "$(id -u)" -eq 0 ] || die "run as root (buildah's chroot isolation and mmdebstrap need it)"
# shellcheck source=scripts/ensure-packages.sh
. scripts/ensure-packages.sh
# shellcheck source=scripts/image-lib.sh
. scripts/image-lib.sh
ensure_packages buildah mmdebstrap
bash scripts/install-backup-tools.sh
# shellcheck source=/dev/null
. .cache/tools/backup-env.sh

out=.cache/backup-image
mkdir -p "$out/base"
exec 9>"$out/.lock"
flock 9

buildah_store "$out"

# ---------------------------------------------------------------- base
key="$(printf '%s\n' "$BASE_RECIPE_VERSION" "$DEBIAN_SUITE" "$BASE_PACKAGES" "${DPKG_FILTERS[@]}" | sha256sum | cut -c1-16)"
base_tar="$out/base/backup-$DEBIAN_SUITE-$key.tar"
base_ref="localhost/tenant-backup-base:$DEBIAN_SUITE-$key"
if [ ! -f "$base_tar" ]; then
  log "base: mmdebstrap $DEBIAN_SUITE (minbase + $BASE_PACKAGES)"
  t=$(date +%s)
  debian_base_tar "$base_tar" "$out/base/base.log" minbase "$BASE_PACKAGES"
  log "base: $(du -b "$base_tar" | cut -f1) bytes in $(($(date +%s) - t))s"
fi
if ! "${B[@]}" inspect --type image "$base_ref" >/dev/null 2>&1; then
  ctr="$("${B[@]}" from --pull=never scratch)"
  "${B[@]}" add "$ctr" "$base_tar" / >/dev/null
  "${B[@]}" config --env "PATH=$PATH_ENV" "$ctr"
  "${B[@]}" commit -q "$ctr" "$base_ref" >/dev/null
  "${B[@]}" rm "$ctr" >/dev/null
fi

# ---------------------------------------------------------------- the image
tarball="$out/tenant-backup.tar"
rootfs="$out/rootfs"
stamp="$out/tenant-backup.inputs"
inputs="$(
  {
    printf '%s\n' "$base_ref" "$IMAGE_REF"
    sha256sum images/backup/Dockerfile scripts/build-backup-image.sh "$RCLONE_BIN"
  } | sha256sum | cut -c1-64
)"
write_env() {
  printf 'export BACKUP_IMAGE=%q\nexport BACKUP_ROOTFS=%q\n' "$IMAGE_REF" "$PWD/$rootfs" >"$out/env.sh"
}
if [ "$force" = 0 ] && [ -f "$tarball" ] && [ -f "$out/image-env" ] && [ -x "$rootfs/usr/local/bin/rclone" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$inputs" ]; then
  write_env
  log "up to date: $IMAGE_REF ($tarball, $rootfs)"
  exit 0
fi

context="$(mktemp -d "$out/.context.XXXXXX")"
trap 'rm -rf "$context"' EXIT
cp images/backup/Dockerfile "$context/Dockerfile"
cp "$RCLONE_BIN" "$context/rclone"
log "buildah bud (storage driver $driver): BASE_IMAGE=$base_ref"
t=$(date +%s)
"${B[@]}" bud --isolation=chroot --pull=never --build-arg "BASE_IMAGE=$base_ref" \
  -f "$context/Dockerfile" -t "$IMAGE_REF" "$context" >"$out/build.log" 2>&1 || {
  tail -n 40 "$out/build.log" >&2
  die "buildah bud failed (log: $out/build.log)"
}
log "built in $(($(date +%s) - t))s; writing $tarball and $rootfs"
rm -rf "$tarball.tmp" "$rootfs.tmp"
"${B[@]}" push -q --format v2s2 "$IMAGE_REF" "docker-archive:$PWD/$tarball.tmp:$IMAGE_REF"
# The image's environment (ENV lines), which a container starts with before the pod's own.
"${B[@]}" inspect --type image --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$IMAGE_REF" >"$out/image-env"
# The root filesystem, unpacked from a working container of the image (its layers applied).
ctr="$("${B[@]}" from --pull=never "$IMAGE_REF")"
mnt="$("${B[@]}" mount "$ctr")"
mkdir -p "$rootfs.tmp"
tar -C "$mnt" -cf - . | tar -C "$rootfs.tmp" -xf -
"${B[@]}" umount "$ctr" >/dev/null
"${B[@]}" rm "$ctr" >/dev/null
rm -rf "$rootfs"
mv "$rootfs.tmp" "$rootfs"
mv "$tarball.tmp" "$tarball"
printf '%s\n' "$inputs" >"$stamp"
write_env
log "image $IMAGE_REF: $(du -b "$tarball" | cut -f1) bytes tarball; pg_dump $("$rootfs/usr/lib/postgresql/17/bin/pg_dump" --version 2>/dev/null | awk '{print $3}' || echo '?')"
log "done in $(($(date +%s) - start))s"
