"""conaktiv.server.info against a real simulator site, through ansible-playbook."""

from __future__ import annotations

import json
import shutil

from playbook import run_tasks
from siteargs import server

INFO = "Read the ConAktiv server facts"


def info_task(site, **extra):
    return {"name": INFO, "conaktiv.server.info": server(site, **extra), "register": "facts"}


def test_running_server_reports_version_sessions_and_preserved_items(tmp_path, sim_site):
    sim_site.start()
    sim_site.login("anna", "ben")
    run = run_tasks(tmp_path / "play", [info_task(sim_site)], extra_args=["-vvv"])
    assert run.rc == 0, run.output
    facts = run.task(INFO)
    assert facts["changed"] is False
    assert facts["installed_version"] == "1.0.0" and facts["version_source"] == "control"
    assert facts["control_state"] == "ready" and facts["service_state"] == "running"
    assert sorted(facts["sessions"]) == ["anna", "ben"]
    assert facts["preserved"] == {"Server Database/Preferences": True, "Server Database/cert.pem": True,
                                  "Server Database/key.pem": True, "Server Database/Resources/Hunspell": True}
    assert facts["staged"] is None and facts["old_folders"] == [] and facts["history"] == []
    assert facts["free_bytes"] > 0
    assert sim_site.token not in run.output, "the control token leaked into the output"


def test_stopped_server_falls_back_to_the_version_file_and_check_mode_changes_nothing(tmp_path, sim_site):
    (sim_site.server_dir.parent / "ConAktiv Server_old0003").mkdir()
    shutil.rmtree(sim_site.server_dir / "Server Database" / "Resources")
    before = sorted(p.name for p in sim_site.root.iterdir())
    run = run_tasks(tmp_path / "play", [info_task(sim_site)], extra_args=["--check"])
    assert run.rc == 0, run.output
    facts = run.task(INFO)
    assert facts["installed_version"] == "1.0.0" and facts["version_source"] == "file"
    assert facts["service_state"] == "stopped" and facts["control_state"] == "unreachable"
    assert facts["sessions"] is None
    assert facts["preserved"]["Server Database/Resources/Hunspell"] is False
    assert facts["old_folders"] == ["ConAktiv Server_old0003"]
    assert sorted(p.name for p in sim_site.root.iterdir()) == before
    assert "[WARNING]" not in run.output


def test_relative_server_path_is_a_clear_error(tmp_path, sim_site):
    run = run_tasks(tmp_path / "play", [info_task(sim_site) | {"conaktiv.server.info": server(sim_site, server_path="ConAktiv Server")}])
    assert run.rc != 0
    assert "server_path must be an absolute path" in run.task(INFO)["msg"]


def test_a_staging_is_reported_with_its_age_and_as_stale_incomplete_or_for_another_version(tmp_path, sim_site):
    temp = sim_site.root / "Temp_Updateordner"
    (temp / "ConAktiv Server").mkdir(parents=True)
    (temp / "conaktiv-stage-manifest.json").write_text("{}", encoding="utf-8")
    marker = {"version": "2.0.0", "checksum": "sha256:ab", "staged_at": "2026-11-01T10:00:00+00:00",
              "manifest": {"name": "conaktiv-stage-manifest.json", "sha256": "x", "files": 1}}
    (temp / "stage.json").write_text(json.dumps(marker), encoding="utf-8")
    run = run_tasks(tmp_path / "play", [info_task(sim_site, version="2.0.0", stage_max_age_days=14),
                                        {"name": "other", "conaktiv.server.info": server(sim_site, version="2.1.0", stage_max_age_days=0)}])
    assert run.rc == 0, run.output
    staged = run.task(INFO)["staged"]
    assert staged["version"] == "2.0.0" and staged["staged_at"] == marker["staged_at"] and staged["age_days"] > 14
    assert staged["valid"] and staged["complete"] and staged["for_target"] is True and staged["stale"] is True
    other = run.task("other")["staged"]
    assert other["for_target"] is False and other["stale"] is False, "0 days: never stale"
    # Without its manifest the staging is incomplete; without a marker it is not valid; without the tree nothing is staged
    # (after a swap the marker stays until the cleanup, its tree is the server folder then).
    (temp / "conaktiv-stage-manifest.json").unlink()
    (temp / "stage.json").write_text("not json", encoding="utf-8")
    broken = run_tasks(tmp_path / "play", [info_task(sim_site)]).task(INFO)["staged"]
    assert broken["complete"] is False and broken["valid"] is False and broken["version"] is None
    (temp / "ConAktiv Server").rmdir()
    assert run_tasks(tmp_path / "play", [info_task(sim_site)]).task(INFO)["staged"] is None
