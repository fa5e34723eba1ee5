#!/usr/bin/env bash
# Builds the Crossplane package, .cache/xpkg/function-plana-tenant.xpkg, with the real
# `crossplane xpkg build` (the pinned CLI, no Docker):
#   - package root: package/ (the one meta.pkg.crossplane.io Function object and the Input CRD);
#   - runtime: the image tarball scripts/build-image.sh writes (built first when missing),
#     .cache/image/function-plana-tenant.tar, embedded in the package;
#   - examples: examples/ without the render goldens (examples/rendered/) and the observed
#     states (examples/**/observed/): those are test fixtures, not manifests to apply, and
#     xpkg build rejects a YAML file that holds only comments (the rejected XR's golden).
#     The staged copy is .cache/xpkg/examples/.
#
#   scripts/build-xpkg.sh

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
start=$(date +%s)

scripts/install-tools.sh crossplane >&2
# shellcheck source=/dev/null
. .cache/tools/env.sh

image=.cache/image/function-plana-tenant.tar
if [ ! -f "$image" ]; then
  log "no $image: running scripts/build-image.sh"
  scripts/build-image.sh
fi

out=.cache/xpkg
examples="$out/examples"
mkdir -p "$out"
rm -rf "$examples"
mkdir -p "$examples"
(cd examples && find . -type f \( -name '*.yaml' -o -name '*.yml' \) \
  -not -path './rendered/*' -not -path '*/observed/*' -print0) |
  while IFS= read -r -d '' f; do
    mkdir -p "$examples/$(dirname "$f")"
    cp "examples/$f" "$examples/$f"
  done

pkg="$out/function-plana-tenant.xpkg"
rm -f "$pkg.tmp"
"$CROSSPLANE_BIN" xpkg build --package-root=package --embed-runtime-image-tarball="$image" \
  --examples-root="$examples" -o "$pkg.tmp"
mv "$pkg.tmp" "$pkg"
log "wrote $pkg: $(du -b "$pkg" | cut -f1) bytes (runtime image tarball: $(du -b "$image" | cut -f1) bytes), in $(elapsed "$start")"
