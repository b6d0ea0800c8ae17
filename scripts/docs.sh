#!/usr/bin/env bash
# The collection's documentation as the Ansible docsite would take it (antsibull-docs), checked:
#   1. antsibull-docs lint-collection-docs --plugin-docs: every plugin's and the role's documentation (schema, markup,
#      references M() O() RV() ... to this collection and to the installed ones it builds on), the guides in
#      docs/docsite/rst (rstcheck, :ansplugin: / :ansopt: references, labels), docs/docsite/extra-docs.yml and links.yml;
#   2. antsibull-docs collection: the docsite's RST built into build/docs (any parsing or schema error fails);
#   3. every :ref: of the built RST that points into this collection names a label that exists (a moved or renamed
#      guide, an R() in a plugin's documentation that no longer matches; neither check above follows :ref:).
# The collections are those of .collections (scripts/setup.sh: the dependencies, and conaktiv/server linked to this
# checkout), but seen through a tree of symlinks in a temporary folder outside any ansible_collections directory:
# ansible-core names a collection only when its path has exactly one 'ansible_collections' component
# (_get_collection_name_from_path), so when the checkout itself is .../ansible_collections/conaktiv/server (the layout
# the README recommends), everything below .collections/ansible_collections would be invisible to ansible-doc and every
# reference to ansible.windows or community.windows "not allowed". antsibull-docs lint-collection-docs is given the
# checkout (its messages name the checkout's files), copies what git would commit (tracked and untracked-but-not-ignored
# files) into a temporary collection root of its own and puts ANSIBLE_COLLECTIONS_PATH (the tree) behind it;
# antsibull-docs collection --use-current takes the collections from ANSIBLE_COLLECTIONS_PATH alone.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/env.sh
source "$root/scripts/env.sh"
cd "$root"

installed="$root/.collections/ansible_collections"
if [ ! -e "$installed/conaktiv/server/galaxy.yml" ]; then
  echo "docs: $installed/conaktiv/server is missing; run scripts/setup.sh first" >&2
  exit 1
fi

# The tree: <tmp>/ansible_collections/<namespace>/<name> -> .collections/ansible_collections/<namespace>/<name>, with
# conaktiv/server -> this checkout. The folder comes from antsibull-docs' own helper, which picks a temporary directory
# that is not inside an ansible_collections tree (TMPDIR, else /tmp, /var/tmp, ...).
tree=$(python -c 'from antsibull_fileutils.tempfile import ansible_mkdtemp; print(ansible_mkdtemp(prefix="conaktiv-docs-"))')
# shellcheck disable=SC2064 # the folder of this run, expanded now
trap "rm -rf '$tree'" EXIT
for collection_dir in "$installed"/*/*/; do
  collection_dir=${collection_dir%/}
  name=${collection_dir#"$installed"/}
  [ "$name" = conaktiv/server ] && continue
  mkdir -p "$tree/ansible_collections/${name%/*}"
  ln -s "$collection_dir" "$tree/ansible_collections/$name"
done
mkdir -p "$tree/ansible_collections/conaktiv"
ln -s "$root" "$tree/ansible_collections/conaktiv/server"
export ANSIBLE_COLLECTIONS_PATH="$tree"

echo "docs: antsibull-docs lint-collection-docs --plugin-docs (antsibull-docs $(antsibull-docs --version))"
# References to other collections are checked against every installed one ('dependent' would need every transitive
# dependency installed, e.g. community.general's community.library_inventory_filtering_v1, which nothing here uses);
# a reference to a collection that is not installed is an error.
antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs \
  --validate-collection-refs all --disallow-unknown-collection-refs "$root"

echo "docs: antsibull-docs collection --use-current into build/docs"
rm -rf "$root/build/docs"
mkdir -p "$root/build/docs"
antsibull-docs collection --use-current --fail-on-error --dest-dir "$root/build/docs" conaktiv.server

echo "docs: :ref: targets in this collection"
python - "$root/build/docs" <<'PY'
"""Fail on a :ref: into ansible_collections.conaktiv.server.* whose label no built page defines."""
import re
import sys
from pathlib import Path

prefix = "ansible_collections.conaktiv.server."
pages = sorted(Path(sys.argv[1]).rglob("*.rst"))
labels = {match.group(1) for page in pages
          for match in re.finditer(r"^\.\. _([^:\n]+):\s*$", page.read_text(encoding="utf-8"), re.MULTILINE)}
broken = []
for page in pages:
    text = page.read_text(encoding="utf-8")
    # :ref:`label` or :ref:`title <label>`; the title may span lines.
    for match in re.finditer(r":ref:`(?:[^`<]*<([^>`]+)>|([^`<]+))`", text):
        label = (match.group(1) or match.group(2)).strip()
        if label.startswith(prefix) and label not in labels:
            line = text.count("\n", 0, match.start()) + 1
            broken.append(f"{page.relative_to(sys.argv[1])}:{line}: :ref: to {label}, which no page defines")
for message in broken:
    print(f"docs: {message}", file=sys.stderr)
if broken or not pages:
    sys.exit(1)
print(f"docs: {len(pages)} pages, {len(labels)} labels, every :ref: into conaktiv.server resolves")
PY
