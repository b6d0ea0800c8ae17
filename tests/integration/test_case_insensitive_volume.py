"""The update on a case-insensitive, case-preserving volume (macOS' default APFS), mounted by the test with FUSE.

There ``ConAktiv Server_old0001`` and ``conaktiv server_OLD0001`` are one folder: an old folder in other letter case
must count when the next ``_oldNNNN`` is chosen, or ``mv`` would move the server folder *into* it. The POSIX adapter
finds out from the volume itself (one probe in the survey it makes anyway), not from the operating system.
"""

from __future__ import annotations

import pytest

from playbook import REPO, run_playbook
from roleargs import role_vars, write_inventory

from conaktiv_sim.testing import Site
from testservers import peers

UPDATE = REPO / "playbooks" / "update.yml"


def test_an_old_folder_in_other_letter_case_counts_on_a_case_insensitive_volume(tmp_path, sim_package):
    try:
        mount = peers.CaseInsensitiveMount(tmp_path / "backing", tmp_path / "volume")
        volume = mount.__enter__()
    except peers.PeerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        site = Site.install(volume / "site", version="1.0.0", faults={"migration_seconds": 1})
        try:
            site.start()
            by_hand = volume / "site" / "conaktiv server_OLD0001"  # an old folder someone renamed by hand
            by_hand.mkdir()
            (by_hand / "notiz.txt").write_text("von Hand", encoding="utf-8")
            assert (volume / "site" / "ConAktiv Server_old0001").is_dir(), "the volume ignores letter case"
            inventory = write_inventory(tmp_path / "inventory.yml", {"localhost": role_vars(site, sim_package("2.0.0"), conaktiv_update_keep_old=2)})
            run = run_playbook(UPDATE, tmp_path / "results.jsonl", inventory=inventory)
            assert run.rc == 0, run.output
            assert site.server_status()["version"] == "2.0.0"
            names = sorted(path.name for path in (volume / "site").iterdir() if "_old" in path.name.lower())
            assert names == ["ConAktiv Server_old0002", "conaktiv server_OLD0001"]
            assert (volume / "site" / "ConAktiv Server_old0002" / "version.txt").read_text().strip() == "1.0.0"
            assert sorted(path.name for path in by_hand.iterdir()) == ["notiz.txt"], "the server folder was moved into the old one"
        finally:
            site.cleanup()
    finally:
        mount.__exit__()
