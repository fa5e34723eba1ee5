# shellcheck shell=bash
# Until scripts/install-e2e-tools.sh and scripts/install-bench-tools.sh source
# scripts/install-lib.sh themselves (they are being edited on other branches), their old name
# for it.
# shellcheck source=scripts/install-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/install-lib.sh"
