#!/usr/bin/env bash
# Builds the function's runtime image from the Dockerfile, without a Docker daemon or a
# registry: buildah (chroot isolation, as root) builds the Dockerfile with local Debian 13
# (trixie) bases made by mmdebstrap, plus the project's pinned Node 24 (scripts/install-node.sh:
# the very binary the tests run on), standing in for docker.io/library/node (build arguments
# BASE_IMAGE and BUILD_IMAGE). Writes
#   .cache/image/function-plana-tenant.tar   docker-archive tarball (for crossplane xpkg build)
#   .cache/image/oci/                        OCI image layout, tag "latest"
#
#   scripts/build-image.sh                  build (skipped when no input changed)
#   scripts/build-image.sh --force          build even if nothing changed
#   scripts/build-image.sh --refresh-base   also rebuild the Debian bases (security updates)
#
# The bases:
#   runtime  trixie "essential" + ca-certificates + libstdc++6 (node links it), no
#            docs/man/locales, + /usr/local/bin/node (where the official node images have it)
#   build    the same + npm in /usr/local/lib/node_modules/npm (for the build stages only)
# Debian's nodejs is Node 20 (end of life 2026-04-30), so none of it is used. Each base's
# Debian rootfs tarball is cached in .cache/image/base/, keyed by a hash of its recipe (suite,
# variant, packages, dpkg filters); with Node added it is imported once into buildah's store,
# .cache/image/storage-<driver>/ (overlay when the kernel allows it, else vfs; override with
# BUILDAH_STORAGE_DRIVER). The image is rebuilt only when an input changed: the Dockerfile,
# .dockerignore, package.json, package-lock.json, .npmrc, tsconfig.json, tsconfig.build.json, src/, the bases (and
# so the pinned Node), this script and scripts/image-lib.sh.
# The build stages reach the npm registry; the host's CA bundle is bind-mounted into them
# (for TLS-intercepting proxies) and npm's cache lives in .cache/image/npm-cache.

# shellcheck source=scripts/image-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/image-lib.sh"

force=0
refresh_base=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --refresh-base) refresh_base=1 force=1 ;;
    -h|--help) print_help; exit 0 ;;
    *) echo "usage: $0 [--force] [--refresh-base]" >&2; exit 2 ;;
  esac
done

IMAGE_NAME=function-plana-tenant
BASE_VARIANT=essential
RUNTIME_PACKAGES=ca-certificates,libstdc++6
BUILD_PACKAGES=ca-certificates,libstdc++6
start=$(date +%s)

image_setup .cache/image
mkdir -p "$out/npm-cache"
node_bin="$(scripts/install-node.sh)"
node_dir="$(dirname "$node_bin")"
node_version="$("$node_bin/node" --version)"
if [ "$refresh_base" = 1 ]; then
  rm -f "$out"/base/*.tar
  # New bases invalidate every image in the store (all derive from the old ones): start empty.
  "${B[@]}" rmi --all --force >/dev/null 2>&1 || true
fi

# ---------------------------------------------------------------- bases
# base_image NAME PACKAGES NPM: prints the local image name of that base (Debian + Node, and
# npm when NPM is 1), building and importing it first when needed.
base_image() {
  local name="$1" packages="$2" with_npm="$3" tar ref ctr check
  debian_base "$name" "$BASE_VARIANT" "$packages"
  tar="$base_tar"
  ref="localhost/$IMAGE_NAME-base-$name:$DEBIAN_SUITE-$base_key-node-$node_version"
  if ! "${B[@]}" inspect --type image "$ref" >/dev/null 2>&1; then
    log "base $name: importing $tar as $ref"
    ctr="$("${B[@]}" from --pull=never scratch)"
    "${B[@]}" add "$ctr" "$tar" / >/dev/null
    "${B[@]}" add --chmod 0755 "$ctr" "$node_bin/node" /usr/local/bin/node >/dev/null
    "${B[@]}" add "$ctr" "$node_dir/LICENSE" /usr/local/share/doc/node/LICENSE >/dev/null
    if [ "$with_npm" = 1 ]; then
      "${B[@]}" add "$ctr" "$node_dir/lib/node_modules/npm" /usr/local/lib/node_modules/npm >/dev/null
      "${B[@]}" run --isolation=chroot "$ctr" -- sh -c \
        'ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx'
    fi
    # Debian's node read the system CA store; the official build trusts only its bundled CAs.
    # The build stages reach the npm registry, maybe through a TLS-intercepting proxy whose CA
    # the host's bundle (bind-mounted below) holds: trust that bundle there, as Debian's did.
    if [ "$with_npm" = 1 ]; then "${B[@]}" config --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt "$ctr"; fi
    "${B[@]}" config --env "PATH=$PATH_ENV" --label "org.opencontainers.image.description=Debian $DEBIAN_SUITE $BASE_VARIANT + $packages + Node $node_version" "$ctr"
    # The pinned Node, starting cleanly: nothing on stdout or stderr.
    check="$("${B[@]}" run --isolation=chroot "$ctr" -- node -e \
      'if (process.version !== process.argv[1]) console.log("node", process.version, "is not", process.argv[1])' "$node_version" 2>&1)" || true
    if [ -n "$check" ]; then
      "${B[@]}" rm "$ctr" >/dev/null
      die "the $name base's node is not usable: $check"
    fi
    "${B[@]}" commit -q "$ctr" "$ref" >/dev/null
    "${B[@]}" rm "$ctr" >/dev/null
  fi
  printf '%s\n' "$ref"
}
runtime_base="$(base_image runtime "$RUNTIME_PACKAGES" 0)"
build_base="$(base_image build "$BUILD_PACKAGES" 1)"

# ---------------------------------------------------------------- the image
tarball="$out/$IMAGE_NAME.tar"
layout="$out/oci"
stamp="$out/$IMAGE_NAME.inputs"
inputs="$(
  {
    printf '%s\n' "$runtime_base" "$build_base"
    find Dockerfile .dockerignore package.json package-lock.json .npmrc tsconfig.json tsconfig.build.json src scripts/build-image.sh scripts/image-lib.sh scripts/bundle.mjs \
      -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-64
)"
if [ "$force" = 0 ] && [ -f "$tarball" ] && [ -f "$layout/index.json" ] && up_to_date "$stamp" "$inputs"; then
  log "up to date: $tarball ($(du -m "$tarball" | cut -f1) MiB; no input changed)"
  exit 0
fi

volumes=(-v "$PWD/$out/npm-cache:/root/.npm")
[ -f /etc/ssl/certs/ca-certificates.crt ] &&
  volumes+=(-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
layers=()
[ "$driver" = overlay ] && layers=(--layers) # vfs copies the whole rootfs per layer: no cache

log "BASE_IMAGE=$runtime_base BUILD_IMAGE=$build_base"
image_bud "${layers[@]}" "${volumes[@]}" \
  --build-arg "BASE_IMAGE=$runtime_base" --build-arg "BUILD_IMAGE=$build_base" \
  -f Dockerfile -t "localhost/$IMAGE_NAME:latest" .

log "writing $layout and $tarball"
rm -rf "$layout.tmp" "$tarball.tmp"
"${B[@]}" push -q "localhost/$IMAGE_NAME:latest" "oci:$PWD/$layout.tmp:latest"
"${B[@]}" push -q --format v2s2 "localhost/$IMAGE_NAME:latest" "docker-archive:$PWD/$tarball.tmp:$IMAGE_NAME:latest"
rm -rf "$layout"
mv "$layout.tmp" "$layout"
mv "$tarball.tmp" "$tarball"
printf '%s\n' "$inputs" >"$stamp"

compressed="$(node -e '
  const fs = require("fs"), p = process.argv[1];
  const idx = JSON.parse(fs.readFileSync(p + "/index.json"));
  const blob = (d) => JSON.parse(fs.readFileSync(p + "/blobs/" + d.digest.replace(":", "/")));
  console.log(blob(idx.manifests[0]).layers.reduce((n, l) => n + l.size, 0));
' "$layout")"
log "image: $(du -b "$tarball" | cut -f1) bytes tarball (uncompressed layers), $compressed bytes of compressed layers"
log "done in $(elapsed "$start")"
