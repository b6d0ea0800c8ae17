# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the Runner: the check-mode guard, probes, error mapping and the round-trip count."""

from __future__ import annotations

import textwrap
import typing as t
from unittest.mock import MagicMock

import pytest
from ansible._internal._errors._captured import CapturedErrorSummary
from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils._internal._messages import ErrorSummary, Event, EventChain

from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import (
    CheckModeViolation, HostUnreachable, ModuleFailed, Runner, failure_message)


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


# -- why a module failed (ansible-core 2.21 result shapes) -----------------------------------------

PY_TRACEBACK = textwrap.dedent("""\
    Traceback (most recent call last):
      File "/tmp/ansible_copy_payload/ansible/modules/copy.py", line 700, in main
        module.atomic_move(b_mysrc, dest)
        ~~~~~~~~~~~~~~~~~~^^^^^^^^^^^^^^^
    OSError: [Errno 28] No space left on device
    """)
PS_EXCEPTION = ("Access to the path 'D:\\ConAktiv\\x' is denied.\r\nAt line:5 char:1\r\n+ Remove-Item $x\r\n+ ~~~~~~~~~~~\r\n"
                "+ CategoryInfo          : NotSpecified\r\n\r\nScriptStackTrace:\r\nat <ScriptBlock>, <No file>: line 5\r\n"
                "   at System.IO.File.Delete(String path)")


def captured(msg: str, traceback: str | None = None, cause: Event | None = None) -> CapturedErrorSummary:
    """An ``exception`` value the way ansible-core 2.21 hands it to an action plugin."""
    chain = EventChain(msg_reason="<<< caused by >>>", traceback_reason="The above exception was the direct cause of the following error:",
                       event=cause) if cause else None
    return CapturedErrorSummary(event=Event(msg=msg, formatted_traceback=traceback, chain=chain), error_message="Module failed.",
                                error_context="target", is_module=True)


@pytest.mark.parametrize(("result", "message"), [
    # An uncaught exception in the module: no msg at all, the reason is the event's message.
    ({"failed": True, "exception": captured("[Errno 28] No space left on device")}, "[Errno 28] No space left on device"),
    ({"failed": True, "exception": captured("[Errno 28] No space left on device", PY_TRACEBACK)}, "[Errno 28] No space left on device"),
    # fail_json(msg=..., exception=ex): the cause travels in the event chain.
    ({"failed": True, "msg": "Could not replace file",
      "exception": captured("Could not replace file", cause=Event(msg="[Errno 28] No space left on device"))},
     "Could not replace file: [Errno 28] No space left on device"),
    # fail_json(msg="failed") inside an except block, tracebacks on: only the traceback names it.
    ({"failed": True, "msg": "failed", "exception": captured("failed", PY_TRACEBACK)}, "OSError: [Errno 28] No space left on device"),
    ({"failed": True, "msg": "MODULE FAILURE", "exception": PY_TRACEBACK}, "OSError: [Errno 28] No space left on device"),
    # The module died before printing its JSON.
    ({"failed": True, "msg": "Module result deserialization failed: No start of json char found", "rc": 1, "module_stdout": "",
      "module_stderr": PY_TRACEBACK,
      "exception": ErrorSummary(event=Event(msg="Module result deserialization failed.", chain=EventChain(
          msg_reason="<<< caused by >>>", traceback_reason="", event=Event(msg="No start of json char found"))))},
     "OSError: [Errno 28] No space left on device"),
    ({"failed": True, "msg": "MODULE FAILURE\nSee stdout/stderr for the exact error", "module_stdout": "Killed\n", "module_stderr": ""}, "Killed"),
    # msg already says it: nothing is repeated.
    ({"failed": True, "msg": "Could not replace file: [Errno 28] No space left on device", "exception": PY_TRACEBACK},
     "Could not replace file: [Errno 28] No space left on device"),
    # A PowerShell module's unhandled exception: the reason is the first line of the text, and msg has it already.
    ({"failed": True, "msg": "Unhandled exception while executing module: Access to the path 'D:\\ConAktiv\\x' is denied.",
      "exception": PS_EXCEPTION},
     "Unhandled exception while executing module: Access to the path 'D:\\ConAktiv\\x' is denied."),
    ({"failed": True, "msg": "Failed to remove D:\\ConAktiv\\x", "exception": PS_EXCEPTION},
     "Failed to remove D:\\ConAktiv\\x: Access to the path 'D:\\ConAktiv\\x' is denied."),
    # The serialized form of the summary (a dict) is read the same way.
    ({"failed": True, "exception": {"event": {"msg": "boom", "chain": {"event": {"msg": "disk full"}}}}}, "disk full"),
    ({"failed": True, "msg": "path /x does not exist"}, "path /x does not exist"),
    ({"failed": True}, "failed"),
])
def test_failure_message_finds_the_reason(result: dict[str, t.Any], message: str):
    assert failure_message(result) == message
    assert "\n" not in failure_message(result)


def test_a_huge_reason_is_cut():
    assert failure_message({"failed": True, "module_stderr": "x" * 5000}) == "x" * 300 + "..."


def test_module_and_action_failures_carry_the_reason():
    result = {"failed": True, "exception": captured("[Errno 28] No space left on device")}
    runner, action = make_runner(results=[result])
    with pytest.raises(ModuleFailed, match=r"^ansible.builtin.file: \[Errno 28\] No space left on device$"):
        runner.module("ansible.builtin.file", {"path": "/x", "state": "directory"})
    action._shared_loader_obj.action_loader.get.return_value.run.return_value = {
        "failed": True, "msg": "failed", "exception": captured("failed", PY_TRACEBACK)}
    with pytest.raises(ModuleFailed, match=r"^ansible.builtin.copy: OSError: \[Errno 28\] No space left on device$"):
        runner.action("ansible.builtin.copy", {"content": "x", "dest": "/srv/x"})


RAISER = '''#!/usr/bin/python
import os, sys
from ansible.module_utils.basic import AnsibleModule
module = AnsibleModule(argument_spec={"mode": {"type": "str"}})
mode = module.params["mode"]
if mode == "raise":
    raise OSError(28, "No space left on device")
if mode == "fail_with_cause":
    try:
        raise OSError(28, "No space left on device")
    except OSError as ex:
        module.fail_json(msg="Could not replace file", exception=ex)
if mode == "crash":
    sys.stderr.write("Traceback (most recent call last):\\n  File \\"x\\", line 1\\nOSError: [Errno 28] No space left on device\\n")
    sys.stderr.flush()
    os._exit(1)
module.exit_json()
'''
RUNNER_ACTION = '''
from ansible.plugins.action import ActionBase
from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import ModuleFailed, Runner

class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        super().run(tmp, task_vars)
        try:
            Runner(self, task_vars).module("raiser", {"mode": self._task.args["mode"]})
        except ModuleFailed as exc:
            return {"changed": False, "reason": str(exc)}
        return {"changed": False, "reason": None}
'''


@pytest.mark.slow
def test_real_module_failures_under_ansible_core(run_action: t.Callable[..., list[dict[str, t.Any]]]):
    """The real thing: modules failing in ansible-core's own ways, read by the Runner inside a playbook run."""
    results = run_action(RUNNER_ACTION, [{"mode": "raise"}, {"mode": "fail_with_cause"}, {"mode": "crash"}], modules={"raiser": RAISER})
    assert [result["reason"] for result in results] == [
        "raiser: [Errno 28] No space left on device",
        "raiser: Could not replace file: [Errno 28] No space left on device",
        "raiser: OSError: [Errno 28] No space left on device",
    ]


class PipeConnection:
    """A connection that can pipeline, with its pipelining option as the play set it, and an optional become plugin."""

    def __init__(self, pipelining: bool = False, become_pipelines: bool | None = None) -> None:
        self.has_pipelining = True
        self.options = {"pipelining": pipelining}
        self.become = None if become_pipelines is None else MagicMock(pipelining=become_pipelines)

    def get_option(self, name: str) -> t.Any:
        return self.options[name]

    def set_option(self, name: str, value: t.Any) -> None:
        self.options[name] = value


def pipelined_runner(connection: PipeConnection, results: list[t.Any] | None = None) -> tuple[Runner, FakeAction, list[bool]]:
    runner, action = make_runner(results=results)
    action._connection = connection
    seen: list[bool] = []
    execute = action._execute_module

    def recording(**kwargs: t.Any) -> dict[str, t.Any]:
        seen.append(connection.options["pipelining"])
        return execute(**kwargs)

    action._execute_module = recording  # type: ignore[method-assign]
    return runner, action, seen


def test_a_call_carrying_a_secret_runs_pipelined_so_its_arguments_never_land_in_a_remote_file():
    connection = PipeConnection(pipelining=False)
    runner, _action, seen = pipelined_runner(connection)
    runner.module("ansible.builtin.uri", {"url": "http://127.0.0.1:2049/api/status", "headers": {"X-Token": "s3cret"}}, probe=True, no_log=True)
    runner.module("ansible.builtin.stat", {"path": "/srv"}, probe=True)
    assert seen == [True, False], "pipelined for the secret only"
    assert connection.options["pipelining"] is False, "the play's setting is back afterwards"


def test_a_become_method_that_cannot_pipeline_leaves_the_setting_alone():
    connection = PipeConnection(pipelining=False, become_pipelines=False)
    runner, _action, seen = pipelined_runner(connection)
    runner.module("ansible.builtin.uri", {"url": "http://x"}, probe=True, no_log=True)
    assert seen == [False]


def test_sudo_requiretty_falls_back_to_an_unpipelined_call_with_a_warning(monkeypatch: pytest.MonkeyPatch):
    warnings: list[str] = []
    monkeypatch.setattr("ansible_collections.conaktiv.server.plugins.plugin_utils._runner.display.warning", warnings.append)
    connection = PipeConnection(pipelining=False, become_pipelines=True)
    refused = {"failed": True, "msg": "MODULE FAILURE", "module_stderr": "sudo: sorry, you must have a tty to run sudo\n"}
    runner, _action, seen = pipelined_runner(connection, results=[refused, {"status": 200}])
    assert runner.module("ansible.builtin.uri", {"url": "http://x"}, probe=True, no_log=True) == {"status": 200}
    assert seen == [True, False] and len(warnings) == 1 and "requiretty" in warnings[0]
