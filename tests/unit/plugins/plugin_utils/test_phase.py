# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the phase skeleton: secrets, host selection and how run() reports each kind of error."""

from __future__ import annotations

import typing as t
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleConnectionFailure

from ansible_collections.conaktiv.server.plugins.plugin_utils._control import ControlError
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Host
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction, PhaseFailed, make_host, scrub, secrets_of
from ansible_collections.conaktiv.server.plugins.plugin_utils._posix_host import PosixHost
from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import CheckModeViolation, HostUnreachable, ModuleFailed, Runner

SPEC: dict[str, t.Any] = {
    "name": {"type": "str", "required": True},
    "password": {"type": "str", "no_log": True},
    "control": {"type": "dict", "options": {"url": {"type": "str"}, "token": {"type": "str", "no_log": True}}},
    "count": {"type": "int", "default": 1},
}


class DemoAction(PhaseAction):
    """A phase whose execute() does whatever the test put into ``behaviour``."""

    ARGUMENT_SPEC = SPEC
    behaviour: t.Callable[[Host, dict[str, t.Any]], dict[str, t.Any]] = staticmethod(lambda host, args: {"changed": False})  # type: ignore[assignment]

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        return type(self).behaviour(host, args)


def demo(args: dict[str, t.Any], behaviour: t.Callable[[Host, dict[str, t.Any]], dict[str, t.Any]], shell_family: str = "sh",
         check_mode: bool = False) -> DemoAction:
    task = MagicMock(name="task")
    task.args, task.check_mode, task.async_val, task.action = dict(args), check_mode, 0, "conaktiv.server.demo"
    connection = MagicMock(name="connection")
    connection._shell.SHELL_FAMILY = shell_family
    connection._shell.tmpdir = None
    action_class = type("Action", (DemoAction,), {"behaviour": staticmethod(behaviour)})
    plugin = action_class(task, connection, MagicMock(), MagicMock(), MagicMock(), MagicMock())
    plugin._load_name = "conaktiv.server.demo"
    plugin._execute_module = MagicMock(name="_execute_module", return_value={"stat": {"exists": False}})
    return plugin


# -- secrets --------------------------------------------------------------------------------------


def test_secrets_are_found_at_every_level():
    args = {"name": "n", "password": "pw-1", "control": {"url": "http://x", "token": "tok-2"}, "count": 3}
    assert sorted(secrets_of(args, SPEC)) == ["pw-1", "tok-2"]


@pytest.mark.parametrize("args", [{"name": "n"}, {"name": "n", "password": "", "control": None}, {"name": "n", "control": {"token": None}}])
def test_empty_secrets_are_ignored(args: dict[str, t.Any]):
    assert secrets_of(args, SPEC) == []


def test_each_element_of_a_secret_list_is_a_secret():
    spec = {"redact": {"type": "list", "elements": "str", "no_log": True}}
    assert sorted(secrets_of({"redact": ["hunter2", "s3cret"]}, spec)) == ["hunter2", "s3cret"]


def test_scrub_replaces_secrets_in_nested_values():
    value = {"msg": "login as bob:hunter2 failed", "list": ["hunter2", 3, ("x hunter2",)], "nested": {"k": "tok hunter2 tok"},
             "n": 5, "none": None}
    assert scrub(value, ["hunter2"]) == {"msg": "login as bob:******** failed", "list": ["********", 3, ["x ********"]],
                                         "nested": {"k": "tok ******** tok"}, "n": 5, "none": None}


def test_scrub_without_secrets_returns_the_value_itself():
    value = {"msg": "x"}
    assert scrub(value, []) is value


# -- host selection -------------------------------------------------------------------------------


def test_sh_gets_the_posix_adapter():
    plugin = demo({"name": "n"}, lambda host, args: {})
    assert isinstance(make_host(plugin, Runner(plugin, {})), PosixHost)


@pytest.mark.parametrize("family", ["powershell", "cmd"])
def test_both_windows_shells_get_the_windows_adapter(family: str):
    """cmd is what the winrm connection of ansible-core 2.21 uses by default; modules run as PowerShell either way."""
    windows = pytest.importorskip("ansible_collections.conaktiv.server.plugins.plugin_utils._windows_host")
    plugin = demo({"name": "n"}, lambda host, args: {}, shell_family=family)
    assert isinstance(make_host(plugin, Runner(plugin, {})), windows.WindowsHost)


# -- run() ----------------------------------------------------------------------------------------


def test_a_good_run_returns_the_phase_result_with_bookkeeping():
    def behaviour(host: Host, args: dict[str, t.Any]) -> dict[str, t.Any]:
        host.stat("/srv")
        host.stat("/tmp")
        return {"changed": True, "args": args}

    result = demo({"name": "n"}, behaviour).run(task_vars={})
    assert result["changed"] is True
    assert result["args"] == {"name": "n", "password": None, "control": None, "count": 1}
    assert result["remote_calls"] == 2
    assert isinstance(result["duration_s"], float)
    assert "failed" not in result


@pytest.mark.parametrize("error", [
    PhaseFailed("the phase failed"),
    ModuleFailed("ansible.builtin.file", "the phase failed", {}),
    ControlError("the phase failed"),
    ValueError("the phase failed"),
    CheckModeViolation("the phase failed"),
])
def test_expected_errors_become_a_failed_result(error: Exception):
    def behaviour(host: Host, args: dict[str, t.Any]) -> dict[str, t.Any]:
        raise error

    result = demo({"name": "n"}, behaviour).run(task_vars={})
    assert result["failed"] is True
    assert result["msg"].endswith("the phase failed")
    assert "exception" not in result and "unreachable" not in result


def test_phase_failed_extras_are_merged_into_the_result():
    def behaviour(host: Host, args: dict[str, t.Any]) -> dict[str, t.Any]:
        raise PhaseFailed("update failed", log_tail=["a", "b"])

    result = demo({"name": "n"}, behaviour).run(task_vars={})
    assert result["msg"] == "update failed"
    assert result["log_tail"] == ["a", "b"]


def test_the_message_of_a_chained_failure_is_not_repeated():
    def behaviour(host: Host, args: dict[str, t.Any]) -> dict[str, t.Any]:
        try:
            raise ValueError("cannot connect to the SMTP server smtp.example.com:587: Connection refused")
        except ValueError as exc:
            raise PhaseFailed(f"{exc} (the update itself: updated)") from exc

    result = demo({"name": "n"}, behaviour).run(task_vars={})
    assert result["msg"] == "cannot connect to the SMTP server smtp.example.com:587: Connection refused (the update itself: updated)"


def test_unreachable_host_is_reported_as_unreachable_not_failed():
    def behaviour(host: Host, args: dict[str, t.Any]) -> dict[str, t.Any]:
        raise HostUnreachable("ssh: Connection timed out")

    result = demo({"name": "n"}, behaviour).run(task_vars={})
    assert result["unreachable"] is True
    assert "failed" not in result
    assert result["msg"] == "conaktiv.server.demo: cannot reach the host: ssh: Connection timed out"


def test_a_broken_connection_during_a_module_call_is_unreachable():
    def behaviour(host: Host, args: dict[str, t.Any]) -> dict[str, t.Any]:
        host.stat("/srv")
        return {}

    plugin = demo({"name": "n"}, behaviour)
    plugin._execute_module.side_effect = AnsibleConnectionFailure("Failed to connect to the host via ssh")
    result = plugin.run(task_vars={})
    assert result["unreachable"] is True


def test_secrets_are_scrubbed_from_the_whole_result():
    def behaviour(host: Host, args: dict[str, t.Any]) -> dict[str, t.Any]:
        raise PhaseFailed(f"login with {args['password']} refused", detail={"echo": [args["control"]["token"]]})

    result = demo({"name": "n", "password": "pw-4711", "control": {"token": "tok-0815"}}, behaviour).run(task_vars={})
    assert result["msg"] == "login with ******** refused"
    assert result["detail"] == {"echo": ["********"]}


def test_check_mode_is_supported():
    result = demo({"name": "n"}, lambda host, args: {"changed": True}, check_mode=True).run(task_vars={})
    assert result["changed"] is True and "skipped" not in result
