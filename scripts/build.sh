#!/usr/bin/env bash
# Build the collection tarball into build/ and check that no development or test debris went into it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/env.sh
source "$root/scripts/env.sh"
cd "$root"
mkdir -p build
rm -f build/conaktiv-server-*.tar.gz
ansible-galaxy collection build --force --output-path build
tarball=$(ls build/conaktiv-server-*.tar.gz)
python - "$tarball" <<'PY'
"""Fail when the tarball carries anything that is not part of the collection."""
import sys
import tarfile

FORBIDDEN_DIRS = {".venv", ".collections", ".cache", ".git", ".pytest_cache", "build", "__pycache__", ".ansible"}
REQUIRED = {"MANIFEST.json", "FILES.json", "meta/runtime.yml"}

with tarfile.open(sys.argv[1]) as archive:
    names = [member.name.removeprefix("./") for member in archive.getmembers()]
debris = [name for name in names
          if name == "tests/output" or name.startswith("tests/output/") or name.endswith((".pyc", ".tar.gz"))
          or FORBIDDEN_DIRS.intersection(name.split("/"))]
missing = sorted(REQUIRED.difference(names))
for name in debris[:20]:
    print(f"build: unwanted in tarball: {name}", file=sys.stderr)
if len(debris) > 20:
    print(f"build: ... and {len(debris) - 20} more unwanted entries (is the folder in galaxy.yml build_ignore?)", file=sys.stderr)
for name in missing:
    print(f"build: missing from tarball: {name}", file=sys.stderr)
if debris or missing:
    sys.exit(1)
print(f"build: {sys.argv[1]}: {len(names)} entries, no debris")
PY
