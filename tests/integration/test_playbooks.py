"""playbooks/status.yml and playbooks/rollback.yml against simulator sites."""

from __future__ import annotations

import json

from playbook import REPO, run_playbook, run_tasks
from roleargs import role_vars, write_inventory
from siteargs import control, service

RECORD = {
    "run_id": "r-1", "host": "localhost", "started": "2026-11-23T22:00:00+00:00", "finished": "2026-11-23T22:01:30+00:00",
    "from_version": "0.9.0", "to_version": "1.0.0", "outcome": "updated", "downtime_s": 12.0, "error": None, "failed_phase": None,
    "backups": [], "phases": [{"name": "swap", "started": "2026-11-23T22:01:00+00:00", "duration_s": 2.0, "outcome": "changed", "detail": ""}],
}


def test_status_shows_version_users_and_history_and_changes_nothing(tmp_path, sim_site, sim_package):
    sim_site.start()
    sim_site.login("anna")
    recorded = run_tasks(tmp_path / "history", [{"name": "record", "conaktiv.server.history": {
        "server_path": str(sim_site.server_dir), "record": RECORD}}])
    assert recorded.rc == 0, recorded.output
    inventory = write_inventory(tmp_path / "inventory.yml", {"localhost": role_vars(sim_site, sim_package("2.0.0"))})
    listing = sorted(p.name for p in sim_site.root.iterdir())
    run = run_playbook(REPO / "playbooks" / "status.yml", tmp_path / "status.jsonl", inventory=inventory,
                       extra_args=["--check", "-e", f"conaktiv_status_report_dir={tmp_path / 'report'}"], env_extra={"TZ": "Europe/Berlin"})
    assert run.rc == 0, run.output
    lines = run.task("Show the server's state and its update history")["msg"]
    assert "Version:          1.0.0 (Steuerschnittstelle)" in lines
    assert "Benutzer:         anna" in lines and "Zeitzone:         Europe/Berlin" in lines
    # The history holds UTC; the server's local time is shown, with its zone.
    assert any(line.startswith("2026-11-23 23:00 CET  aktualisiert  0.9.0  1.0.0") for line in lines), lines
    # The report is the controller's: written under --check too; the server is untouched.
    assert (tmp_path / "report" / "conaktiv-status.html").is_file()
    assert sorted(p.name for p in sim_site.root.iterdir()) == listing
    assert sim_site.token not in run.output


def test_rollback_playbook_puts_the_kept_old_version_back(tmp_path, sim_site, sim_package):
    package = sim_package("2.0.0")
    args = {"server_path": str(sim_site.server_dir)}
    steps = [{"name": "stage", "conaktiv.server.stage": {**args, "version": "2.0.0", "source": str(package)}},
             {"name": "swap", "conaktiv.server.swap": {**args, "service": service(sim_site), "control": control(sim_site)}},
             {"name": "start", "conaktiv.server.service": {"state": "started", "service": service(sim_site), "control": control(sim_site)}}]
    updated = run_tasks(tmp_path / "update", steps)
    assert updated.rc == 0, updated.output
    assert sim_site.server_status()["version"] == "2.0.0"
    inventory = write_inventory(tmp_path / "inventory.yml", {"localhost": role_vars(sim_site, package)})
    run = run_playbook(REPO / "playbooks" / "rollback.yml", tmp_path / "rollback.jsonl", inventory=inventory)
    assert run.rc == 0, run.output
    status = sim_site.server_status()
    assert status["version"] == "1.0.0" and status["state"] == "ready"
    (record,) = [json.loads(line) for line in (sim_site.root / "conaktiv-update-history.jsonl").read_text().splitlines()]
    assert record["outcome"] == "rolled_back" and record["from_version"] == "2.0.0" and record["to_version"] == "1.0.0"
    assert (sim_site.root / "ConAktiv Server_failed0001" / "version.txt").read_text().strip() == "2.0.0"
