"""Structure update on the first start of a newer version: states, log lines, records rewritten."""

from __future__ import annotations

import datetime
import json
import shutil
import sys
import time
import zipfile
from pathlib import Path
from typing import List

import pytest

from conaktiv_sim.package import build_package
from conaktiv_sim.testing import Site

STARTED = "structure update 1.0.0 -> 2.0.0 started"
FINISHED = "structure update 1.0.0 -> 2.0.0 finished"


def record_versions(site: Site) -> List[object]:
    """structure_version field of every record (None where the field is missing)."""
    return [json.loads(path.read_text()).get("structure_version") for path in sorted((site.data_dir / "records").glob("*.json"))]


def log_time(line: str) -> datetime.datetime:
    """Timestamp at the start of a structure update log line."""
    return datetime.datetime.fromisoformat(line.split(" ", 1)[0])


def swap_in(site: Site, package: Path, workdir: Path) -> None:
    """What the update does while the server is down: new server folder, old Preferences/cert/key/Hunspell kept."""
    with zipfile.ZipFile(package) as archive:
        archive.extractall(workdir)
    new = workdir / "ConAktiv Server"
    old = site.server_dir.with_name("ConAktiv Server_old0001")
    site.server_dir.rename(old)
    for preserved in ("Preferences", "Resources/Hunspell"):
        shutil.rmtree(new / "Server Database" / preserved)
        shutil.copytree(old / "Server Database" / preserved, new / "Server Database" / preserved)
    for name in ("cert.pem", "key.pem"):
        shutil.copy2(old / "Server Database" / name, new / "Server Database" / name)
    new.rename(site.server_dir)


def test_new_version_runs_the_structure_update_before_it_is_ready(site: Site, tmp_path: Path) -> None:
    site.start()
    site.wait_state("ready")
    site.stop()
    assert site.structure_log() == []
    swap_in(site, build_package(tmp_path / "conaktiv-2.0.0.zip", "2.0.0"), tmp_path / "staged")
    site.set_faults({"migration_seconds": 0.6})
    site.start()
    status = site.control("GET", "/api/status")
    assert (status["version"], status["structure_version"], status["state"]) == ("2.0.0", "1.0.0", "migrating")
    assert site.control_raw("POST", "/api/sessions", {"user": "anna"})[0] == 409  # no logins during the update
    ready = site.wait_state("ready", timeout=10)
    assert ready["structure_version"] == "2.0.0" and ready["error"] is None
    assert site.structure_version() == "2.0.0"
    assert record_versions(site) == ["2.0.0"] * 40
    lines = site.structure_log()
    assert [line.split(" ", 1)[1] for line in lines] == [STARTED, FINISHED]
    assert (log_time(lines[1]) - log_time(lines[0])).total_seconds() >= 0.5
    site.stop()
    site.start()  # second start of the same version: nothing to update
    site.wait_state("ready")
    assert len(site.structure_log()) == 2


def test_installed_site_with_old_data_is_updated(make_site) -> None:
    site = make_site(version="2.0.0", structure_version="1.0.0", faults={"migration_seconds": 0.2})
    assert record_versions(site) == [None] * 40
    site.start()
    site.wait_state("ready", timeout=10)
    assert record_versions(site) == ["2.0.0"] * 40
    assert [line.split(" ", 1)[1] for line in site.structure_log()] == [STARTED, FINISHED]


def test_structure_update_duration_from_fault_file(make_site) -> None:
    site = make_site(version="2.0.0", structure_version="1.0.0", records=4, faults={"migration_seconds": {"seconds": 1.0}})
    site.start()
    began = time.monotonic()
    site.wait_state("ready", timeout=10)
    assert time.monotonic() - began >= 0.7


def test_stop_during_the_update_interrupts_it_and_the_next_start_finishes_it(make_site) -> None:
    site = make_site(version="2.0.0", structure_version="1.0.0", faults={"migration_seconds": 5})
    site.start()
    site.wait_state("migrating")
    began = time.monotonic()
    site.stop()
    assert time.monotonic() - began < 2
    assert site.structure_version() == "1.0.0"
    assert site.structure_log()[-1].endswith("structure update 1.0.0 -> 2.0.0 interrupted: server stopping")
    site.set_faults({"migration_seconds": 0.2})
    site.start()
    site.wait_state("ready", timeout=10)
    assert site.structure_version() == "2.0.0" and record_versions(site) == ["2.0.0"] * 40


def test_data_newer_than_the_server_is_used_as_is(make_site) -> None:
    site = make_site(version="1.0.0", structure_version="2.0.0")
    site.start()
    status = site.wait_state("ready")
    assert (status["version"], status["structure_version"]) == ("1.0.0", "2.0.0")
    assert site.structure_log() == [] and "newer than server" in site.server_output()


def test_server_runs_with_python_3_9(make_site) -> None:
    old_python = sorted(Path.home().glob(".pyenv/versions/3.9*/bin/python3.9"))
    if not old_python:
        pytest.skip("no Python 3.9 interpreter on this machine")
    assert sys.version_info >= (3, 9)
    site = make_site(version="2.0.0", structure_version="1.0.0", python=str(old_python[-1]), faults={"migration_seconds": 0.2})
    site.start()
    site.wait_state("ready", timeout=10)
    site.login("anna")
    assert site.control("POST", "/api/message", {"text": "hi"})["delivered_to"] == ["anna"]
    assert Path(site.control("POST", "/api/backup", {})["path"]).exists()
    site.stop()
