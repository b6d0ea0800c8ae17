#!/usr/bin/env bash
# Every molecule scenario of the collection (extensions/molecule/<name>/), each with `molecule test -s <name>`, from the
# repository root with scripts/env.sh sourced: ANSIBLE_COLLECTIONS_PATH is .collections, where conaktiv/server links to
# this checkout, and the scenarios set `prerun: false`, so nothing is installed into ~/.ansible.
#   bash scripts/molecule.sh               all scenarios
#   bash scripts/molecule.sh rollback      only the named ones
# Each scenario's ephemeral directory is .cache/molecule/<name>. After a scenario, any process a pid file there still
# records is ended and the scenario counts as failed (no process may outlive a scenario); a process nobody recorded
# fails it too, and is reported, not killed. Every scenario runs even when an
# earlier one failed; the exit status is non-zero when any failed. The last lines are a summary with durations.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
# shellcheck source=scripts/env.sh
source "$root/scripts/env.sh"
# Plain output for logs and CI.
export NO_COLOR=1 ANSIBLE_FORCE_COLOR=0 PY_COLORS=0

if [ "$#" -gt 0 ]; then
  scenarios=("$@")
else
  scenarios=()
  for file in extensions/molecule/*/molecule.yml; do
    scenarios+=("$(basename "$(dirname "$file")")")
  done
fi
if [ "${#scenarios[@]}" -eq 0 ]; then
  echo "molecule: no scenarios found below extensions/molecule/" >&2
  exit 1
fi

declare -a summary=()
failed=0
started=$SECONDS
for name in "${scenarios[@]}"; do
  if [ ! -f "extensions/molecule/$name/molecule.yml" ]; then
    summary+=("$(printf 'FAIL  %-10s  (no extensions/molecule/%s/molecule.yml)' "$name" "$name")")
    failed=1
    continue
  fi
  # The windows scenario needs a real Windows host (extensions/molecule/windows/README.md).
  if [ "$name" = windows ] && [ -z "${CONAKTIV_WINRM_HOST:-}" ]; then
    echo "molecule: skipping scenario windows: no Windows test host configured (set CONAKTIV_WINRM_HOST, see extensions/molecule/windows/README.md)"
    summary+=("$(printf 'SKIP  %-10s        (CONAKTIV_WINRM_HOST not set)' "$name")")
    continue
  fi
  echo
  echo "======== molecule test -s $name ========"
  begin=$SECONDS
  ephemeral="$root/.cache/molecule/$name"
  mkdir -p "$ephemeral"
  MOLECULE_EPHEMERAL_DIRECTORY="$ephemeral" molecule test -s "$name" </dev/null
  status=$?
  # The scenario's own cleanup already fails on survivors; this catches a molecule that died before its cleanup ran.
  if ! leftovers=$(python extensions/molecule/shared/background.py sweep --below "$ephemeral"); then
    status=1
  elif [[ $leftovers != *'"changed": false'* ]]; then
    echo "molecule: processes outlived scenario $name and were ended: $leftovers" >&2
    status=1
  fi
  if [ "$status" -eq 0 ]; then
    summary+=("$(printf 'PASS  %-10s %5ss' "$name" $((SECONDS - begin)))")
  else
    summary+=("$(printf 'FAIL  %-10s %5ss  (exit %s)' "$name" $((SECONDS - begin)) "$status")")
    failed=1
  fi
done

echo
echo "======== molecule summary ($((SECONDS - started)) s) ========"
printf '%s\n' "${summary[@]}"
exit "$failed"
