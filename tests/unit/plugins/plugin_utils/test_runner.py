# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the Runner: the check-mode guard, probes, error mapping and the round-trip count."""

from __future__ import annotations

import typing as t
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleConnectionFailure

from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import (
    CheckModeViolation, HostUnreachable, ModuleFailed, Runner)


class Raises:
    """A scripted outcome: ``_execute_module`` raises ``error``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class FakeAction:
    """The parts of an ActionBase the Runner touches; ``_execute_module`` answers from ``results``."""

    def __init__(self, check_mode: bool = False, results: list[t.Any] | None = None) -> None:
        self._task = MagicMock(name="task")
        self._task.check_mode = check_mode
        self._connection = MagicMock(name="connection")
        self._play_context = MagicMock(name="play_context")
        self._loader = MagicMock(name="loader")
        self._templar = MagicMock(name="templar")
        self._shared_loader_obj = MagicMock(name="shared_loader_obj")
        self.results = list(results or [])
        # (module, args, check mode the module saw)
        self.executed: list[tuple[str, dict[str, t.Any], bool]] = []

    def _execute_module(self, module_name: str, module_args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        self.executed.append((module_name, module_args, self._task.check_mode))
        outcome = self.results.pop(0) if self.results else {"changed": False}
        if isinstance(outcome, Raises):
            raise outcome.error
        return outcome


def make_runner(check_mode: bool = False, results: list[t.Any] | None = None) -> tuple[Runner, FakeAction]:
    action = FakeAction(check_mode, results)
    return Runner(action, {"inventory_hostname": "srv1"}), action


def test_changing_call_under_check_mode_is_refused_before_reaching_the_host():
    runner, action = make_runner(check_mode=True)
    with pytest.raises(CheckModeViolation, match="ansible.builtin.file would change the host under check mode"):
        runner.module("ansible.builtin.file", {"path": "/srv/x", "state": "absent"})
    assert action.executed == []
    assert runner.calls == []
    assert action._task.check_mode is True


def test_probe_runs_under_check_mode_with_check_mode_off_for_that_call_only():
    runner, action = make_runner(check_mode=True, results=[{"stat": {"exists": False}}])
    result = runner.module("ansible.builtin.stat", {"path": "/srv/x"}, probe=True)
    assert result == {"stat": {"exists": False}}
    assert action.executed == [("ansible.builtin.stat", {"path": "/srv/x"}, False)]
    assert action._task.check_mode is True


@pytest.mark.parametrize("error", [AnsibleConnectionFailure("broken pipe"), RuntimeError("module crashed")])
def test_check_mode_is_restored_when_the_probe_raises(error: BaseException):
    runner, action = make_runner(check_mode=True, results=[Raises(error)])
    with pytest.raises((HostUnreachable, RuntimeError)):
        runner.module("ansible.builtin.stat", {"path": "/srv/x"}, probe=True)
    assert action.executed[0][2] is False
    assert action._task.check_mode is True


def test_normal_run_keeps_check_mode_off():
    runner, action = make_runner(check_mode=False, results=[{"changed": True}])
    assert runner.module("ansible.builtin.file", {"path": "/srv/x", "state": "directory"}) == {"changed": True}
    assert action.executed == [("ansible.builtin.file", {"path": "/srv/x", "state": "directory"}, False)]
    assert runner.check_mode is False


def test_the_module_gets_a_copy_of_the_arguments():
    args = {"path": "/srv/x"}
    runner, action = make_runner(results=[{}])
    runner.module("ansible.builtin.stat", args, probe=True)
    action.executed[0][1]["path"] = "/changed"
    assert args == {"path": "/srv/x"}


def test_connection_failure_becomes_host_unreachable():
    runner, _action = make_runner(results=[Raises(AnsibleConnectionFailure("ssh: connect to host srv1 port 22: Connection refused"))])
    with pytest.raises(HostUnreachable, match="Connection refused"):
        runner.module("ansible.builtin.stat", {"path": "/x"}, probe=True)


def test_unreachable_result_becomes_host_unreachable_even_when_failure_is_allowed():
    runner, _action = make_runner(results=[{"unreachable": True, "msg": "Data could not be sent to remote host"}])
    with pytest.raises(HostUnreachable, match="Data could not be sent"):
        runner.module("ansible.builtin.stat", {"path": "/x"}, probe=True, allow_failure=True)


@pytest.mark.parametrize(("result", "message"), [
    ({"failed": True, "msg": "path /x does not exist"}, "path /x does not exist"),
    ({"failed": True, "rc": 1, "stderr": "mv: cannot stat"}, "mv: cannot stat"),
    ({"failed": True}, "failed"),
])
def test_failed_result_becomes_module_failed(result: dict[str, t.Any], message: str):
    runner, _action = make_runner(results=[result])
    with pytest.raises(ModuleFailed) as raised:
        runner.module("ansible.builtin.command", {"argv": ["mv", "a", "b"]})
    assert raised.value.module == "ansible.builtin.command"
    assert raised.value.msg == message
    assert raised.value.result == result
    assert str(raised.value) == f"ansible.builtin.command: {message}"


def test_allow_failure_returns_the_failed_result():
    runner, _action = make_runner(results=[{"failed": True, "rc": 2, "msg": "non-zero return code"}])
    result = runner.module("ansible.builtin.command", {"argv": ["false"]}, allow_failure=True)
    assert result["rc"] == 2


def test_every_round_trip_is_counted_including_failed_ones():
    runner, _action = make_runner(results=[{}, {"failed": True, "msg": "no"}, {}])
    runner.module("ansible.builtin.stat", {"path": "/a"}, probe=True)
    with pytest.raises(ModuleFailed):
        runner.module("ansible.builtin.file", {"path": "/b", "state": "absent"})
    runner.module("ansible.builtin.find", {"paths": ["/c"]}, probe=True)
    assert runner.calls == ["ansible.builtin.stat", "ansible.builtin.file", "ansible.builtin.find"]


def test_host_label_is_the_inventory_name():
    runner, _action = make_runner()
    assert runner.host_label == "srv1"
    assert Runner(FakeAction(), {}).host_label == "?"


# -- controller-side action plugins ---------------------------------------------------------------


def test_action_under_check_mode_is_refused():
    runner, action = make_runner(check_mode=True)
    with pytest.raises(CheckModeViolation, match="ansible.builtin.copy"):
        runner.action("ansible.builtin.copy", {"content": "x", "dest": "/srv/x"})
    action._shared_loader_obj.action_loader.get.assert_not_called()
    assert runner.calls == []


def test_action_runs_the_named_plugin_with_a_copy_of_the_task():
    runner, action = make_runner()
    plugin = action._shared_loader_obj.action_loader.get.return_value
    plugin.run.return_value = {"changed": True, "dest": "/srv/x"}
    args = {"content": "x", "dest": "/srv/x", "nested": {"a": 1}}
    assert runner.action("ansible.builtin.copy", args) == {"changed": True, "dest": "/srv/x"}
    call = action._shared_loader_obj.action_loader.get.call_args
    assert call.args == ("ansible.builtin.copy",)
    new_task = call.kwargs["task"]
    assert new_task is action._task.copy.return_value
    assert new_task.args == args and new_task.args["nested"] is not args["nested"]
    assert call.kwargs["connection"] is action._connection
    plugin.run.assert_called_once_with(task_vars={"inventory_hostname": "srv1"})
    assert runner.calls == ["ansible.builtin.copy"]


@pytest.mark.parametrize(("outcome", "error"), [
    (AnsibleConnectionFailure("gone"), HostUnreachable),
    ({"unreachable": True, "msg": "gone"}, HostUnreachable),
    ({"failed": True, "msg": "Destination directory /srv does not exist"}, ModuleFailed),
])
def test_action_errors_are_mapped(outcome: t.Any, error: type[Exception]):
    runner, action = make_runner()
    plugin = action._shared_loader_obj.action_loader.get.return_value
    if isinstance(outcome, BaseException):
        plugin.run.side_effect = outcome
    else:
        plugin.run.return_value = outcome
    with pytest.raises(error):
        runner.action("ansible.builtin.copy", {"content": "x", "dest": "/srv/x"})
