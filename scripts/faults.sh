#!/usr/bin/env bash
# The fault matrix (make faults): every row of tests/faults injects one fault into a real update against the simulator
# and checks the end state; then the matrix is printed as a table (tests/faults/table.py). `make test` runs only the
# rows marked representative. Exit status: non-zero when a row failed or is not safe.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
# shellcheck source=scripts/env.sh
source "$root/scripts/env.sh"
results="$root/build/faults"
rm -rf "$results"
mkdir -p "$results"
export CONAKTIV_FAULTS=all CONAKTIV_FAULT_RESULTS="$results"
python -m pytest -n 3 -p no:cacheprovider tests/faults "$@"
status=$?
echo
echo "======== fault matrix ========"
python tests/faults/table.py "$results" || status=1
exit "$status"
