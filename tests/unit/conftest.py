# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.conaktiv.server`` importable when the unit tests run under plain pytest.

``.collections/ansible_collections/conaktiv/server`` is a symlink to this checkout. Imports go
through Ansible's own collection loader, as under ``ansible-test units``, so plugin code that
uses the plugin loader sees the same modules the tests imported. Under ansible-test (which
installs its loader itself) this file changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]
_COLLECTIONS = _REPO / ".collections"


def _install_collection_loader() -> None:
    """Install Ansible's collection finder for .collections unless one is active already."""
    if not (_COLLECTIONS / "ansible_collections").is_dir():
        return
    # ansible.constants reads this on import; set it before anything imports ansible.
    os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(_COLLECTIONS))
    # pylint: disable-next=import-outside-toplevel
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder, AnsibleCollectionConfig

    if AnsibleCollectionConfig.collection_finder is not None:
        return
    _AnsibleCollectionFinder(paths=[str(_COLLECTIONS)])._install()  # pylint: disable=protected-access


_install_collection_loader()
