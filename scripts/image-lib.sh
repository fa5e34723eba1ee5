# Sourced by scripts/build-image.sh and scripts/build-backup-image.sh, after they define log and
# die: what both daemonless image builds share.
#
#   buildah_store OUT                  sets driver (overlay where the kernel allows it here, else
#                                      vfs; BUILDAH_STORAGE_DRIVER overrides) and B, the buildah
#                                      command line over a store of that driver in OUT
#   debian_base_tar TAR LOG VARIANT PACKAGES
#                                      a Debian $DEBIAN_SUITE rootfs tarball from mmdebstrap with
#                                      $DPKG_FILTERS, written to TAR atomically (log in LOG)
# shellcheck shell=bash disable=SC2034  # driver and B are for the sourcing script

buildah_store() {
  local out="$1" probe
  driver="${BUILDAH_STORAGE_DRIVER:-}"
  if [ -z "$driver" ]; then
    probe="$(mktemp -d "$out/.overlay-probe.XXXXXX")"
    mkdir -p "$probe"/{lower,upper,work,merged}
    if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" \
      "$probe/merged" 2>/dev/null; then
      umount "$probe/merged"
      driver=overlay
    else
      driver=vfs
    fi
    rm -rf "$probe"
  fi
  B=(buildah --root "$PWD/$out/storage-$driver" --runroot "$PWD/$out/run-$driver" --storage-driver "$driver")
}

debian_base_tar() {
  local tar="$1" logfile="$2" variant="$3" packages="$4" opts=() f
  for f in "${DPKG_FILTERS[@]}"; do opts+=("--dpkgopt=$f"); done
  if ! mmdebstrap --mode=root --format=tar --variant="$variant" --include="$packages" "${opts[@]}" \
    "$DEBIAN_SUITE" "$tar.tmp" "$DEBIAN_MIRROR" >"$logfile" 2>&1; then
    tail -n 30 "$logfile" >&2
    rm -rf "$tar.tmp"
    die "mmdebstrap failed (log: $logfile)"
  fi
  mv "$tar.tmp" "$tar"
}
