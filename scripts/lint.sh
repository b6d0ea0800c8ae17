#!/usr/bin/env bash
# ansible-lint with the production profile (.ansible-lint) over the whole collection, extensions/awx included (its setup
# playbook needs awx.awx, which scripts/setup.sh puts into .collections).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/env.sh
source "$root/scripts/env.sh"
cd "$root"
# Plain output for logs and CI; extra arguments go to ansible-lint.
NO_COLOR=1 ansible-lint --nocolor "$@"
