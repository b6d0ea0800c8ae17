# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The phases (the real action plugins) against the emulated Windows host: the POSIX scenarios, on Windows.

The connection's shell family is powershell, so every phase drives :class:`WindowsHost`; every module
call it makes is checked against the installed modules' argument specs (the ``emulator`` fixture fails
the test on any violation).
"""

from __future__ import annotations

import json
import time

import pytest
from winsite import BASE, Site, install_site

from ansible_collections.conaktiv.server.plugins.plugin_utils._history import parse_history
from ansible_collections.conaktiv.server.plugins.plugin_utils._windows_host import CUTOVER_SCRIPT, VOLUME_SCRIPT, WindowsHost

TEMP = f"{BASE}\\Temp_Updateordner"
BACKUPS = f"{BASE}\\Backups"


def ok(result: dict) -> dict:
    """``result`` of a phase that must have succeeded."""
    assert not result.get("failed") and not result.get("unreachable"), result.get("msg")
    return result


def stage(world, site: Site, package_path, version: str = "2.0.0", check: bool = True) -> dict:
    result = world.run("conaktiv.server.stage", {"server_path": site.server, "version": version, "source": str(package_path)})
    return ok(result) if check else result


def stop(world, site: Site, **extra) -> dict:
    return world.run("conaktiv.server.service", site.control(**{"state": "stopped", "max_wait": 2, "poll_interval": 1, **extra}))


def start(world, site: Site, **extra) -> dict:
    return world.run("conaktiv.server.service", site.control(state="started", start_timeout=10, **extra))


def swap(world, site: Site, **extra) -> dict:
    return world.run("conaktiv.server.swap", site.args(**extra))


def record(site: Site) -> dict:
    # One fixed time: the same record given twice is the same line (a time taken per call may cross a second in between).
    now = "2026-12-01T03:00:00+00:00"
    return {"run_id": "run-1", "host": "conaktiv-win01", "started": now, "finished": now, "from_version": "1.0.0", "to_version": "2.0.0",
            "outcome": "updated", "phases": [{"name": "swap", "started": now, "duration_s": 0.5, "outcome": "changed"}]}


def full_update(world, site: Site, package) -> None:
    """The role's order: stage, backup, drain and stop, swap, start, structure update, backup, history, cleanup."""
    stage(world, site, package("2.0.0"))
    ok(world.run("conaktiv.server.backup", site.args(label="pre", version="1.0.0", backup_dir=BACKUPS)))
    ok(stop(world, site))
    ok(swap(world, site, version="2.0.0"))
    ok(start(world, site))
    ok(world.run("conaktiv.server.structure_update", {"control": site.control()["control"], "version": "2.0.0", "timeout": 10, "poll_interval": 1}))
    ok(world.run("conaktiv.server.backup", site.args(label="post", version="2.0.0", backup_dir=BACKUPS)))
    ok(world.run("conaktiv.server.history", {"server_path": site.server, "record": record(site)}))
    ok(swap(world, site, state="cleaned"))


def test_full_update_sequence(world, site, package, emulator):
    preserved = site.preserved()
    facts = ok(world.run("conaktiv.server.info", site.args()))
    assert facts["installed_version"] == "1.0.0" and facts["service_state"] == "running" and facts["control_state"] == "ready"

    staged = stage(world, site, package("2.0.0"))
    assert staged["changed"] and site.version(f"{TEMP}\\ConAktiv Server") == "2.0.0"
    before = len(emulator.write_calls())
    again = stage(world, site, package("2.0.0"))
    assert again["changed"] is False and len(emulator.write_calls()) == before, "a re-stage of the same version only reads"

    backup = ok(world.run("conaktiv.server.backup", site.args(label="pre", version="1.0.0", backup_dir=BACKUPS)))
    assert backup["path"].startswith(f"{BACKUPS}\\ConAktiv-backup-pre-1.0.0-") and site.exists(backup["path"])

    site.service.sessions = ["anna"]
    stopped = ok(stop(world, site))
    assert stopped["changed"] and site.service.state == "stopped" and site.service.messages, "the users are told before the stop"

    swapped = ok(swap(world, site, version="2.0.0"))
    assert swapped["old_path"] == f"{site.server}_old0001" and swapped["version"] == "2.0.0"
    assert site.version() == "2.0.0" and site.version(swapped["old_path"]) == "1.0.0"
    assert site.preserved() == preserved and sorted(swapped["carried_over"]) == sorted(
        ["Server Database/Preferences", "Server Database/cert.pem", "Server Database/key.pem", "Server Database/Resources/Hunspell"])
    assert ok(swap(world, site, version="2.0.0"))["changed"] is False

    started = ok(start(world, site))
    assert started["changed"] and started["healthy"] and site.service.version == "2.0.0"
    update = ok(world.run("conaktiv.server.structure_update", {"control": site.control()["control"], "version": "2.0.0", "timeout": 10}))
    assert update["outcome"] == "finished" and update["structure_version"] == "2.0.0"
    ok(world.run("conaktiv.server.backup", site.args(label="post", version="2.0.0", backup_dir=BACKUPS)))
    ok(world.run("conaktiv.server.history", {"server_path": site.server, "record": record(site)}))

    cleaned = ok(swap(world, site, state="cleaned"))
    assert sorted(cleaned["removed"]) == sorted([f"{site.server}_old0001", TEMP])
    # The swap keeps its steps in the run journal beside the server folder, also when run by hand.
    assert site.names() == ["Backups", "ConAktiv Data", "ConAktiv Server", "conaktiv-update-history.jsonl", "conaktiv-update-journal.jsonl"]
    facts = ok(world.run("conaktiv.server.info", site.args()))
    assert facts["installed_version"] == "2.0.0" and facts["old_folders"] == [] and facts["staged"] is None
    assert [entry["to_version"] for entry in facts["history"]] == ["2.0.0"] and facts["history_warnings"] == []


def test_rerun_after_the_update_changes_nothing(world, site, package, emulator):
    full_update(world, site, package)
    before, calls = site.emulator.fs.snapshot(), len(emulator.calls)
    facts = ok(world.run("conaktiv.server.info", site.args()))
    assert facts["installed_version"] == "2.0.0", "the role skips the update phases when the target version is installed"
    assert ok(start(world, site))["changed"] is False
    assert ok(swap(world, site, state="cleaned"))["changed"] is False
    assert ok(world.run("conaktiv.server.history", {"server_path": site.server, "record": record(site)}))["changed"] is False
    assert site.emulator.fs.snapshot() == before
    assert not [call for call in emulator.calls[calls:] if call.changed]
    records, warnings = parse_history(site.read(f"{BASE}\\conaktiv-update-history.jsonl"))
    assert len(records) == 1 and not warnings


def test_check_mode_changes_nothing(world, site, package, emulator):
    before, calls = emulator.fs.snapshot(), len(emulator.calls)
    assert ok(world.run("conaktiv.server.stage", {"server_path": site.server, "version": "2.0.0", "source": str(package("2.0.0"))},
                        check_mode=True))["changed"]
    assert ok(world.run("conaktiv.server.service", site.control(state="stopped", max_wait=1), check_mode=True))["changed"]
    assert ok(world.run("conaktiv.server.backup", site.args(label="pre", version="1.0.0", backup_dir=BACKUPS), check_mode=True))["changed"]
    assert site.service.state == "started" and emulator.fs.snapshot() == before

    stage(world, site, package("2.0.0"))
    ok(stop(world, site))
    before, calls = emulator.fs.snapshot(), len(emulator.calls)
    predicted = ok(world.run("conaktiv.server.swap", site.args(version="2.0.0"), check_mode=True))
    assert predicted["changed"] and predicted["old_path"] == f"{site.server}_old0001" and "ConAktiv Server_old0001" in predicted["diff"]["after"]
    assert ok(world.run("conaktiv.server.swap", site.args(state="cleaned"), check_mode=True))["changed"]
    assert ok(world.run("conaktiv.server.service", site.control(state="started"), check_mode=True))["changed"]
    assert emulator.fs.snapshot() == before and site.service.state == "stopped"
    made = emulator.calls[calls:]
    assert made and not [call.module for call in made if call in emulator.write_calls()]


def test_rollback_after_a_failed_start(world, site, package):
    preserved = site.preserved()
    site.service.fail_start_versions = {"2.0.0"}
    stage(world, site, package("2.0.0"))
    ok(stop(world, site))
    ok(swap(world, site, version="2.0.0"))
    failed = start(world, site)
    assert failed.get("failed") and "stopped again right after it was started (exit code 1067" in failed["msg"]

    # The role's rescue: stop what is left, put the old folder back, start the previous version.
    assert ok(stop(world, site, wait_for_logoff=False))["changed"] is False
    rolled = ok(swap(world, site, state="rolled_back"))
    assert rolled["restored_from"] == f"{site.server}_old0001" and rolled["failed_path"] == f"{site.server}_failed0001"
    ok(start(world, site))
    assert site.service.version == "1.0.0" and site.service.status()["state"] == "ready"
    assert site.version() == "1.0.0" and site.version(f"{site.server}_failed0001") == "2.0.0" and site.preserved() == preserved
    assert ok(swap(world, site, state="rolled_back"))["changed"] is False


def test_interrupted_swap_is_resumed(world, site, package, emulator, monkeypatch):
    monkeypatch.setattr(WindowsHost, "in_use_retry_s", 0.0)
    preserved = site.preserved()
    stage(world, site, package("2.0.0"))
    ok(stop(world, site))
    staged_tree = f"{TEMP}\\ConAktiv Server"
    # The staged tree cannot be moved in (a file in it is in use): the cutover stops with the server folder already _old0001.
    scanner = emulator.fs.lock(f"{staged_tree}\\version.txt")
    stopped = swap(world, site, version="2.0.0")
    assert stopped.get("failed") and "renaming the staged version into the server folder failed" in stopped["msg"]
    assert stopped["steps"] == ["stopped", "begin", "renamed_old"]
    assert not site.exists(site.server) and site.exists(f"{site.server}_old0001") and site.exists(staged_tree)

    emulator.fs.locks.remove(scanner)
    resumed = ok(swap(world, site, version="2.0.0"))
    assert resumed["resumed"] is True and resumed["old_path"] == f"{site.server}_old0001"
    assert site.version() == "2.0.0" and site.preserved() == preserved
    ok(start(world, site))
    assert site.service.version == "2.0.0"


def test_next_old_folder_number_is_found_case_insensitively(world, site, package, emulator):
    emulator.write(f"{BASE}\\conaktiv server_OLD0003\\version.txt", "0.9.0\n")
    stage(world, site, package("2.0.0"))
    ok(stop(world, site))
    swapped = ok(swap(world, site, version="2.0.0"))
    assert swapped["old_path"] == f"{site.server}_old0004"
    facts = ok(world.run("conaktiv.server.info", site.args()))
    assert facts["old_folders"] == ["conaktiv server_OLD0003", "ConAktiv Server_old0004"]
    ok(start(world, site))
    cleaned = ok(swap(world, site, state="cleaned", keep_old=1))
    assert cleaned["removed"] == [f"{BASE}\\conaktiv server_OLD0003", TEMP]
    assert "ConAktiv Server_old0004" in site.names()


def test_update_in_a_folder_with_spaces_and_umlauts(world, emulator, package):
    site = install_site(emulator, base="D:\\Programme\\Büro Müller & Söhne")
    preserved = site.preserved()
    stage(world, site, package("2.0.0"))
    ok(stop(world, site))
    swapped = ok(swap(world, site, version="2.0.0"))
    assert swapped["old_path"] == "D:\\Programme\\Büro Müller & Söhne\\ConAktiv Server_old0001"
    ok(start(world, site))
    assert site.service.version == "2.0.0" and site.preserved() == preserved
    assert "Temp_Updateordner" in site.names()


def test_stage_reads_the_free_space_once_per_volume_and_checks_the_volume_without_a_round_trip(world, site, package, emulator):
    stage(world, site, package("2.0.0"))
    volume_calls = [call.args["parameters"]["Path"] for call in emulator.calls if call.args.get("script") == VOLUME_SCRIPT]
    # free_bytes of the parent folder, and of %TEMP% (on C:) where win_copy lands the package first; same_volume(server, temp)
    # is decided by the drive letters.
    assert volume_calls == [BASE, "%TEMP%"]


def test_a_package_that_does_not_fit_where_the_transfer_lands_first_is_refused_before_it_is_sent(world, site, package, emulator):
    emulator.fs.free["C"] = 1000
    result = stage(world, site, package("2.0.0"), check=False)
    assert result.get("failed") and "where the transfer lands first: %TEMP% (C:\\) has 1000 bytes free" in result["msg"]
    assert "set ansible_remote_tmp to a folder on D:" in result["msg"]
    # Only the staging's manifest (a few hundred bytes, written before the package goes) reached the host; no marker follows it.
    sent = [call.args["dest"] for call in emulator.calls
            if call.module in ("ansible.windows.win_copy", "community.windows.win_unzip") and call.args.get("_copy_mode") != "query"]
    assert [dest.rsplit("\\", 1)[-1] for dest in sent] == ["conaktiv-stage-manifest.json"], sent
    assert not emulator.fs.local(f"{BASE}\\Temp_Updateordner\\ConAktiv Server").exists()
    assert not emulator.fs.local(f"{BASE}\\Temp_Updateordner\\stage.json").exists()


def test_archive_backup_and_restore_of_the_data(world, site, emulator):
    ok(stop(world, site))
    data = f"{BASE}\\ConAktiv Data"
    before = site.read(f"{data}\\records\\record-00001.json")
    made = ok(world.run("conaktiv.server.backup", site.args(method="archive", label="pre", version="1.0.0", backup_dir=BACKUPS,
                                                            data_path=data)))
    assert made["path"].endswith(".zip") and made["size"] > 0
    emulator.write(f"{data}\\records\\record-00001.json", '{"migrated": true}')
    restored = ok(world.run("conaktiv.server.backup", {**site.control(), "state": "restored", "path": made["path"], "data_path": data}))
    assert restored["replaced_data"] == f"{data}_failed0001"
    assert site.read(f"{data}\\records\\record-00001.json") == before
    assert site.read(f"{data}_failed0001\\records\\record-00001.json") == '{"migrated": true}'


def test_tar_gz_package_is_staged_through_win_unzip(world, site, package):
    stage(world, site, package("2.0.0", fmt="tar.gz"))
    assert site.version(f"{TEMP}\\ConAktiv Server") == "2.0.0"


def test_a_rename_refused_by_a_file_in_use_fails_clearly_and_the_server_still_starts(world, site, package, emulator, monkeypatch):
    monkeypatch.setattr(WindowsHost, "in_use_retry_s", 1.0)
    monkeypatch.setattr(WindowsHost, "in_use_backoff_first_s", 0.25)
    stage(world, site, package("2.0.0"))
    ok(stop(world, site))
    scanner = emulator.fs.lock(f"{site.server}\\Server Database\\Logs\\server.log")  # e.g. a virus scanner or a backup agent
    started = time.monotonic()
    refused = swap(world, site, version="2.0.0")
    assert refused.get("failed") and time.monotonic() - started < 3
    assert "is still in use" in refused["msg"] and "is unchanged, so the server can still be started from it" in refused["msg"]
    assert site.version() == "1.0.0" and not site.exists(f"{site.server}_old0001")
    ok(start(world, site))
    assert site.service.version == "1.0.0"

    emulator.fs.locks.remove(scanner)
    ok(stop(world, site))
    resumed = ok(swap(world, site, version="2.0.0"))
    assert resumed["resumed"] is True and site.version() == "2.0.0"


def test_rollback_after_a_refused_first_rename_has_nothing_to_undo(world, site, package, emulator, monkeypatch):
    monkeypatch.setattr(WindowsHost, "in_use_retry_s", 0.0)
    stage(world, site, package("2.0.0"))
    ok(stop(world, site))
    emulator.fs.lock(f"{site.server}\\Server Database\\Logs\\server.log")
    assert swap(world, site, version="2.0.0").get("failed")
    rolled = ok(swap(world, site, state="rolled_back"))
    assert rolled["changed"] is False and site.version() == "1.0.0"
    ok(start(world, site))
    assert site.service.version == "1.0.0"


def test_a_rename_is_retried_until_the_file_is_released(world, site, package, emulator, monkeypatch):
    monkeypatch.setattr(WindowsHost, "in_use_retry_s", 10.0)
    monkeypatch.setattr(WindowsHost, "in_use_backoff_first_s", 0.25)
    stage(world, site, package("2.0.0"))
    ok(stop(world, site))
    emulator.fs.lock(f"{site.server}\\Server Database\\Logs\\server.log", release_after=2)
    started = time.monotonic()
    ok(swap(world, site, version="2.0.0"))
    (cutover,) = [call for call in emulator.calls if call.args.get("script") == CUTOVER_SCRIPT]
    assert cutover.result["result"]["refusals"] == 2, "refused twice, moved at the third try, all inside the one cutover call"
    assert 0.75 <= time.monotonic() - started < 3, "pauses of 0.25 s and 0.5 s between the tries"
    assert site.version() == "2.0.0"


def test_a_stop_that_hangs_ends_with_a_clear_error_in_time(world, site, monkeypatch):
    monkeypatch.setattr(WindowsHost, "service_timeout_s", 1.0)
    site.service.hang_on_stop = True
    started = time.monotonic()
    result = stop(world, site, stop_timeout=1)
    assert time.monotonic() - started < 4
    assert result.get("failed") and "did not stop within 1 s (still stop_pending)" in result["msg"]
    assert "stopping the ConAktiv server failed" in result["msg"]


def test_a_process_that_lingers_after_the_stop_is_waited_for(world, site, package, monkeypatch):
    monkeypatch.setattr(WindowsHost, "in_use_retry_s", 0.0)  # no retries: the swap must not need them
    site.service.linger_seconds = 1.0
    stage(world, site, package("2.0.0"))
    pid = site.service.pid
    started = time.monotonic()
    ok(stop(world, site))
    assert time.monotonic() - started >= 1.0 and not site.service.process_alive(pid)
    ok(swap(world, site, version="2.0.0"))


@pytest.mark.parametrize("users, logoff", [(["anna", "ben"], True), (["carla"], False)])
def test_drain_tells_the_users_and_waits_for_them(world, site, users, logoff):
    site.service.sessions, site.service.logoff_on_message = list(users), logoff
    result = ok(stop(world, site, max_wait=1, reminder_interval=1))
    assert site.service.messages and "wird in " in site.service.messages[0] and "beendet" in site.service.messages[0]
    assert result["drain"]["remaining_users"] == ([] if logoff else users)
    assert json.dumps(result)  # the result is plain JSON, as Ansible needs it


def test_the_run_journal_and_its_lock_on_windows(world, emulator):
    site = install_site(emulator)
    opened = ok(world.run("conaktiv.server.journal", site.args(state="opened", version="2.0.0", data_path=f"{BASE}\\ConAktiv Data")))
    assert opened["action"] == "fresh" and opened["journal"]["path"] == f"{BASE}\\conaktiv-update-journal.jsonl"
    ticket = f"{BASE}\\conaktiv-update-lock.000001"
    assert site.exists(ticket), "the claim snippet creates the ticket file"
    second = world.run("conaktiv.server.journal", site.args(state="opened", version="2.0.0"))
    assert second["failed"] and f"run {opened['run_id']}" in second["msg"]
    # A phase records itself (win_lineinfile, CRLF), and the journal reads back across line ends and case.
    stopped = ok(stop(world, site, journal={**opened["journal"], "phase": "stop"}))
    assert stopped["changed"]
    text = emulator.fs.local(f"{BASE}\\conaktiv-update-journal.jsonl").read_bytes()
    assert b"\r\n" in text and text.count(b'"phase":"stop"') == 2
    started = ok(start(world, site, journal={**opened["journal"], "phase": "rollback_start"}))
    assert started["changed"]
    closed = ok(world.run("conaktiv.server.journal", {"state": "closed", "server_path": site.server, "journal": opened["journal"]}))
    assert closed["outcome"] == "interrupted" and not site.exists(ticket)
    again = ok(world.run("conaktiv.server.journal", site.args(state="opened", version="2.0.0", data_path=f"{BASE}\\ConAktiv Data")))
    assert again["generation"] == 2


def test_the_journal_refuses_a_control_interface_of_another_folder_on_windows(world, emulator):
    site = install_site(emulator)
    other = install_site(emulator, base="E:\\Other", running=False)
    result = world.run("conaktiv.server.journal", {**site.args(state="opened", version="2.0.0"), "server_path": other.server})
    assert result["failed"] and f"belongs to the server in {site.server}" in result["msg"]


def test_the_control_token_never_reaches_the_windows_event_log(world, emulator, package):
    site = install_site(emulator)
    token = site.service.token
    full_update(world, site, package)
    assert emulator.event_log, "the other modules do log their invocations"
    assert not [entry for entry in emulator.event_log if token in entry]
    assert all(call.no_log for call in emulator.calls if call.module == "ansible.windows.win_uri")


def cut_over(world, emulator, site: Site, package) -> tuple[dict, dict, list]:
    """The role's order on Windows: journal opened, stage, prepared (start in the cutover), stop, cutover; the cutover's result,
    the opened journal and the module calls made after the stop task's own calls."""
    opened = ok(world.run("conaktiv.server.journal", site.args(state="opened", version="2.0.0", data_path=f"{BASE}\\ConAktiv Data")))

    def phase(name: str) -> dict:
        return {**opened["journal"], "phase": name}

    ok(world.run("conaktiv.server.stage", {"server_path": site.server, "version": "2.0.0", "source": str(package("2.0.0")),
                                           "journal": phase("stage")}))
    prepared = ok(swap(world, site, state="prepared", version="2.0.0", start=True, start_timeout=10, journal=phase("swap")))
    ok(stop(world, site, journal=phase("stop")))
    after_stop = len(emulator.calls)
    result = world.run("conaktiv.server.swap", {"server_path": site.server, "plan": prepared["plan"], "journal": phase("swap")})
    return result, opened, emulator.calls[after_stop:]


def journal_entries(site: Site) -> list[dict]:
    return [json.loads(line) for line in site.read(f"{BASE}\\conaktiv-update-journal.jsonl").splitlines() if line.strip()]


def test_the_cutover_swaps_carries_over_and_starts_in_one_call(world, site, package, emulator):
    preserved = site.preserved()
    result, opened, calls = cut_over(world, emulator, site, package)
    assert ok(result)["server_started"] is True and result["steps"][-3:] == ["start_begin", "started", "start_done"]
    # Everything between the stop and the running service: the cutover snippet, and the journal's done of the swap task
    # is the host's own line, so nothing else.
    assert [call.module for call in calls] == ["ansible.windows.win_powershell"]
    assert site.service.state == "started" and site.service.version == "2.0.0" and site.preserved() == preserved
    start_lines = [entry for entry in journal_entries(site) if entry.get("phase") == "start"]
    assert [entry["event"] for entry in start_lines] == ["begin", "done"]
    assert start_lines[1]["run"] == opened["run_id"] and isinstance(start_lines[1]["data"]["started_at"], float)
    # The server's health and its structure update are the next task's wait.
    waited = {"control": site.control()["control"], "version": "2.0.0", "timeout": 10, "journal": {**opened["journal"], "phase": "structure_update"}}
    update = ok(world.run("conaktiv.server.structure_update", waited))
    assert update["outcome"] == "finished"


def test_a_service_that_stops_during_its_start_fails_the_cutover_as_the_start(world, site, package, emulator):
    site.service.fail_start_versions = {"2.0.0"}
    result, _opened, _calls = cut_over(world, emulator, site, package)
    assert result.get("failed") and "starting the ConAktiv server failed" in result["msg"]
    assert "stopped again during its start" in result["msg"]
    events = [(entry.get("phase"), entry["event"]) for entry in journal_entries(site)]
    assert ("swap", "done") in events and events[-2:] == [("start", "begin"), ("start", "failed")]
    assert site.version() == "2.0.0" and site.service.state == "stopped"


def test_a_stop_that_hangs_is_ended_by_force_with_kill_after_and_the_update_goes_on(world, site, package, emulator):
    stage(world, site, package("2.0.0"))
    site.service.hang_on_stop = True
    pid = site.service.pid
    started = time.monotonic()
    result = ok(stop(world, site, stop_timeout=30, kill_after=1))
    assert time.monotonic() - started < 6, "the graceful stop got kill_after, not all of stop_timeout"
    assert result["killed"] == f"taskkill /PID {pid} /F" and "ended by force" in result["msg"]
    assert site.service.state == "stopped" and not site.service.process_alive(pid) and site.service.exit_code == 1067
    assert ["taskkill.exe", "/PID", str(pid), "/F"] in [call.args.get("argv") for call in emulator.calls]
    ok(swap(world, site, version="2.0.0"))
    assert site.version() == "2.0.0"


def test_a_reused_staging_is_verified_against_its_manifest_with_win_find(world, site, package, emulator):
    zip_path = package("2.0.0")
    ok(stage(world, site, zip_path))
    reused = ok(stage(world, site, zip_path))
    assert reused["changed"] is False and reused["reused"] is True and "files verified" in reused["msg"]
    finds = [call.args for call in emulator.calls if call.module == "ansible.windows.win_find" and call.args.get("recurse")]
    assert finds and finds[-1]["checksum_algorithm"] == "sha256" and finds[-1]["get_checksum"] is True
    # A file of the staged tree changed (a virus scanner's repair, a hand edit): staged again from the package.
    staged_version = emulator.fs.local(f"{BASE}\\Temp_Updateordner\\ConAktiv Server\\version.txt")
    staged_version.write_text("2.0.0-tampered", encoding="utf-8")
    again = ok(stage(world, site, zip_path))
    assert again["changed"] is True and "again: 1 file(s) of the staged tree differ from its manifest: changed: version.txt" in again["msg"]
    assert staged_version.read_text(encoding="utf-8").strip() == "2.0.0"
