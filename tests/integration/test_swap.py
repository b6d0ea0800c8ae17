"""conaktiv.server.swap: swap, carry-over, journal, rollback and cleanup, through ansible-playbook."""

from __future__ import annotations

import json
import shutil

from playbook import run_tasks
from siteargs import control, service

SWAP = "Swap the server folder"
PRESERVED = ["Server Database/Preferences", "Server Database/cert.pem", "Server Database/key.pem", "Server Database/Resources/Hunspell"]


def stage(tmp_path, site, package):
    task = {"name": "stage", "conaktiv.server.stage": {"server_path": str(site.server_dir), "version": "2.0.0", "source": str(package)}}
    run = run_tasks(tmp_path / "stage", [task])
    assert run.rc == 0, run.output


def swap_task(site, **extra):
    args = {"server_path": str(site.server_dir), "control": control(site), "service": service(site), **extra}
    return {"name": SWAP, "conaktiv.server.swap": args}


def tree(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def preserved_snapshot(server_dir):
    snapshot = {}
    for item in PRESERVED:
        path = server_dir / item
        snapshot.update({f"{item}/{k}": v for k, v in tree(path).items()} if path.is_dir() else {item: path.read_bytes()})
    return snapshot


def test_swap_moves_the_staged_version_in_and_carries_the_preserved_items(tmp_path, sim_site, sim_package):
    stage(tmp_path, sim_site, sim_package("2.0.0"))
    before = preserved_snapshot(sim_site.server_dir)
    old_inode = sim_site.server_dir.stat().st_ino
    staged_inode = (sim_site.root / "Temp_Updateordner" / "ConAktiv Server").stat().st_ino
    run = run_tasks(tmp_path / "play", [swap_task(sim_site)], extra_args=["--diff"])
    assert run.rc == 0, run.output
    result = run.task(SWAP)
    assert result["changed"] is True and result["version"] == "2.0.0"
    assert sorted(result["carried_over"]) == sorted(PRESERVED) and result["not_present"] == []
    assert (sim_site.server_dir / "version.txt").read_text().strip() == "2.0.0"
    assert sim_site.server_dir.stat().st_ino == staged_inode, "the staged tree must be renamed into place, not copied"
    old = sim_site.root / "ConAktiv Server_old0001"
    assert old.stat().st_ino == old_inode and (old / "version.txt").read_text().strip() == "1.0.0"
    assert preserved_snapshot(sim_site.server_dir) == before
    assert "ConAktiv Server_old0001" in run.output  # the diff names what moves
    again = run_tasks(tmp_path / "play", [swap_task(sim_site), {"name": "info", "conaktiv.server.info": {"server_path": str(sim_site.server_dir)}}])
    assert again.rc == 0 and again.task(SWAP)["changed"] is False
    assert again.task("info")["staged"] is None and again.task("info")["installed_version"] == "2.0.0"
    sim_site.start()
    assert sim_site.control("GET", "/api/status")["version"] == "2.0.0"


def test_swap_refuses_while_the_server_runs(tmp_path, sim_site, sim_package):
    stage(tmp_path, sim_site, sim_package("2.0.0"))
    sim_site.start()
    run = run_tasks(tmp_path / "play", [swap_task(sim_site)])
    assert run.rc != 0
    assert "is running: stop it first" in run.task(SWAP)["msg"]
    assert (sim_site.server_dir / "version.txt").read_text().strip() == "1.0.0"


def test_check_mode_changes_nothing(tmp_path, sim_site, sim_package):
    stage(tmp_path, sim_site, sim_package("2.0.0"))
    listing = sorted(p.name for p in sim_site.root.iterdir())
    run = run_tasks(tmp_path / "play", [swap_task(sim_site)], extra_args=["--check", "--diff"])
    assert run.rc == 0, run.output
    assert run.task(SWAP)["changed"] is True
    assert sorted(p.name for p in sim_site.root.iterdir()) == listing
    assert (sim_site.server_dir / "version.txt").read_text().strip() == "1.0.0"


def test_next_free_old_number_and_missing_optional_items(tmp_path, sim_site, sim_package):
    (sim_site.root / "ConAktiv Server_old0001").mkdir()
    (sim_site.server_dir / "Server Database" / "key.pem").unlink()
    stage(tmp_path, sim_site, sim_package("2.0.0"))
    run = run_tasks(tmp_path / "play", [swap_task(sim_site)])
    assert run.rc == 0, run.output
    assert run.task(SWAP)["old_path"].endswith("ConAktiv Server_old0002")
    assert run.task(SWAP)["not_present"] == ["Server Database/key.pem"]


def test_interrupted_swap_is_finished_by_a_rerun(tmp_path, sim_site, sim_package):
    stage(tmp_path, sim_site, sim_package("2.0.0"))
    before = preserved_snapshot(sim_site.server_dir)
    # As if the controller died right after the first rename: the swap had recorded its begin in the run journal.
    (sim_site.root / "conaktiv-update-journal.jsonl").write_text(json.dumps(
        {"v": 1, "run": "swap-by-hand", "at": "2026-11-23T22:00:00+00:00", "event": "begin", "phase": "swap",
         "data": {"old": "ConAktiv Server_old0001", "version": "2.0.0"}}) + "\n")
    sim_site.server_dir.rename(sim_site.root / "ConAktiv Server_old0001")
    run = run_tasks(tmp_path / "play", [swap_task(sim_site)])
    assert run.rc == 0, run.output
    assert run.task(SWAP)["resumed"] is True
    assert (sim_site.server_dir / "version.txt").read_text().strip() == "2.0.0"
    assert preserved_snapshot(sim_site.server_dir) == before


def test_rollback_restores_the_old_folder_and_cleanup_removes_it(tmp_path, sim_site, sim_package):
    stage(tmp_path, sim_site, sim_package("2.0.0"))
    original = tree(sim_site.server_dir)
    assert run_tasks(tmp_path / "swap", [swap_task(sim_site)]).rc == 0
    run = run_tasks(tmp_path / "rollback", [swap_task(sim_site, state="rolled_back")])
    assert run.rc == 0, run.output
    assert tree(sim_site.server_dir) == original
    assert (sim_site.root / "ConAktiv Server_failed0001" / "version.txt").read_text().strip() == "2.0.0"
    again = run_tasks(tmp_path / "rollback2", [swap_task(sim_site, state="rolled_back")])
    assert again.rc == 0 and again.task(SWAP)["changed"] is False
    sim_site.start()
    assert sim_site.control("GET", "/api/status")["version"] == "1.0.0"


def test_cleanup_keeps_the_newest_old_folders_and_removes_the_temp_folder(tmp_path, sim_site, sim_package):
    for number in (1, 2, 3):
        shutil.copytree(sim_site.server_dir, sim_site.root / f"ConAktiv Server_old000{number}")
    stage(tmp_path, sim_site, sim_package("2.0.0"))
    run = run_tasks(tmp_path / "play", [swap_task(sim_site, state="cleaned", keep_old=1)])
    assert run.rc == 0, run.output
    names = sorted(p.name for p in sim_site.root.iterdir())
    assert "ConAktiv Server_old0003" in names
    assert not {"ConAktiv Server_old0001", "ConAktiv Server_old0002", "Temp_Updateordner"} & set(names)
    again = run_tasks(tmp_path / "again", [swap_task(sim_site, state="cleaned", keep_old=1)])
    assert again.rc == 0 and again.task(SWAP)["changed"] is False
