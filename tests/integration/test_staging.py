"""Staging ahead of the window (playbooks/stage.yml, the role's entry point stage) and the update that reuses it, through
ansible-playbook against the simulator: the staging changes nothing the users notice, the update in the window downloads
nothing and verifies the staged tree before the stop, and a tampered staging is refused before anything stops."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import shutil

import pytest

from playbook import REPO, run_playbook
from roleargs import role_vars, write_inventory

STAGE = REPO / "playbooks" / "stage.yml"
UPDATE = REPO / "playbooks" / "update.yml"


def history(site) -> list[dict]:
    path = site.root / "conaktiv-update-history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def journal_runs(site) -> list[str]:
    path = site.root / "conaktiv-update-journal.jsonl"
    return [json.loads(line)["event"] for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture(name="bench")
def fixture_bench(tmp_path, sim_site_factory, sim_package, ftp_server):
    """A running server at 1.0.0 with two users logged in, the package 2.0.0 on the FTP server, the window tomorrow."""
    site = sim_site_factory(faults={"migration_seconds": 1})
    site.start()
    site.login("anna", "ben")
    package = sim_package("2.0.0", files=10)
    (ftp_server.root / package.name).write_bytes(package.read_bytes())
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    settings = role_vars(site, package, conaktiv_update_source=f"{ftp_server.url}{package.name}", conaktiv_update_source_username=ftp_server.user,
                         conaktiv_update_source_password=ftp_server.password, conaktiv_update_force=False, conaktiv_update_start_date=tomorrow,
                         conaktiv_update_time_from="22:00", conaktiv_update_time_to="02:00",
                         conaktiv_update_cache_dir=str(tmp_path / "cache"))
    return site, package, ftp_server, settings


def play(tmp_path, playbook, settings, name, **extra):
    inventory = write_inventory(tmp_path / f"{name}.yml", {"localhost": {**settings, **extra}})
    return run_playbook(playbook, tmp_path / f"{name}.jsonl", inventory=inventory)


def test_stage_by_day_then_update_in_the_window_without_a_download(tmp_path, bench):
    site, package, ftp, settings = bench
    pid = site.server_pid()
    staged = play(tmp_path, STAGE, settings, "stage")
    assert staged.rc == 0, staged.output
    # Nothing the users notice: the same server process, nobody told anything, users still logged in.
    assert site.server_pid() == pid and site.messages() == [] and site.server_status()["version"] == "1.0.0"
    temp = site.server_dir.parent / "Temp_Updateordner"
    marker = json.loads((temp / "stage.json").read_text())
    assert marker["version"] == "2.0.0" and marker["checksum"] == "sha256:" + hashlib.sha256(package.read_bytes()).hexdigest()
    (record,) = history(site)
    assert record["outcome"] == "staged" and [phase["name"] for phase in record["phases"]] == ["stage"]
    assert record["from_version"] == "1.0.0" and record["to_version"] == "2.0.0" and record["downtime_s"] is None
    # The lock was released, and the download happened before it was taken (the download task ran before the journal was opened).
    assert not list(site.root.glob("conaktiv-update-lock.*"))
    order = [entry["task"].split(" : ")[-1] for entry in staged.results]
    assert order.index("Download and check the new version on the controller before the update lock is taken") < \
        order.index("Read the run journal and the server, prove the inputs and take the update lock for the staging"), order
    assert ftp.password not in staged.output and site.token not in staged.output

    # The status playbook shows the staging and its age; the last update is still none (a staging run is no update).
    status = play(tmp_path, REPO / "playbooks" / "status.yml", {**settings, "conaktiv_status_report_dir": ""}, "status")
    assert status.rc == 0, status.output
    lines = status.task("Show the server's state and its update history")["msg"]
    assert any(re.fullmatch(r"Bereitgestellt:   2\.0\.0, vor [01] Min\. \(\d{4}-\d\d-\d\d \d\d:\d\d \S+\)", line) for line in lines), lines
    (row,) = status.task("Show the fleet as one table")["msg"][2:3]
    assert "noch nie" in row and re.search(r"2\.0\.0, vor [01] Min\.$", row), row

    # Again: in place and verified, nothing to do, no second history record.
    again = play(tmp_path, STAGE, settings, "stage-again")
    assert again.rc == 0, again.output
    assert re.search(r"localhost: Version 2\.0\.0, bereitgestellt am \d{4}-\d\d-\d\d \d\d:\d\d UTC, wird verwendet \(\d+ Dateien geprüft\); "
                     r"kein Download\.", again.output), again.output
    assert len(history(site)) == 1

    # The night: the FTP server is gone; the update reuses the staging, verified before the stop.
    (ftp.root / package.name).unlink()
    site.set_faults({"migration_seconds": 1})
    night = play(tmp_path, UPDATE, settings, "update", conaktiv_update_force=True, conaktiv_update_language="en")
    assert night.rc == 0, night.output
    assert re.search(r"localhost: version 2\.0\.0, staged on .* UTC, is reused \(\d+ files verified\); no download\.", night.output), night.output
    assert site.server_status()["version"] == "2.0.0"
    update = history(site)[-1]
    assert update["outcome"] == "updated"
    (stage_phase,) = [phase for phase in update["phases"] if phase["name"] == "stage"]
    assert stage_phase["outcome"] == "ok" and f"staged at {marker['staged_at']} is reused" in stage_phase["detail"]
    assert "files verified" in stage_phase["detail"]
    # The cleanup after the update removes the temporary folder with the marker and the manifest, as after any update.
    assert not temp.exists()


def test_a_tampered_staging_is_refused_before_anything_stops_when_the_source_is_gone(tmp_path, bench):
    site, package, ftp, settings = bench
    assert play(tmp_path, STAGE, settings, "stage").rc == 0
    staged_tree = site.server_dir.parent / "Temp_Updateordner" / "ConAktiv Server"
    victim = next(path for path in sorted(staged_tree.rglob("*")) if path.is_file() and path.name != "version.txt")
    victim.write_bytes(b"not what the vendor shipped")
    # The source is gone, and so is the controller's copy (the night's job runs in a fresh AWX execution environment).
    (ftp.root / package.name).unlink()
    shutil.rmtree(settings["conaktiv_update_cache_dir"])
    pid = site.server_pid()
    night = play(tmp_path, UPDATE, settings, "update", conaktiv_update_force=True)
    assert night.rc != 0
    # Refused in the stage phase: the server was never stopped, nobody was told, the old version runs on.
    assert site.server_pid() == pid and site.messages() == [] and site.server_status()["version"] == "1.0.0"
    record = history(site)[-1]
    assert record["outcome"] == "failed" and record["failed_phase"] == "stage" and record["downtime_s"] is None
    assert "the staged version 2.0.0 cannot be used (1 file(s) of the staged tree differ from its manifest: changed: " in record["error"]
    assert "cannot be staged again" in record["error"] and ftp.password not in night.output


def test_staging_is_refused_while_an_update_holds_the_lock_and_waits_for_nothing_else(tmp_path, bench):
    site, _package, _ftp, settings = bench
    # A server that runs the target version already needs no staging.
    site.set_faults({"migration_seconds": 1})
    up_to_date = play(tmp_path, STAGE, {**settings, "conaktiv_update_version": "1.0.0"}, "same")
    assert up_to_date.rc == 0, up_to_date.output
    assert "ConAktiv 1.0.0 is installed already: nothing to stage" in up_to_date.output
    assert not (site.server_dir.parent / "Temp_Updateordner").exists() and history(site) == []
    # A staging of an older version than the installed one is refused like the update's downgrade.
    down = play(tmp_path, STAGE, {**settings, "conaktiv_update_version": "0.9.0"}, "down")
    assert down.rc != 0 and "older than the installed 1.0.0" in down.output
