# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decision logic of conaktiv.server.swap against an in-memory host: swap, resume, rollback, cleanup."""

from __future__ import annotations

import json
import typing as t

import pytest

from ansible_collections.conaktiv.server.plugins.action import swap
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import HttpResponse

PARENT = "/srv"
SERVER = "/srv/ConAktiv Server"
OLD1 = "/srv/ConAktiv Server_old0001"
TEMP = "/srv/Temp_Updateordner"
STAGED = "/srv/Temp_Updateordner/ConAktiv Server"
MARKER = "/srv/Temp_Updateordner/stage.json"
JOURNAL = "/srv/conaktiv-update-journal.jsonl"
# The swap's steps as run journal events (phase, event).
STEP_EVENTS = {"begin": ("swap", "begin"), "carried": ("swap", "done"), "rollback_begin": ("rollback_swap", "begin"),
               "rolled_back": ("rollback_swap", "done")}
PREFS = "Server Database/Preferences/server.prefs"
SYSTEMD = {"manager": "systemd", "name": "conaktiv"}


def install(host: t.Any, folder: str = SERVER, version: str = "1.0.0") -> None:
    """A server folder with the preserved items of a configured installation (no key.pem)."""
    host.add_file(f"{folder}/version.txt", version)
    host.add_file(f"{folder}/{PREFS}", f"cache=2048 # {version}")
    host.add_file(f"{folder}/Server Database/cert.pem", f"CERT {version}")
    host.add_file(f"{folder}/Server Database/Resources/Hunspell/de_DE.dic", "Wörterbuch")


def stage(host: t.Any, version: str = "2.0.0", marker: bool = True) -> None:
    """A staged tree as conaktiv.server.stage leaves it (package defaults, no Hunspell)."""
    host.add_file(f"{STAGED}/version.txt", version)
    host.add_file(f"{STAGED}/{PREFS}", "defaults")
    if marker:
        host.add_file(MARKER, json.dumps({"version": version, "checksum": "sha256:ab"}))


def journal(host: t.Any, *entries: dict[str, t.Any], torn: bool = False) -> None:
    """A run journal with the swap steps ``entries`` ({"step": "begin", "old": ..., ...}) of a run by hand."""
    lines = []
    for entry in entries:
        phase, event = STEP_EVENTS[entry["step"]]
        data = {key: value for key, value in entry.items() if key != "step"}
        lines.append(json.dumps({"v": 1, "run": "swap-earlier", "at": "2026-11-23T22:10:00+00:00", "event": event, "phase": phase,
                                 "data": data}))
    host.add_file(JOURNAL, "\n".join(lines) + ("\n{\"v\": 1, \"run\": \"swap-earlier\", \"ev" if torn else "\n"))


def journal_steps(host: t.Any) -> list[str]:
    """The swap steps recorded in the run journal, in order."""
    steps = {value: key for key, value in STEP_EVENTS.items()}
    events = [json.loads(line) for line in host.text(JOURNAL).splitlines() if line.strip().endswith("}")]
    return [steps[(event.get("phase"), event["event"])] for event in events if (event.get("phase"), event["event"]) in steps]


def run(make_action: t.Callable[..., t.Any], check_mode: bool = False, **args: t.Any) -> dict[str, t.Any]:
    args = {"server_path": SERVER, "service": SYSTEMD, **args}
    return make_action(swap, args, check_mode=check_mode).run(task_vars={"inventory_hostname": "srv1"})


@pytest.fixture
def host(fake_host: t.Any) -> t.Any:
    """A stopped server at 1.0.0 with 2.0.0 staged."""
    install(fake_host)
    stage(fake_host)
    fake_host.services["conaktiv"] = "stopped"
    return fake_host


def snapshot(host: t.Any) -> tuple[frozenset[str], dict[str, bytes]]:
    return frozenset(host.dirs), dict(host.files)


# -- swap -----------------------------------------------------------------------------------------


def test_swap_moves_the_staged_tree_in_and_carries_the_preserved_items(host: t.Any, make_action: t.Callable[..., t.Any]):
    result = run(make_action)
    assert result["changed"] is True, result.get("msg")
    assert result["old_path"] == OLD1 and result["version"] == "2.0.0" and result["resumed"] is False
    assert host.ops("rename") == [(SERVER, OLD1), (STAGED, SERVER)]
    assert host.text(f"{SERVER}/version.txt") == "2.0.0"
    assert host.text(f"{SERVER}/{PREFS}") == "cache=2048 # 1.0.0"
    assert host.text(f"{SERVER}/Server Database/cert.pem") == "CERT 1.0.0"
    assert host.text(f"{SERVER}/Server Database/Resources/Hunspell/de_DE.dic") == "Wörterbuch"
    assert result["carried_over"] == ["Server Database/Preferences", "Server Database/cert.pem", "Server Database/Resources/Hunspell"]
    assert result["not_present"] == ["Server Database/key.pem"]
    assert host.text(f"{OLD1}/version.txt") == "1.0.0"
    assert journal_steps(host) == ["begin", "carried"]
    assert host.listed_missing == []


def test_the_old_folder_gets_the_next_free_number(host: t.Any, make_action: t.Callable[..., t.Any]):
    host.add_dir("/srv/ConAktiv Server_old0003")
    host.add_dir("/srv/ConAktiv Server_old0001")
    assert run(make_action)["old_path"] == "/srv/ConAktiv Server_old0004"


def test_a_second_run_after_the_swap_changes_nothing(host: t.Any, make_action: t.Callable[..., t.Any]):
    run(make_action)
    before, calls = snapshot(host), len(host.calls)
    result = run(make_action)
    assert result["changed"] is False
    assert result["msg"] == "the staged version is already in place"
    assert result["old_path"] == OLD1
    assert snapshot(host) == before
    assert not [op for op, _args in host.calls[calls:] if op in ("rename", "remove", "cutover", "append_line", "make_dir")]


def test_nothing_staged_is_a_clear_error(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    install(fake_host)
    fake_host.services["conaktiv"] = "stopped"
    result = run(make_action)
    assert result["failed"] is True
    assert result["msg"] == f"nothing is staged in {TEMP}: run conaktiv.server.stage first"
    assert fake_host.listed_missing == []


def test_a_staging_without_marker_is_incomplete(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    install(fake_host)
    stage(fake_host, marker=False)
    result = run(make_action)
    assert result["msg"] == f"the staging in {TEMP} is incomplete (no stage marker): re-run conaktiv.server.stage"
    assert not fake_host.ops("rename")


def test_the_requested_version_must_be_the_staged_one(host: t.Any, make_action: t.Callable[..., t.Any]):
    result = run(make_action, version="3.0.0")
    assert result["msg"] == f"{TEMP} holds version 2.0.0, not the requested 3.0.0"
    assert not host.ops("rename")


def test_a_missing_server_folder_is_an_error(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    stage(fake_host)
    assert run(make_action)["msg"] == f"the server folder {SERVER} does not exist"


def test_a_running_server_is_refused(host: t.Any, make_action: t.Callable[..., t.Any]):
    host.services["conaktiv"] = "running"
    before = snapshot(host)
    result = run(make_action)
    assert result["failed"] is True
    assert result["msg"] == "the ConAktiv server is running: stop it first (conaktiv.server.service state=stopped)"
    assert snapshot(host) == before


def test_a_server_answering_its_control_interface_is_refused(host: t.Any, make_action: t.Callable[..., t.Any]):
    host.http_handler = lambda method, url, headers, body: HttpResponse(200, {"state": "ready", "version": "1.0.0"})
    result = run(make_action, service=None, control={"type": "http", "url": "http://127.0.0.1:2049"})
    assert result["msg"] == "the ConAktiv server still answers on its control interface: stop it first"
    assert not host.ops("rename")


def test_check_mode_predicts_without_changing_anything(host: t.Any, make_action: t.Callable[..., t.Any]):
    before = snapshot(host)
    result = run(make_action, check_mode=True)
    assert result["changed"] is True
    assert result["msg"] == f"would move {SERVER} to {OLD1} and the staged version into its place"
    assert "ConAktiv Server_old0001/  (previous version)" in result["diff"]["after"]
    assert host.check_mode_violations == []
    assert snapshot(host) == before


# -- resuming an interrupted swap -----------------------------------------------------------------


def test_resume_after_the_server_folder_was_renamed(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    install(fake_host, OLD1)
    stage(fake_host)
    journal(fake_host, {"step": "begin", "old": "ConAktiv Server_old0001", "version": "2.0.0"})
    result = run(make_action)
    assert result["changed"] is True and result["resumed"] is True, result.get("msg")
    assert fake_host.ops("rename") == [(STAGED, SERVER)]
    assert fake_host.text(f"{SERVER}/{PREFS}") == "cache=2048 # 1.0.0"
    # The resuming run records its own begin (the same _oldNNNN name), then the finished swap.
    assert journal_steps(fake_host) == ["begin", "begin", "carried"]


def test_resume_before_the_server_folder_was_renamed(host: t.Any, make_action: t.Callable[..., t.Any]):
    journal(host, {"step": "begin", "old": "ConAktiv Server_old0001", "version": "2.0.0"})
    result = run(make_action)
    assert result["resumed"] is True
    assert host.ops("rename") == [(SERVER, OLD1), (STAGED, SERVER)]
    assert journal_steps(host) == ["begin", "begin", "carried"]


def test_resume_after_both_renames_repeats_only_the_carry_over(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    install(fake_host, OLD1)
    fake_host.add_file(f"{SERVER}/version.txt", "2.0.0")
    fake_host.add_file(f"{SERVER}/{PREFS}", "defaults")
    fake_host.add_file(MARKER, json.dumps({"version": "2.0.0"}))
    journal(fake_host, {"step": "begin", "old": "ConAktiv Server_old0001", "version": "2.0.0"}, torn=True)
    result = run(make_action, version="2.0.0")
    assert result["resumed"] is True, result.get("msg")
    assert fake_host.ops("rename") == []
    assert fake_host.text(f"{SERVER}/{PREFS}") == "cache=2048 # 1.0.0"
    assert fake_host.text(f"{SERVER}/version.txt") == "2.0.0"


# -- rollback -------------------------------------------------------------------------------------


def test_rollback_puts_the_old_version_back_and_keeps_the_failed_one(host: t.Any, make_action: t.Callable[..., t.Any]):
    run(make_action)
    result = run(make_action, state="rolled_back")
    assert result["changed"] is True, result.get("msg")
    assert result["restored_from"] == OLD1
    assert result["failed_path"] == "/srv/ConAktiv Server_failed0001"
    assert host.text(f"{SERVER}/version.txt") == "1.0.0"
    assert host.text("/srv/ConAktiv Server_failed0001/version.txt") == "2.0.0"
    assert not host.exists(OLD1)
    assert journal_steps(host)[-2:] == ["rollback_begin", "rolled_back"]
    again = run(make_action, state="rolled_back")
    assert again["changed"] is False
    assert again["msg"] == "the previous version is already back in place"


def test_rollback_can_delete_the_failed_version(host: t.Any, make_action: t.Callable[..., t.Any]):
    run(make_action)
    result = run(make_action, state="rolled_back", failed_folder="remove")
    assert "failed_path" not in result
    assert host.text(f"{SERVER}/version.txt") == "1.0.0"
    assert not any(path.startswith("/srv/ConAktiv Server_failed") for path in host.dirs)


def test_rollback_without_an_old_folder_is_a_clear_error(host: t.Any, make_action: t.Callable[..., t.Any]):
    host.remove(f"{PARENT}/Temp_Updateordner")  # nothing staged either: a rollback by hand with nothing to go back to
    before = len(host.ops("rename", "remove"))
    result = run(make_action, state="rolled_back")
    assert result["failed"] is True
    assert result["msg"] == f"there is no ConAktiv Server_oldNNNN folder in {PARENT} to roll back to"
    assert len(host.ops("rename", "remove")) == before


def test_rollback_to_a_named_old_folder_that_does_not_exist(host: t.Any, make_action: t.Callable[..., t.Any]):
    result = run(make_action, state="rolled_back", old_folder="ConAktiv Server_old0007")
    assert result["msg"] == "cannot roll back: /srv/ConAktiv Server_old0007 does not exist"


def test_rollback_refuses_a_running_server(host: t.Any, make_action: t.Callable[..., t.Any]):
    run(make_action)
    host.services["conaktiv"] = "running"
    result = run(make_action, state="rolled_back")
    assert "is running: stop it first" in result["msg"]
    assert host.text(f"{SERVER}/version.txt") == "2.0.0"


def test_rollback_in_check_mode_changes_nothing(host: t.Any, make_action: t.Callable[..., t.Any]):
    run(make_action)
    before = snapshot(host)
    result = run(make_action, state="rolled_back", check_mode=True)
    assert result["changed"] is True
    assert result["msg"] == "would put ConAktiv Server_old0001 back as ConAktiv Server"
    assert snapshot(host) == before
    assert host.check_mode_violations == []


def test_rollback_after_a_swap_that_never_began_leaves_the_server_alone(host: t.Any, make_action: t.Callable[..., t.Any]):
    install(host, OLD1, version="0.9.0")  # kept by keep_old from the previous update
    run(make_action, state="rolled_back")
    assert host.text(f"{SERVER}/version.txt") == "1.0.0"


# -- cleanup --------------------------------------------------------------------------------------


def test_cleanup_refuses_after_an_interrupted_swap(host: t.Any, make_action: t.Callable[..., t.Any]):
    journal(host, {"step": "carried", "old": "ConAktiv Server_old0001"}, {"step": "begin", "old": "ConAktiv Server_old0002"})
    before = snapshot(host)
    result = run(make_action, state="cleaned")
    assert result["failed"] is True
    assert result["msg"].startswith(f"a swap in {PARENT} was interrupted (begin at 2026-11-23T22:10:00+00:00): re-run conaktiv.server.swap")
    assert snapshot(host) == before


def test_cleanup_refuses_after_an_interrupted_rollback(host: t.Any, make_action: t.Callable[..., t.Any]):
    journal(host, {"step": "rollback_begin", "old": "ConAktiv Server_old0001", "failed": "ConAktiv Server_failed0001"})
    assert "was interrupted (rollback_begin" in run(make_action, state="cleaned")["msg"]


def test_cleanup_removes_old_folders_and_the_temp_folder(host: t.Any, make_action: t.Callable[..., t.Any]):
    run(make_action)
    for number in (2, 3):
        host.add_dir(f"/srv/ConAktiv Server_old000{number}")
    host.add_dir("/srv/ConAktiv Server_failed0001")
    result = run(make_action, state="cleaned", keep_old=1)
    assert result["changed"] is True
    assert result["removed"] == [OLD1, "/srv/ConAktiv Server_old0002", TEMP]
    assert host.exists("/srv/ConAktiv Server_old0003")
    assert host.exists("/srv/ConAktiv Server_failed0001")
    assert not host.exists(TEMP)
    assert run(make_action, state="cleaned", keep_old=1) | {"changed": False} == {**run(make_action, state="cleaned", keep_old=1)}


def test_cleanup_in_check_mode_removes_nothing(host: t.Any, make_action: t.Callable[..., t.Any]):
    run(make_action)
    before = snapshot(host)
    result = run(make_action, state="cleaned", check_mode=True)
    assert result["changed"] is True and result["msg"] == "would remove 2 folders"
    assert snapshot(host) == before
    assert host.check_mode_violations == []


def test_cleanup_refuses_without_a_server_folder(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    install(fake_host, OLD1)
    result = run(make_action, state="cleaned")
    assert result["msg"] == f"refusing to clean up: the server folder {SERVER} does not exist"
    assert fake_host.exists(OLD1)
