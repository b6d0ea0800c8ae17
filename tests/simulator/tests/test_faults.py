"""Every fault switch does what the README says."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from conaktiv_sim.testing import SIMULATOR_ROOT, Site

STARTED = "structure update 1.0.0 -> 2.0.0 started"


def migrated_records(site: Site) -> int:
    """How many records carry the new structure version."""
    return sum(1 for path in (site.data_dir / "records").glob("*.json") if json.loads(path.read_text()).get("structure_version") == "2.0.0")


def test_refuse_stop(running_site: Site) -> None:
    running_site.set_faults({"refuse_stop": {}})  # read at the stop request, not only at start
    pid = running_site.server_pid()
    result = running_site.service("stop", "--timeout", "1")
    assert result.returncode == 3
    assert f"server pid {pid} did not stop within 1 s" in result.stderr
    assert running_site.status() == "running"
    assert running_site.control("GET", "/api/status")["state"] == "ready"
    assert "stop request ignored (fault refuse_stop)" in running_site.server_output()
    running_site.set_faults(None)
    assert running_site.service("stop").returncode == 0
    running_site.wait_stopped(5)


def test_backup_fail(running_site: Site) -> None:
    running_site.set_faults({"backup_fail": {"versions": ["1.0.0"]}})  # read at the request
    status, body = running_site.control_raw("POST", "/api/backup", {"label": "pre"})
    assert status == 500 and "simulated backup failure" in body["error"]
    assert running_site.backups() == []
    running_site.set_faults({"backup_fail": {"versions": ["2.0.0"]}})
    assert running_site.control("POST", "/api/backup", {"label": "pre"})["path"]


def test_linger_after_stop(running_site: Site) -> None:
    running_site.set_faults({"linger_after_stop": {"seconds": 2}})
    pid = running_site.server_pid()
    began = time.monotonic()
    result = running_site.service("stop")
    assert result.returncode == 0 and result.stdout.strip() == "stopped"
    assert time.monotonic() - began < 1.5
    assert running_site.status() == "stopped"  # the service manager believes it
    assert running_site.server_pid() == pid  # but the process is still there
    assert (running_site.data_dir / "server.pid").read_text().strip() == str(pid)
    assert running_site.data_locked()
    assert running_site.server_status() is None  # its listeners are closed
    early = running_site.service("start")
    assert early.returncode == 1 and "data in use" in early.stderr
    running_site.wait_stopped(5)
    assert time.monotonic() - began >= 1.9
    assert not (running_site.data_dir / "server.pid").exists() and not running_site.data_locked()
    running_site.set_faults(None)
    running_site.start()
    assert running_site.status() == "running"


def test_fail_start(site: Site) -> None:
    site.set_faults({"fail_start": {}})
    result = site.service("start")
    assert result.returncode == 1
    assert "simulated start failure" in result.stderr and "exited with code 1" in result.stderr
    assert site.status() == "stopped"
    assert not (site.data_dir / "server.pid").exists()


def test_faults_apply_only_to_their_versions(site: Site) -> None:
    site.set_faults({"fail_start": {"versions": ["2.0.0"]}, "refuse_stop": {"versions": ["2.0.0"]}})
    site.start()
    assert site.stop().returncode == 0
    site.set_faults({"fail_start": {"versions": ["1.0.0"]}})
    assert site.service("start").returncode == 1


def test_structure_update_fail(make_site) -> None:
    site = make_site(version="2.0.0", structure_version="1.0.0",
                     faults={"structure_update_fail": {}, "migration_seconds": 0.2})
    site.start()
    status = site.wait_state("failed", timeout=10)
    assert status["error"] == "structure update 1.0.0 -> 2.0.0 failed: simulated structure update failure"
    assert status["structure_version"] == "1.0.0" and site.structure_version() == "1.0.0"
    lines = [line.split(" ", 1)[1] for line in site.structure_log()]
    assert lines == [STARTED, "structure update 1.0.0 -> 2.0.0 failed: simulated structure update failure"]
    assert site.status() == "running"  # the process stays up, the control interface answers
    assert site.control_raw("POST", "/api/backup", {"label": "post"})[0] == 409
    assert site.control_raw("POST", "/api/sessions", {"user": "anna"})[0] == 409
    assert site.stop().returncode == 0


def test_structure_update_hang(make_site) -> None:
    site = make_site(version="2.0.0", structure_version="1.0.0",
                     faults={"structure_update_hang": {}, "migration_seconds": 0.2})
    site.start()
    time.sleep(0.8)  # four times the update's duration
    status = site.control("GET", "/api/status")
    assert (status["state"], status["structure_version"], status["error"]) == ("migrating", "1.0.0", None)
    assert 0 < migrated_records(site) < 40
    assert site.control_raw("POST", "/api/backup", {})[0] == 409
    refused = subprocess.run([sys.executable, "-m", "conaktiv_sim", "users", "--port", str(site.client_port), "--user", "anna:1"],
                             cwd=SIMULATOR_ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert (refused.returncode, refused.stdout) == (1, "anna login refused: ERROR server is migrating\n")
    assert [line.split(" ", 1)[1] for line in site.structure_log()] == [STARTED]
    began = time.monotonic()
    assert site.stop().returncode == 0
    assert time.monotonic() - began < 2
    assert site.structure_version() == "1.0.0"


def test_crash_during_structure_update_exits_70(make_site) -> None:
    site = make_site(version="2.0.0", structure_version="1.0.0",
                     faults={"crash_during_structure_update": {}, "migration_seconds": 0.4})
    result = subprocess.run([sys.executable, str(site.server_dir / "conaktiv_server.py"), "--data", str(site.data_dir),
                             "--site", str(site.service_dir)], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 70
    assert "crash: structure update 1.0.0 -> 2.0.0 crashed" in result.stdout
    assert [line.split(" ", 1)[1] for line in site.structure_log()] == [STARTED]
    assert site.structure_version() == "1.0.0"
    assert migrated_records(site) == 20  # halfway
    assert not (site.data_dir / "server.pid").exists() and not site.data_locked()
    assert not (site.service_dir / "stopped").exists()  # a crash is no reported stop


def test_crash_during_structure_update_through_the_wrapper(make_site) -> None:
    site = make_site(version="2.0.0", structure_version="1.0.0",
                     faults={"crash_during_structure_update": {}, "migration_seconds": 2})
    site.start()  # started = control interface answers; the update is still running
    assert site.control("GET", "/api/status")["state"] == "migrating"
    site.wait_stopped(10)
    assert site.status() == "stopped"
    assert "crashed (fault crash_during_structure_update)" in site.server_output()
    site.set_faults({"migration_seconds": 0.2})
    site.start()  # the next start runs the whole update again
    site.wait_state("ready", timeout=10)
    assert site.structure_version() == "2.0.0" and migrated_records(site) == 40


def test_startup_seconds_keep_the_state_starting(make_site) -> None:
    site = make_site(faults={"startup_seconds": 0.6})
    site.start()
    assert site.control("GET", "/api/status")["state"] == "starting"
    assert site.control_raw("POST", "/api/sessions", {"user": "anna"}) == (409, {"error": "server is starting"})
    site.wait_state("ready", timeout=5)
