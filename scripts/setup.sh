#!/usr/bin/env bash
# One setup path for every command: a Python >= 3.12, .venv with the pinned requirements, and the
# collections we depend on (ansible.windows, community.windows, community.general) taken out of the
# PyPI "ansible" bundle because Ansible Galaxy is not reachable (awx.awx for the AWX kit out of an older
# one). Re-running is a no-op when nothing changed (stamps keyed on the requirement files).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
collections="$root/.collections"
# The ansible bundle whose copies of ansible.windows / community.windows / community.general we use.
bundle_version=14.5.0
bundle_collections=(ansible/windows community/windows community/general)
# awx.awx is no dependency of the collection: only the AWX kit's setup playbook (extensions/awx), its tests and lint use
# it. The 14.x bundles no longer carry it; 12.3.0 does (awx.awx 24.6.1). Its own stamp, so each bundle is taken once.
awx_bundle_version=12.3.0
awx_bundle_collections=(awx/awx)

find_python() {
  local candidate
  for candidate in python3.13 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  local pyenv_root
  pyenv_root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  # Newest first; an unmatched glob stays literal and fails the -x test.
  while IFS= read -r candidate; do
    if [ -x "$candidate/bin/python3" ] && "$candidate/bin/python3" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$candidate/bin/python3"; return 0
    fi
  done < <(printf '%s\n' "$pyenv_root"/versions/3.1[2-9]* | sort -V -r)
  return 1
}

# pip, minus the "Location ... is ignored" warnings this machine's pip.conf (extra file:// indexes) causes for
# every package; pip's own exit status is kept (pipefail; the filter always succeeds).
pip() {
  "$venv/bin/python" -m pip "$@" 2>&1 | { grep -v "^WARNING: Location '.*' is ignored: it is neither a file nor a directory\.$" || true; }
}

if [ ! -x "$venv/bin/python" ]; then
  if ! python=$(find_python); then
    echo "setup: no Python >= 3.12 found on PATH or in pyenv versions; ansible-core 2.21 needs one." >&2
    echo "setup: install one (e.g. 'pyenv install 3.12') and run this again." >&2
    exit 1
  fi
  echo "setup: creating .venv with $python"
  "$python" -m venv "$venv"
fi

stamp="$venv/.requirements.sha256"
want=$(cat "$root/requirements.txt" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing requirements into .venv"
  pip install -q --disable-pip-version-check -r "$root/requirements.txt"
  echo "$want" > "$stamp"
fi

# take_from_bundle VERSION NAME...: extract the named collections (namespace/name) of ansible==VERSION into .collections.
take_from_bundle() {
  local version=$1 dl
  shift
  echo "setup: taking $* out of ansible==$version"
  dl=$(mktemp -d)
  # shellcheck disable=SC2064 # the folder of this call, expanded now
  trap "rm -rf '$dl'" EXIT
  pip download -q --disable-pip-version-check --no-deps -d "$dl" "ansible==$version"
  mkdir -p "$collections/ansible_collections"
  "$venv/bin/python" - "$dl"/ansible-*.whl "$collections" "$@" <<'PY'
import sys, zipfile, pathlib
wheel, dest, wanted = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3:]
prefixes = tuple(f"ansible_collections/{name}/" for name in wanted)
with zipfile.ZipFile(wheel) as archive:
    members = [m for m in archive.namelist() if m.startswith(prefixes) and ".." not in m.split("/")]
    archive.extractall(dest, members)
PY
  rm -rf "$dl"
  trap - EXIT
}

cstamp="$collections/.bundle-$bundle_version"
if [ ! -f "$cstamp" ]; then
  # A new main bundle starts .collections afresh (this also drops the awx stamp, so awx.awx is taken again below).
  rm -rf "$collections"
  take_from_bundle "$bundle_version" "${bundle_collections[@]}"
  touch "$cstamp"
fi
astamp="$collections/.bundle-$awx_bundle_version"
if [ ! -f "$astamp" ]; then
  rm -rf "$collections/ansible_collections/awx"
  take_from_bundle "$awx_bundle_version" "${awx_bundle_collections[@]}"
  touch "$astamp"
fi
# The collection itself, addressable as conaktiv.server from the checkout.
mkdir -p "$collections/ansible_collections/conaktiv"
ln -sfn "$root" "$collections/ansible_collections/conaktiv/server"
