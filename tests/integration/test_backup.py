"""conaktiv.server.backup: online, command and archive backups with retention, through ansible-playbook."""

from __future__ import annotations

import hashlib
import time
import zipfile

from playbook import run_tasks
from siteargs import control, service

BACKUP = "Back up the ConAktiv server"


def backup_task(site, **extra):
    args = {"version": "1.0.0", "control": control(site), "service": service(site), **extra}
    return {"name": BACKUP, "conaktiv.server.backup": args}


def test_online_backup_is_verified_named_and_kept_to_the_newest(tmp_path, sim_site):
    sim_site.start()
    backup_dir = sim_site.root / "Backups"
    backup_dir.mkdir(exist_ok=True)
    # Files the retention must never touch: not named like ours.
    foreign = [backup_dir / "manual copy.zip", backup_dir / "ConAktiv-backup-notes.txt"]
    for path in foreign:
        path.write_text("kept", encoding="utf-8")
    paths = []
    for number in range(3):
        run = run_tasks(tmp_path / f"play{number}", [backup_task(sim_site, backup_dir=str(backup_dir), keep=2, label="pre")])
        assert run.rc == 0, run.output
        result = run.task(BACKUP)
        assert result["changed"] is True
        path = result["path"]
        assert path.startswith(str(backup_dir)) and "ConAktiv-backup-pre-1.0.0-" in path
        assert hashlib.sha256(open(path, "rb").read()).hexdigest() == result["sha256"]
        paths.append(path)
        time.sleep(1.1)  # backup names carry the time to the second
    remaining = sorted(p.name for p in backup_dir.glob("ConAktiv-backup-*.zip"))
    assert remaining == sorted(p.rsplit("/", 1)[-1] for p in paths[1:])
    assert all(path.read_text(encoding="utf-8") == "kept" for path in foreign)
    with zipfile.ZipFile(paths[-1]) as archive:
        names = archive.namelist()
    assert any(name.startswith("ConAktiv Data/") for name in names)
    assert any("Server Database/Preferences" in name for name in names)


def test_archive_backup_only_while_stopped(tmp_path, sim_site):
    args = {"method": "archive", "backup_dir": str(tmp_path / "archives"), "server_path": str(sim_site.server_dir),
            "data_path": str(sim_site.data_dir), "label": "post"}
    sim_site.start()
    refused = run_tasks(tmp_path / "running", [backup_task(sim_site, **args)])
    assert refused.rc != 0 and "only consistent while the server is stopped" in refused.task(BACKUP)["msg"]
    assert not (tmp_path / "archives").exists() or not list((tmp_path / "archives").iterdir())
    sim_site.stop()
    run = run_tasks(tmp_path / "stopped", [backup_task(sim_site, **args)])
    assert run.rc == 0, run.output
    with zipfile.ZipFile(run.task(BACKUP)["path"]) as archive:
        names = archive.namelist()
    assert any(name.startswith("ConAktiv Data/records/") for name in names)
    assert any(name.endswith("Server Database/cert.pem") for name in names)


def test_command_backup_and_failing_command(tmp_path, sim_site):
    target_dir = tmp_path / "cmd-backups"
    good = backup_task(sim_site, method="command", backup_dir=str(target_dir),
                       command=["cp", str(sim_site.server_dir / "version.txt"), "{path}"])
    run = run_tasks(tmp_path / "good", [good])
    assert run.rc == 0, run.output
    assert open(run.task(BACKUP)["path"]).read().strip() == "1.0.0"
    bad = backup_task(sim_site, method="command", backup_dir=str(target_dir), command=["false"])
    failed = run_tasks(tmp_path / "bad", [bad])
    assert failed.rc != 0 and "the backup command exited 1" in failed.task(BACKUP)["msg"]


def test_check_mode_makes_no_backup_and_recent_backup_is_reused(tmp_path, sim_site):
    sim_site.start()
    backup_dir = sim_site.root / "Backups"
    check = run_tasks(tmp_path / "check", [backup_task(sim_site, backup_dir=str(backup_dir))], extra_args=["--check"])
    assert check.rc == 0 and check.task(BACKUP)["changed"] is True
    assert not list(backup_dir.glob("ConAktiv-backup-*"))
    first = run_tasks(tmp_path / "first", [backup_task(sim_site, backup_dir=str(backup_dir), max_age=3600)])
    again = run_tasks(tmp_path / "again", [backup_task(sim_site, backup_dir=str(backup_dir), max_age=3600)])
    assert first.rc == 0 and again.rc == 0, again.output
    assert again.task(BACKUP)["changed"] is False and again.task(BACKUP)["path"] == first.task(BACKUP)["path"]


def test_bad_token_is_a_clear_error_and_never_shown(tmp_path, sim_site):
    sim_site.start()
    task = backup_task(sim_site, backup_dir=str(sim_site.root / "Backups"))
    task["conaktiv.server.backup"]["control"]["token"] = "Wrong-Token-4711"
    run = run_tasks(tmp_path / "play", [task], extra_args=["-vvv"])
    assert run.rc != 0
    assert "refused the token" in run.task(BACKUP)["msg"]
    assert "Wrong-Token-4711" not in run.output and sim_site.token not in run.output


def test_restore_puts_the_data_back_and_keeps_the_replaced_data(tmp_path, sim_site):
    sim_site.start()
    made = run_tasks(tmp_path / "backup", [backup_task(sim_site, backup_dir=str(sim_site.root / "Backups"))])
    assert made.rc == 0, made.output
    before = {p.name: p.read_bytes() for p in (sim_site.data_dir / "records").iterdir()}
    sim_site.stop()
    victim = next((sim_site.data_dir / "records").iterdir())
    victim.write_text("damaged by a failed structure update")
    task = backup_task(sim_site, state="restored", path=made.task(BACKUP)["path"], data_path=str(sim_site.data_dir))
    task["conaktiv.server.backup"].pop("version")
    run = run_tasks(tmp_path / "restore", [task])
    assert run.rc == 0, run.output
    assert {p.name: p.read_bytes() for p in (sim_site.data_dir / "records").iterdir()} == before
    kept = sim_site.root / (sim_site.data_dir.name + "_failed0001")
    assert (kept / "records" / victim.name).read_text() == "damaged by a failed structure update"
    sim_site.start()
    assert sim_site.control("GET", "/api/status")["state"] == "ready"
