# shellcheck shell=bash
# Sourced by scripts/build-image.sh and scripts/build-backup-image.sh: what both daemonless image
# builds share (buildah with chroot isolation, as root; Debian bases made by mmdebstrap). Builds
# on scripts/lib.sh (log, die, ensure_packages, DEBIAN_SUITE from scripts/versions.sh).
#
#   image_setup OUT          as root, with buildah and mmdebstrap installed, one build at a time
#                            in OUT (a second one waits, then finds the image up to date); sets
#                            out, driver (overlay where the kernel allows it here, else vfs;
#                            BUILDAH_STORAGE_DRIVER overrides) and B, the buildah command line
#                            over a store of that driver in OUT
#   debian_base NAME VARIANT PACKAGES
#                            sets base_key and base_tar: a Debian $DEBIAN_SUITE rootfs tarball in
#                            OUT/base/, keyed by a hash of its recipe, made by mmdebstrap when
#                            missing (log in OUT/base/NAME.log)
#   up_to_date STAMP INPUTS  true when STAMP holds INPUTS (the hash of every input of the image)
#   image_bud ARG...         buildah bud (chroot, no pull) with ARGs, its log in OUT/build.log,
#                            shown on failure
# shellcheck disable=SC2034  # out, driver, B, base_key, base_tar, PATH_ENV are for the sourcing script

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# No docs, man pages or locales in either image (the copyright files stay).
DPKG_FILTERS=(
  'path-exclude=/usr/share/man/*'
  'path-exclude=/usr/share/doc/*'
  'path-include=/usr/share/doc/*/copyright'
  'path-exclude=/usr/share/locale/*'
  'path-exclude=/usr/share/info/*'
)
BASE_RECIPE_VERSION=1 # bump when the recipe changes in a way the fields above do not show
PATH_ENV=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

image_setup() {
  out="$1"
  [[ "$(id -u)" -eq 0 ]] || die "run as root (buildah's chroot isolation and mmdebstrap need it)"
  ensure_packages buildah mmdebstrap
  mkdir -p "$out/base"
  exec 9>"$out/.lock"
  flock 9
  buildah_store
}

buildah_store() {
  local probe
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

debian_base() {
  local name="$1" variant="$2" packages="$3" logfile="$out/base/$1.log" opts=() f t
  base_key="$(printf '%s\n' "$BASE_RECIPE_VERSION" "$DEBIAN_SUITE" "$variant" "$packages" \
    "${DPKG_FILTERS[@]}" | sha256sum | cut -c1-16)"
  base_tar="$out/base/$DEBIAN_SUITE-$base_key.tar" # bases with the same recipe share it
  [[ ! -f "$base_tar" ]] || return 0
  log "base $name: mmdebstrap $DEBIAN_SUITE ($variant + $packages), about 2 minutes"
  t=$(date +%s)
  for f in "${DPKG_FILTERS[@]}"; do opts+=("--dpkgopt=$f"); done
  if ! mmdebstrap --mode=root --format=tar --variant="$variant" --include="$packages" "${opts[@]}" \
    "$DEBIAN_SUITE" "$base_tar.tmp" "$DEBIAN_MIRROR" >"$logfile" 2>&1; then
    tail -n 30 "$logfile" >&2
    rm -rf "$base_tar.tmp"
    die "mmdebstrap failed (log: $logfile)"
  fi
  mv "$base_tar.tmp" "$base_tar"
  log "base $name: $(du -b "$base_tar" | cut -f1) bytes in $(elapsed "$t")"
}

up_to_date() { [[ "$(cat "$1" 2>/dev/null)" == "$2" ]]; }

image_bud() {
  local t
  t=$(date +%s)
  log "buildah bud (storage driver $driver)"
  "${B[@]}" bud --isolation=chroot --pull=never "$@" >"$out/build.log" 2>&1 || {
    # npm's EBADENGINE warnings (a dependency's engines range) would bury the error.
    grep -v EBADENGINE "$out/build.log" | tail -n 40 >&2
    die "buildah bud failed (log: $out/build.log)"
  }
  log "built in $(elapsed "$t")"
}
