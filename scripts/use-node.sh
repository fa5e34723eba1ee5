# shellcheck shell=bash
# Source it:  . scripts/use-node.sh
#
# Puts the project's pinned Node 24 (and its npm) first on PATH for the current shell,
# installing it into .cache/node/ on first use (scripts/install-node.sh: ~53 MB from the npm
# registry, checked against a pinned sha512). Every later `node`, `npm ci`, `npm test` and
# `npm run render` in that shell then runs on the Node the image ships. Sourcing it again is
# cheap and does not grow PATH. CI (.ci/run) sources it too.
_use_node_script="${BASH_SOURCE[0]:-$0}"
if _use_node_bin="$(bash "$(dirname "${_use_node_script}")/install-node.sh")"; then
  case ":${PATH}:" in
    ":${_use_node_bin}:"*) ;; # already first
    *) PATH="${_use_node_bin}:${PATH}"; export PATH ;;
  esac
  hash -r 2>/dev/null || true
  printf '[use-node] node %s, npm %s (%s)\n' "$(node --version)" "$(npm --version)" "${_use_node_bin}" >&2
  unset _use_node_script _use_node_bin
else
  unset _use_node_script _use_node_bin
  printf '[use-node] could not install the pinned Node; PATH unchanged\n' >&2
  false
fi
