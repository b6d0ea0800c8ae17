"""The role conaktiv_update through playbooks/update.yml, end to end against the simulator."""

from __future__ import annotations

import datetime
import json
import pathlib
import socket

import pytest

from playbook import REPO, run_playbook
from roleargs import role_vars, write_inventory

UPDATE = REPO / "playbooks" / "update.yml"
PRESERVED_ITEMS = ("Server Database/Preferences", "Server Database/cert.pem", "Server Database/key.pem", "Server Database/Resources/Hunspell")
PRESERVED = [f"ConAktiv Server/{item}" for item in PRESERVED_ITEMS]


def update(tmp_path: pathlib.Path, site, package, name: str = "run", extra_args=(), env_extra=None, **extra):
    inventory = write_inventory(tmp_path / f"{name}-inventory.yml", {"localhost": role_vars(site, package, **extra)})
    return run_playbook(UPDATE, tmp_path / f"{name}-results.jsonl", inventory=inventory, extra_args=extra_args, env_extra=env_extra)


def history(site) -> list[dict]:
    path = site.root / "conaktiv-update-history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def changed_count(run) -> int:
    return sum(1 for entry in run.results if entry["status"] == "ok" and entry["result"].get("changed"))


@pytest.fixture
def site(sim_site_factory):
    site = sim_site_factory(faults={"migration_seconds": 1})
    site.start()
    return site


def test_update_with_users_who_log_off_mails_the_admin_and_is_idempotent(tmp_path, site, sim_package, smtp_auth_server, ftp_server):
    site.login("anna", "ben", logoff_after=2)
    preserved = site.snapshot(PRESERVED)
    package = sim_package("2.0.0")
    (ftp_server.root / package.name).write_bytes(package.read_bytes())
    smtp = {"host": "127.0.0.1", "port": smtp_auth_server.port, "security": "none",
            "username": smtp_auth_server.config.user, "password": smtp_auth_server.config.password}
    source = {"conaktiv_update_source": f"{ftp_server.url}{package.name}", "conaktiv_update_source_username": ftp_server.user,
              "conaktiv_update_source_password": ftp_server.password}
    run = update(tmp_path, site, package, conaktiv_update_smtp=smtp, conaktiv_update_admin_email=["admin@example.test"], **source)
    assert run.rc == 0, run.output
    smtp_server = smtp_auth_server
    status = site.server_status()
    assert status["version"] == "2.0.0" and status["structure_version"] == "2.0.0" and status["state"] == "ready"
    assert site.snapshot(PRESERVED) == preserved
    assert not list(site.root.glob("ConAktiv Server_old*")) and not (site.root / "Temp_Updateordner").exists()
    messages = site.messages()
    assert messages and "2.0.0" in messages[0]["text"] and sorted(messages[0]["delivered_to"]) == ["anna", "ben"]
    (record,) = history(site)
    assert record["outcome"] == "updated" and record["from_version"] == "1.0.0" and record["to_version"] == "2.0.0"
    assert [phase["name"] for phase in record["phases"]] == ["stage", "backup_pre", "stop", "swap", "start", "structure_update",
                                                             "backup_post", "cleanup"]
    assert record["downtime_s"] > 0 and {b["label"] for b in record["backups"]} == {"pre", "post"}
    assert record["mail"]["sent"] is True and record["mail"]["to"] == ["admin@example.test"] and record["mail"]["error"] is None
    assert record["kept"] == []
    (mail,) = smtp_server.wait_for_messages(1)
    assert "ConAktiv-Update auf localhost: aktualisiert (1.0.0 -> 2.0.0)" in mail.message["Subject"]
    for secret in (site.token, ftp_server.password, smtp_auth_server.config.password):
        assert secret not in run.output and secret not in mail.raw.decode() and secret not in json.dumps(record)
    again = update(tmp_path, site, package, name="again", extra_args=["-vvv"], **source)
    for secret in (site.token, ftp_server.password):
        assert secret not in again.output
    assert again.rc == 0, again.output
    assert changed_count(again) == 0, [e["task"] for e in again.results if e["result"].get("changed")]
    assert len(history(site)) == 1


def test_the_history_records_a_mail_that_could_not_be_sent_and_the_folders_kept(tmp_path, site, sim_package):
    with socket.socket() as probe:  # a port nothing listens on: the SMTP server is down
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    smtp = {"host": "127.0.0.1", "port": closed, "security": "none", "timeout": 5}
    run = update(tmp_path, site, sim_package("2.0.0"), conaktiv_update_smtp=smtp, conaktiv_update_admin_email=["admin@example.test"],
                 conaktiv_update_keep_old=1, conaktiv_update_backup={"method": "none"})
    assert run.rc == 0, run.output
    (record,) = history(site)
    assert record["outcome"] == "updated"
    assert record["mail"]["sent"] is False and "Connection refused" in record["mail"]["error"], record["mail"]
    assert record["kept"] == [str(site.root / "ConAktiv Server_old0001")] and (site.root / "ConAktiv Server_old0001").is_dir()


def test_the_result_is_a_fact_for_later_plays_and_an_artifact_for_awx(tmp_path, site, sim_package):
    run = update(tmp_path, site, sim_package("2.0.0"), conaktiv_update_backup={"method": "none"},
                 env_extra={"ANSIBLE_SHOW_CUSTOM_STATS": "true"})
    assert run.rc == 0, run.output
    result = run.task("conaktiv.server.conaktiv_update : Keep the result of this host for later plays and hooks")["ansible_facts"]["conaktiv_update_result"]
    assert result["outcome"] == "updated" and result["from_version"] == "1.0.0" and result["to_version"] == "2.0.0"
    assert result["running_version"] == "2.0.0" and result["answers"] is True and result["run_id"] and result["downtime_s"] > 0
    # ansible-playbook prints what set_stats collected (AWX keeps it as the job's artifact_data).
    stats = run.output[run.output.index("CUSTOM STATS"):]
    assert '"conaktiv_update"' in stats and '"localhost"' in stats and '"outcome": "updated"' in stats


def test_outside_the_window_nothing_happens(tmp_path, site, sim_package):
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    run = update(tmp_path, site, sim_package("2.0.0"), conaktiv_update_force=False, conaktiv_update_start_date=tomorrow,
                 conaktiv_update_time_from="00:00", conaktiv_update_time_to="00:00")
    assert run.rc == 0, run.output
    assert changed_count(run) == 0
    assert f"outside the update window: it opens {tomorrow} 00:00" in run.output
    assert site.server_status()["version"] == "1.0.0" and history(site) == []


def test_rollback_hooks_run_around_the_rollback_and_know_the_previous_version_and_the_backup(tmp_path, site, sim_package):
    site.set_faults({"migration_seconds": 1, "fail_start": {"versions": ["2.0.0"]}})
    hooks = {}
    for when in ("before", "after"):
        mark = tmp_path / f"{when}-rollback.txt"
        hook = tmp_path / f"{when}-rollback.yml"
        hook.write_text(f"- name: Note what a {when}-rollback hook knows\n  ansible.builtin.copy:\n    dest: {mark}\n"
                        "    content: \"{{ conaktiv_update_previous_version }} {{ conaktiv_update_backup_path }}\"\n")
        hooks[f"conaktiv_update_{when}_rollback_tasks_file"] = str(hook)
        hooks[when] = mark
    run = update(tmp_path, site, sim_package("2.0.0"), **{key: value for key, value in hooks.items() if key.startswith("conaktiv")})
    assert run.rc != 0 and "ZURÜCKGEROLLT (Phase start)" in run.output
    before, after = hooks["before"].read_text(), hooks["after"].read_text()
    assert before.startswith("1.0.0 ") and "ConAktiv-backup-pre-1.0.0-" in before and after == before
    assert site.server_status()["version"] == "1.0.0"


def test_inside_the_window_the_update_runs(tmp_path, site, sim_package):
    today = datetime.date.today().isoformat()
    run = update(tmp_path, site, sim_package("2.0.0"), conaktiv_update_force=False, conaktiv_update_start_date=today,
                 conaktiv_update_time_from="00:00", conaktiv_update_time_to="00:00", conaktiv_update_backup={"method": "none"})
    assert run.rc == 0, run.output
    assert site.server_status()["version"] == "2.0.0"


def test_users_who_never_log_off_are_stopped_after_the_maximum_wait(tmp_path, site, sim_package):
    users = site.tcp_users({"carla": None})
    try:
        run = update(tmp_path, site, sim_package("2.0.0"), conaktiv_update_max_wait=3, conaktiv_update_backup={"method": "none"})
    finally:
        users.close()
    assert run.rc == 0, run.output
    stop = next(e["result"] for e in run.results if e["task"].endswith("stop the ConAktiv server"))
    assert stop["drain"]["timed_out"] is True and stop["drain"]["remaining_users"] == ["carla"]
    assert stop["drain"]["waited_s"] >= 3
    assert site.server_status()["version"] == "2.0.0"


@pytest.mark.parametrize("fault, phase", [({"fail_start": {"versions": ["2.0.0"]}}, "start"),
                                          ({"structure_update_fail": {"versions": ["2.0.0"]}}, "structure_update")])
def test_a_failed_new_version_is_rolled_back_with_data_restored(tmp_path, site, sim_package, smtp_server, fault, phase):
    before = site.snapshot(["ConAktiv Server/Server Database"])
    data_before = site.snapshot([site.data_dir.name])
    site.set_faults({"migration_seconds": 1, **fault})
    smtp = {"host": "127.0.0.1", "port": smtp_server.port, "security": "none"}
    run = update(tmp_path, site, sim_package("2.0.0"), conaktiv_update_smtp=smtp, conaktiv_update_admin_email=["admin@example.test"])
    assert run.rc != 0
    assert f"ZURÜCKGEROLLT (Phase {phase})" in run.output
    assert "Jetzt läuft: Version 1.0.0, antwortet" in run.output and "Nächster Schritt:" in run.output
    status = site.server_status()
    assert status["version"] == "1.0.0" and status["state"] == "ready" and status["structure_version"] == "1.0.0"
    assert site.snapshot(["ConAktiv Server/Server Database"]) == before
    (record,) = history(site)
    assert record["outcome"] == "rolled_back" and record["failed_phase"] == phase and record["error"]
    assert "rollback_start" in [p["name"] for p in record["phases"]]
    (mail,) = smtp_server.wait_for_messages(1)
    assert str(mail.message["Subject"]).strip().startswith("[ZURÜCKGEROLLT] ") and "zurückgerollt" in mail.message["Subject"]
    records_now = {k: v for k, v in site.snapshot([site.data_dir.name]).items() if "/records/" in k}
    assert records_now == {k: v for k, v in data_before.items() if "/records/" in k}, "the user data must be back as before"


def test_already_up_to_date_changes_nothing(tmp_path, sim_site_factory, sim_package):
    site = sim_site_factory(version="2.0.0")
    site.start()
    run = update(tmp_path, site, sim_package("2.0.0"))
    assert run.rc == 0, run.output
    assert changed_count(run) == 0
    assert "already installed" in run.output and history(site) == []


def test_check_mode_predicts_and_changes_nothing(tmp_path, site, sim_package):
    site.login("anna", logoff_after=1)
    listing = sorted(p.name for p in site.root.iterdir())
    server_files = site.snapshot(["ConAktiv Server"])
    run = update(tmp_path, site, sim_package("2.0.0"), extra_args=["--check"])
    assert run.rc == 0, run.output
    assert changed_count(run) > 0
    assert sorted(p.name for p in site.root.iterdir()) == listing
    assert site.snapshot(["ConAktiv Server"]) == server_files
    assert site.server_status()["version"] == "1.0.0" and site.messages() == []
    assert [s["user"] for s in site.control("GET", "/api/sessions")["sessions"]] == ["anna"]


def test_a_failure_before_the_stop_leaves_the_server_running_and_is_reported(tmp_path, site, sim_package, smtp_server):
    hook = tmp_path / "after_stop_hook.yml"
    marker = tmp_path / "hook-ran"
    hook.write_text(f"- name: Leave a mark\n  ansible.builtin.file:\n    path: {marker}\n    state: touch\n")
    smtp = {"host": "127.0.0.1", "port": smtp_server.port, "security": "none"}
    run = update(tmp_path, site, sim_package("2.0.0"), conaktiv_update_checksum="sha256:" + "0" * 64,
                 conaktiv_update_smtp=smtp, conaktiv_update_admin_email=["admin@example.test"],
                 conaktiv_update_before_stage_tasks_file=str(hook))
    assert run.rc != 0
    assert "FEHLGESCHLAGEN (Phase stage)" in run.output and "Grund: checksum mismatch" in run.output
    assert marker.exists(), "the before-stage hook must have run"
    status = site.server_status()
    assert status["version"] == "1.0.0" and status["state"] == "ready"
    (record,) = history(site)
    assert record["outcome"] == "failed" and record["failed_phase"] == "stage" and record["downtime_s"] is None
    # A long subject is folded after "Subject:"; unfolded it starts with the marker.
    assert str(smtp_server.wait_for_messages(1)[0].message["Subject"]).strip().startswith("[FEHLGESCHLAGEN] ConAktiv-Update auf localhost: fehlgeschlagen")
