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
# script, scripts/image-lib.sh). --force builds anyway.

# shellcheck source=scripts/image-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/image-lib.sh"

force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

# BACKUP_IMAGE (scripts/versions.sh): the tag the function's Input defaults to.
IMAGE_REF="$BACKUP_IMAGE"
BASE_PACKAGES="postgresql-client-${BACKUP_PG_MAJOR},age,ca-certificates"
start=$(date +%s)

image_setup .cache/backup-image
bash scripts/install-backup-tools.sh
# shellcheck source=/dev/null
. .cache/tools/backup-env.sh

# ---------------------------------------------------------------- base
debian_base backup minbase "$BASE_PACKAGES"
base_ref="localhost/tenant-backup-base:$DEBIAN_SUITE-$base_key"
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
    sha256sum images/backup/Dockerfile scripts/build-backup-image.sh scripts/image-lib.sh "$RCLONE_BIN"
  } | sha256sum | cut -c1-64
)"
write_env() {
  printf 'export BACKUP_IMAGE=%q\nexport BACKUP_ROOTFS=%q\n' "$IMAGE_REF" "$PWD/$rootfs" >"$out/env.sh"
}
if [ "$force" = 0 ] && [ -f "$tarball" ] && [ -f "$out/image-env" ] && [ -x "$rootfs/usr/local/bin/rclone" ] && up_to_date "$stamp" "$inputs"; then
  write_env
  log "up to date: $IMAGE_REF ($tarball, $rootfs)"
  exit 0
fi

context="$(mktemp -d "$out/.context.XXXXXX")"
trap 'rm -rf "$context"' EXIT
cp images/backup/Dockerfile "$context/Dockerfile"
cp "$RCLONE_BIN" "$context/rclone"
log "BASE_IMAGE=$base_ref"
image_bud --build-arg "BASE_IMAGE=$base_ref" -f "$context/Dockerfile" -t "$IMAGE_REF" "$context"
log "writing $tarball and $rootfs"
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
log "image $IMAGE_REF: $(du -b "$tarball" | cut -f1) bytes tarball; pg_dump $("$rootfs/usr/lib/postgresql/$BACKUP_PG_MAJOR/bin/pg_dump" --version 2>/dev/null | awk '{print $3}' || echo '?')"
log "done in $(elapsed "$start")"
