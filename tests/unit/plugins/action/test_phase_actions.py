# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every phase's action plugin shares: argument validation, unreachable hosts, secrets, round-trip count.

Each plugin is built from mocks and runs against the real POSIX adapter; only ``_execute_module`` is fake.
"""

from __future__ import annotations

import base64
import json
import typing as t

import pytest

from ansible_collections.conaktiv.server.plugins.action import backup, history, info, journal, notify, service, stage, structure_update, swap
from ansible_collections.conaktiv.server.plugins.plugin_utils._download import DownloadError
from ansible_collections.conaktiv.server.plugins.plugin_utils._mail import MailError
from ansible_collections.conaktiv.server.plugins.plugin_utils._posix_host import READ_SCRIPT

SERVER = "/srv/ConAktiv Server"
TOKEN = "tok-5e2a91"
PASSWORD = "pw-c0ffee"
CONTROL = {"type": "http", "url": "http://127.0.0.1:2049", "token": TOKEN}
SYSTEMD = {"manager": "systemd", "name": "conaktiv"}
RECORD = {"run_id": "r-1", "host": "srv1", "started": "2026-11-23T22:00:00+00:00", "outcome": "updated", "phases": []}
SMTP = {"host": "mail.example.com", "username": "mailer", "password": PASSWORD}

# plugin, valid arguments, (an option with a wrong type, its value), a required option
PLUGINS: list[tuple[t.Any, dict[str, t.Any], tuple[str, t.Any], str]] = [
    (info, {"server_path": SERVER}, ("history_count", "many"), "server_path"),
    (stage, {"server_path": SERVER, "version": "2.0.0", "source": "ftp://h/ConAktiv-2.0.0.zip"}, ("timeout", "long"), "source"),
    (backup, {"version": "2.0.0", "control": CONTROL}, ("keep", "all"), "version"),
    (service, {"state": "stopped", "service": SYSTEMD}, ("max_wait", "soon"), "state"),
    (swap, {"server_path": SERVER, "service": SYSTEMD}, ("keep_old", "several"), "server_path"),
    (structure_update, {"version": "2.0.0", "control": CONTROL}, ("timeout", "1h"), "version"),
    (notify, {"smtp": SMTP, "sender": "u@example.com", "to": ["a@example.com"], "record": RECORD}, ("fail_on_error", "perhaps"), "sender"),
    (history, {"server_path": SERVER, "record": RECORD}, ("record", "not a mapping"), "server_path"),
    (journal, {"server_path": SERVER, "state": "opened", "version": "2.0.0"}, ("keep_old", "several"), "server_path"),
]
IDS = [plugin.__name__.rsplit(".", 1)[-1] for plugin, *_rest in PLUGINS]


def assert_clean_failure(result: dict[str, t.Any], *words: str) -> None:
    """A plain failed result: the words in msg, no traceback, nothing run on the host."""
    assert result["failed"] is True
    for word in words:
        assert word in result["msg"]
    assert "exception" not in result
    assert "Traceback" not in result["msg"]
    assert result["remote_calls"] == 0


@pytest.mark.parametrize(("plugin", "args", "wrong", "required"), PLUGINS, ids=IDS)
def test_unsupported_option(plugin: t.Any, args: dict[str, t.Any], wrong: tuple[str, t.Any], required: str,
                            make_action: t.Callable[..., t.Any]):
    action = make_action(plugin, {**args, "sever_path": "/typo"})
    result = action.run(task_vars={})
    assert_clean_failure(result, "Unsupported parameters for (conaktiv.server.", "sever_path", "Supported parameters include")
    assert action.modules.calls == []


@pytest.mark.parametrize(("plugin", "args", "wrong", "required"), PLUGINS, ids=IDS)
def test_wrong_type(plugin: t.Any, args: dict[str, t.Any], wrong: tuple[str, t.Any], required: str, make_action: t.Callable[..., t.Any]):
    name, value = wrong
    result = make_action(plugin, {**args, name: value}).run(task_vars={})
    assert_clean_failure(result, f"argument '{name}' is of type")


@pytest.mark.parametrize(("plugin", "args", "wrong", "required"), PLUGINS, ids=IDS)
def test_missing_required(plugin: t.Any, args: dict[str, t.Any], wrong: tuple[str, t.Any], required: str,
                          make_action: t.Callable[..., t.Any]):
    result = make_action(plugin, {key: value for key, value in args.items() if key != required}).run(task_vars={})
    assert_clean_failure(result, required)
    assert "missing" in result["msg"]


def test_history_needs_a_record_or_the_run_journal(make_action: t.Callable[..., t.Any]):
    result = make_action(history, {"server_path": SERVER}).run(task_vars={})
    assert_clean_failure(result, "one of the following is required: record, journal")


def test_wrong_choice_in_a_suboption(make_action: t.Callable[..., t.Any]):
    result = make_action(swap, {"server_path": SERVER, "service": {"manager": "upstart"}}).run(task_vars={})
    assert_clean_failure(result, "value of manager must be one of: windows, systemd, command, none, got: upstart", "service")


def test_a_relative_server_path_is_refused(make_action: t.Callable[..., t.Any]):
    result = make_action(swap, {"server_path": "ConAktiv Server"}).run(task_vars={})
    assert_clean_failure(result, "server_path must be an absolute path on the host, got 'ConAktiv Server'")


# -- unreachable ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("plugin", "args", "wrong", "required"), [entry for entry in PLUGINS if entry[0] is not notify],
                         ids=[name for name in IDS if name != "notify"])
def test_unreachable_host(plugin: t.Any, args: dict[str, t.Any], wrong: tuple[str, t.Any], required: str,
                          make_action: t.Callable[..., t.Any], unreachable: t.Callable[..., t.Any]):
    action = make_action(plugin, args, modules={"*": unreachable})
    result = action.run(task_vars={"inventory_hostname": "srv1"})
    assert result["unreachable"] is True
    assert "failed" not in result
    assert result["msg"].startswith(f"conaktiv.server.{plugin.__name__.rsplit('.', 1)[-1]}: cannot reach the host: ssh: connect to host")
    assert len(action.modules.calls) == 1


def test_an_unreachable_result_is_unreachable(make_action: t.Callable[..., t.Any]):
    result = make_action(info, {"server_path": SERVER}, modules={"*": lambda args: {"unreachable": True, "msg": "Failed to connect"}}).run(
        task_vars={})
    assert result["unreachable"] is True
    assert "failed" not in result


# -- secrets --------------------------------------------------------------------------------------


def echo_everything(args: dict[str, t.Any]) -> dict[str, t.Any]:
    """A module failure whose message repeats its arguments (headers with the token included)."""
    return {"failed": True, "status": -1, "msg": f"Request failed with arguments {json.dumps(args)}"}


@pytest.mark.parametrize(("plugin", "args", "echoed"), [
    (backup, {"version": "2.0.0", "control": CONTROL}, True),
    # The stop message cannot be sent (a warning, with the token masked) and nobody can be counted: max_wait 0 stops at once.
    (service, {"state": "stopped", "service": {"manager": "command", "start_command": ["s"], "stop_command": ["t"],
                                               "status_command": ["u"]}, "control": CONTROL, "max_wait": 0}, False),
    (structure_update, {"version": "2.0.0", "control": CONTROL, "timeout": 0, "unreachable_grace": 0}, False),
    (info, {"server_path": SERVER, "control": CONTROL}, False),
    (swap, {"server_path": SERVER, "control": CONTROL}, False),
], ids=["backup", "service", "structure_update", "info", "swap"])
def test_the_control_token_never_appears_in_the_result(plugin: t.Any, args: dict[str, t.Any], echoed: bool,
                                                       make_action: t.Callable[..., t.Any], survey_answer: t.Callable[..., t.Any]):
    find_all = {"files": [{"path": f"{SERVER}"}, {"path": "/srv/Temp_Updateordner"}, {"path": "/srv/Temp_Updateordner/ConAktiv Server"},
                          {"path": "/srv/Temp_Updateordner/stage.json"}]}
    marker = base64.b64encode(json.dumps({"version": "2.0.0"}).encode()).decode()
    df = {"rc": 0, "stdout": "Filesystem 1K Used Avail Use% Mounted\n/dev/x 9 1 8 1% /srv\n"}
    survey = survey_answer({"/srv": ["ConAktiv Server", "Temp_Updateordner"], "/srv/Temp_Updateordner": ["ConAktiv Server", "stage.json"]},
                           {"/srv/Temp_Updateordner/stage.json": json.dumps({"version": "2.0.0"})}, other=lambda a: df)
    modules = {"conaktiv.server.host_request": echo_everything, "ansible.builtin.find": lambda a: find_all, "conaktiv.server.host_command": survey,
               "ansible.builtin.slurp": lambda a: {"content": marker}, "ansible.builtin.stat": lambda a: {"stat": {"exists": True, "isdir": True}},
               "*": lambda a: {}}
    action = make_action(plugin, args, modules=modules)
    result = action.run(task_vars={})
    assert any(name == "conaktiv.server.host_request" and TOKEN in json.dumps(module_args) for name, module_args, _check in action.modules.calls)
    assert TOKEN not in json.dumps(result)
    assert ("********" in result.get("msg", "")) is echoed


def test_the_source_password_never_appears_in_the_result(make_action: t.Callable[..., t.Any], monkeypatch: pytest.MonkeyPatch,
                                                         survey_answer: t.Callable[..., t.Any]):
    def fetch(source: str, target: str, **kwargs: t.Any) -> None:
        raise DownloadError(f"FTP login as {kwargs['username']}:{kwargs['password']} failed")

    monkeypatch.setattr(stage, "fetch", fetch)
    action = make_action(stage, {"server_path": SERVER, "version": "2.0.0", "source": "ftp://conaktiv:url-secret@h/ConAktiv-2.0.0.zip",
                                 "source_username": "conaktiv", "source_password": PASSWORD},
                         modules={"conaktiv.server.host_command": survey_answer({"/srv": ["ConAktiv Server"]}, {})})
    result = action.run(task_vars={})
    assert result["failed"] is True
    assert result["msg"] == "FTP login as conaktiv:******** failed"
    assert PASSWORD not in json.dumps(result)
    assert "url-secret" not in json.dumps(result)


@pytest.mark.parametrize("fail_on_error", [True, False])
def test_the_smtp_password_never_appears_in_the_result(fail_on_error: bool, make_action: t.Callable[..., t.Any],
                                                       monkeypatch: pytest.MonkeyPatch):
    def send(message: t.Any, settings: dict[str, t.Any]) -> None:
        raise MailError(f"535 authentication failed for {settings['username']} / {settings['password']}")

    monkeypatch.setattr(notify, "send", send)
    result = make_action(notify, {"smtp": SMTP, "sender": "u@example.com", "to": ["a@example.com"], "record": RECORD,
                                  "fail_on_error": fail_on_error}).run(task_vars={})
    assert PASSWORD not in json.dumps(result)
    assert "mailer / ********" in result["msg"]


# -- round trips ----------------------------------------------------------------------------------


def info_modules() -> dict[str, t.Callable[[dict[str, t.Any]], dict[str, t.Any]]]:
    """Module answers for an installed, idle server without staging or history."""
    tree = {"/srv": [SERVER], SERVER: [f"{SERVER}/Server Database", f"{SERVER}/version.txt"],
            f"{SERVER}/Server Database": [f"{SERVER}/Server Database/Preferences"]}

    def find(args: dict[str, t.Any]) -> dict[str, t.Any]:
        return {"files": [{"path": path} for folder in args["paths"] for path in tree.get(folder, [])]}

    def command(args: dict[str, t.Any]) -> dict[str, t.Any]:
        if args["argv"][:3] != ["sh", "-c", READ_SCRIPT]:
            return {"rc": 0, "stdout": "F 1K U A C M\n/dev/x 9 1 8 1% /srv\n"}
        if args["argv"][4] == f"{SERVER}/version.txt":
            return {"rc": 0, "stdout": base64.b64encode(b"1.0.0\n").decode()}
        return {"rc": 3, "failed": True, "msg": "non-zero return code"}

    return {"ansible.builtin.stat": lambda a: {"stat": {"exists": True, "isdir": True}},
            "ansible.builtin.find": find, "conaktiv.server.host_command": command,
            "ansible.builtin.systemd_service": lambda a: {"status": {"LoadState": "loaded", "ActiveState": "inactive"}}}


@pytest.mark.parametrize("check_mode", [False, True])
def test_info_counts_its_round_trips_and_runs_under_check_mode(check_mode: bool, make_action: t.Callable[..., t.Any]):
    action = make_action(info, {"server_path": SERVER, "service": SYSTEMD, "version": "1.0.0"}, check_mode=check_mode, modules=info_modules())
    result = action.run(task_vars={})
    assert "failed" not in result, result.get("msg")
    assert result["installed_version"] == "1.0.0"
    assert result["up_to_date"] is True
    assert result["service_state"] == "stopped"
    assert result["free_bytes"] == 8 * 1024
    assert result["remote_calls"] == len(action.modules.calls) > 0
    assert all(check is False for _name, _args, check in action.modules.calls)


def test_failed_calls_are_counted_too(make_action: t.Callable[..., t.Any]):
    modules = {**info_modules(), "conaktiv.server.host_command": lambda a: {
        "rc": 1, "failed": True, "msg": "non-zero return code", "stderr": f"sh: 3: cannot open {a['argv'][4]}: Permission denied"}}
    action = make_action(info, {"server_path": SERVER}, modules=modules)
    result = action.run(task_vars={})
    assert result["failed"] is True
    assert result["msg"] == (f"conaktiv.server.host_command: reading {SERVER}/version.txt failed: sh: 3: cannot open {SERVER}/version.txt: "
                             "Permission denied")
    assert action.modules.names() == ["ansible.builtin.stat", "conaktiv.server.host_command"]
    assert result["remote_calls"] == 2
