# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""conaktiv.server.journal against an in-memory host: deciding, taking the lock, failing, closing."""

from __future__ import annotations

import json
import os
import re
import socket
import typing as t

import pytest

from ansible_collections.conaktiv.server.plugins.action import journal
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import HttpResponse

SERVER = "/srv/ConAktiv Server"
JOURNAL = "/srv/conaktiv-update-journal.jsonl"
TICKET = "/srv/conaktiv-update-lock.000001"
SYSTEMD = {"manager": "systemd", "name": "conaktiv"}
CONTROL = {"type": "http", "url": "http://127.0.0.1:2049", "token": "t0ken-s3cret"}


def status(version: str = "1.0.0", state: str = "ready", path: str = SERVER) -> t.Callable[..., HttpResponse]:
    def handler(method: str, url: str, headers: dict[str, str], body: t.Any) -> HttpResponse:
        assert headers == {"X-ConAktiv-Token": "t0ken-s3cret"}
        return HttpResponse(200, {"version": version, "structure_version": version, "state": state, "server_path": path})
    return handler


@pytest.fixture
def host(fake_host: t.Any) -> t.Any:
    """A running 1.0.0 server whose control interface belongs to it."""
    fake_host.add_file(f"{SERVER}/version.txt", "1.0.0\n")
    fake_host.add_dir(f"{SERVER}/Server Database/Preferences")
    fake_host.services["conaktiv"] = "running"
    fake_host.http_handler = status()
    return fake_host


def run(make_action: t.Callable[..., t.Any], check_mode: bool = False, **args: t.Any) -> dict[str, t.Any]:
    defaults = {"state": "opened", "server_path": SERVER, "version": "2.0.0", "control": CONTROL, "service": SYSTEMD,
                "data_path": "/srv/ConAktiv Daten", "mail": True}
    return make_action(journal, {**defaults, **args}, check_mode=check_mode).run(task_vars={"inventory_hostname": "crm1"})


def events(host: t.Any) -> list[dict[str, t.Any]]:
    return [json.loads(line) for line in host.text(JOURNAL).splitlines()]


def test_a_new_update_takes_the_lock_and_records_its_plan(host, make_action):
    result = run(make_action)
    assert not result.get("failed"), result.get("msg")
    assert result["action"] == "fresh" and result["changed"] is True and result["generation"] == 1
    assert result["todo"] == ["stage", "backup_pre", "stop", "swap", "start", "structure_update", "backup_post", "cleanup", "mail", "history"]
    assert result["journal"] == {"path": JOURNAL, "run": result["run_id"]} and re.fullmatch(r"\d{8}T\d{6}Z-crm1-[0-9a-f]{6}", result["run_id"])
    assert host.ops("claim") == [(TICKET,)] and TICKET in host.dirs
    (opened,) = events(host)
    assert opened["event"] == "opened" and opened["gen"] == 1 and opened["data"]["plan"] == result["todo"]
    assert opened["data"]["controller"] == socket.gethostname() and opened["data"]["pid"] == os.getppid()
    assert "t0ken-s3cret" not in host.text(JOURNAL)


def test_a_second_run_refuses_and_names_the_holder(host, make_action):
    first = run(make_action)
    second = run(make_action)
    assert second["failed"] is True and f"run {first['run_id']}" in second["msg"] and "break_lock" in second["msg"]
    assert len(events(host)) == 1 and host.ops("claim") == [(TICKET,)]


def test_a_holder_whose_controller_process_is_gone_is_taken_over(host, make_action):
    first = run(make_action)
    text = host.text(JOURNAL).replace('"pid_start":"', '"pid_start":"1')  # the same pid, another process: the first run died
    host.files[JOURNAL] = text.encode()
    second = run(make_action)
    assert not second.get("failed"), second.get("msg")
    assert second["generation"] == 2 and any(f"run {first['run_id']}" in warning and "no longer running" in warning
                                             for warning in second["warnings"])
    assert TICKET not in host.dirs and "/srv/conaktiv-update-lock.000002" in host.dirs


def test_losing_the_race_for_the_ticket_changes_nothing(host, make_action, monkeypatch):
    monkeypatch.setattr(host, "claim", lambda path: False)
    result = run(make_action)
    assert result["failed"] is True and "claimed the update lock" in result["msg"] and "at the same moment" in result["msg"]
    assert JOURNAL not in host.files


def test_check_mode_decides_without_the_lock(host, make_action):
    result = run(make_action, check_mode=True)
    assert result["action"] == "fresh" and result["journal"] is None and result["changed"] is False
    assert host.ops("claim") == [] and JOURNAL not in host.files and host.check_mode_violations == []


@pytest.mark.parametrize("change, message", [
    ({"data_path": f"{SERVER}/Daten"}, "lies inside the server folder"),
    ({"preserve_extra": ["../ConAktiv Daten"]}, "contains '..'"),
    ({"version": "0.9.0"}, "older than the installed 1.0.0"),
    ({"control": {"type": "none"}}, "nothing tells when the structure update"),
])
def test_bad_input_is_refused_before_any_change(host, make_action, change, message):
    result = run(make_action, **change)
    assert result["failed"] is True and message in result["msg"]
    assert host.ops("claim", "append_line", "write_text", "remove") == []


def test_a_control_interface_of_another_server_is_refused(host, make_action):
    host.http_handler = status(path="/other/ConAktiv Server")
    result = run(make_action)
    assert result["failed"] is True and "belongs to the server in /other/ConAktiv Server" in result["msg"]


def test_a_symlinked_server_path_is_refused(host, make_action, monkeypatch):
    original = host.stat
    monkeypatch.setattr(host, "stat", lambda path, checksum_algorithm=None: original(path, checksum_algorithm).__class__(
        exists=True, is_dir=True, is_link=True, link_target="/data/real") if path == SERVER else original(path, checksum_algorithm))
    result = run(make_action)
    assert result["failed"] is True and "is a symbolic link (to /data/real)" in result["msg"]


def test_up_to_date_with_nothing_to_do_takes_no_lock(host, make_action):
    host.http_handler = status("2.0.0")
    host.files[f"{SERVER}/version.txt"] = b"2.0.0\n"
    result = run(make_action)
    assert result["action"] == "up_to_date" and result["todo"] == [] and result["journal"] is None
    assert host.ops("claim") == []


def test_failed_records_the_reason_and_returns_the_rollback(host, make_action):
    opened = run(make_action)
    handle = opened["journal"]
    for phase in ("stage", "backup_pre", "stop"):
        for event in ("begin", "done"):
            host.append_line(JOURNAL, json.dumps({"v": 1, "run": handle["run"], "at": "2026-12-01T22:00:00+00:00", "event": event,
                                                  "phase": phase, "data": {"path": "/srv/pre.zip"} if phase == "backup_pre" else {}}))
    result = make_action(journal, {"state": "failed", "server_path": SERVER, "journal": handle, "error": "hook failed"}).run(task_vars={})
    assert result["todo"] == ["rollback_start", "mail", "history"] and result["failed_phase"] == "hook after stop"
    assert [entry["event"] for entry in events(host)][-2:] == ["failed", "rollback"]
    closed = make_action(journal, {"state": "closed", "server_path": SERVER, "journal": handle}).run(task_vars={})
    assert closed["outcome"] == "failed" and closed["converged"] is False  # rollback_start has not run yet
    assert TICKET not in host.dirs


def test_closed_reports_the_outcome_and_frees_the_lock(host, make_action):
    opened = run(make_action, mail=False)
    handle = opened["journal"]
    for phase in opened["todo"]:
        for event in ("begin", "done"):
            data = {"stopped_at": 100.0} if phase == "stop" else {"started_at": 131.0} if phase == "start" else {}
            host.append_line(JOURNAL, json.dumps({"v": 1, "run": handle["run"], "at": "2026-12-01T22:00:00+00:00", "event": event,
                                                  "phase": phase, "data": data}))
    closed = make_action(journal, {"state": "closed", "server_path": SERVER, "journal": handle}).run(task_vars={})
    assert closed["outcome"] == "updated" and closed["converged"] is True and closed["downtime_s"] == 31.0
    assert TICKET not in host.dirs and events(host)[-1]["event"] == "closed"
    assert run(make_action, version="2.0.0")["action"] == "fresh"  # the lock is free again (the host still says 1.0.0)


def test_the_controller_identity_tells_whether_a_run_is_alive():
    me = journal.controller_identity()
    assert journal.controller_alive(me) is True
    assert journal.controller_alive({**me, "pid_start": "1"}) is False
    assert journal.controller_alive({**me, "boot_id": "another-boot"}) is False
    assert journal.controller_alive({**me, "controller": "awx-job-4711"}) is None
