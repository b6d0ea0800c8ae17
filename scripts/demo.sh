#!/usr/bin/env bash
# The README's first command (make demo): set up, then update a simulated ConAktiv server on this machine.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/setup.sh"
# shellcheck source=scripts/env.sh
source "$root/scripts/env.sh"
exec python "$root/scripts/demo.py"
