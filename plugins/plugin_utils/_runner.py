# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs modules on the target for an action plugin: the only place that calls ``_execute_module``.

It counts round trips, turns connection errors into :class:`HostUnreachable` and module failures
into :class:`ModuleFailed`, switches check mode off for read-only probes, and refuses a changing
call under ``--check`` (a bug guard: phases predict instead of changing anything).
"""

from __future__ import annotations

import collections.abc as c
import contextlib
import copy
import json
import os
import re
import time
import typing as t

from ansible import constants as C
from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.utils.display import Display

display = Display()


#: With this environment variable set to a file, every remote call is appended to it as one JSON line (when it began,
#: how long it took, the module): what bench/ measures the round trips and the downtime with. Nothing else is written.
TRACE_ENV = "CONAKTIV_TRACE"


def trace(host: str, name: str, began: float, args: dict[str, t.Any] | None = None, task: str = "") -> None:
    """Append one remote call to the trace file, when tracing is on (arguments are never written, only argv[0] of a command)."""
    path = os.environ.get(TRACE_ENV)
    if not path:
        return
    what = ""
    argv = (args or {}).get("argv")
    if isinstance(argv, list) and argv:
        what = os.path.basename(str(argv[0]))
    line = json.dumps({"at": began, "s": round(time.time() - began, 4), "host": host, "module": name, "what": what, "task": task})
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _needs_tty(result: dict[str, t.Any]) -> bool:
    """Whether a pipelined call failed because sudo wants a terminal (``Defaults requiretty``)."""
    text = f"{result.get('msg', '')} {result.get('module_stderr', '')} {result.get('module_stdout', '')}"
    return bool(result.get("failed")) and "must have a tty" in text


class HostUnreachable(Exception):
    """The connection to the target failed."""


class ModuleFailed(Exception):
    """A module on the target reported failure."""

    def __init__(self, module: str, msg: str, result: dict[str, t.Any]) -> None:
        super().__init__(f"{module}: {msg}")
        self.module = module
        self.msg = msg
        self.result = result


class CheckModeViolation(Exception):
    """A changing call was attempted under check mode."""


# Texts that say a module failed but not why: ansible-core's own ("MODULE FAILURE" up to 2.18, "Module failed." and
# "Module result deserialization failed: ..." in 2.21) and a bare "failed".
_GENERIC = re.compile(r"(module failure|module failed\.?|failed|unknown error\.?|module result deserialization failed\b.*)", re.IGNORECASE)
# Stack and position lines of Python, .NET and PowerShell tracebacks: never the reason itself.
_STACK_LINE = re.compile(r"(\s|at |At line:|At [A-Za-z]:|\+ |[~^]+$|File \"|Traceback \(|ScriptStackTrace:|--- |During handling|The above exception)")
_TYPE_PREFIX = re.compile(r"^[A-Za-z_][\w.]*: ")
_MAX_REASON = 300


def _field(value: t.Any, name: str) -> t.Any:
    """Attribute or key ``name``: the error summary is an object on the controller and a dict once serialized."""
    return value.get(name) if isinstance(value, c.Mapping) else getattr(value, name, None)


def _one_line(text: t.Any) -> str:
    """``text`` with every run of whitespace (newlines too) turned into one space."""
    return " ".join(str(text or "").split())


def _last_meaningful_line(text: t.Any) -> str:
    """The line of a traceback or of module output that names the error (Python's last line, PowerShell's first)."""
    lines = [line.rstrip() for line in str(text or "").splitlines() if line.strip()]
    for line in reversed(lines):
        if not _STACK_LINE.match(line):
            return line.strip()
    return ""


def _reasons(result: dict[str, t.Any]) -> list[str]:
    """Where a failed result may hold its reason, most specific first.

    The shapes are ansible-core 2.21's: ``exception`` is an ErrorSummary whose ``event`` chain carries the messages
    of the exception and its causes (module_utils/basic.py ``fail_json(exception=...)``; an uncaught exception in a
    module, whose result then has no ``msg`` at all; a traceback string normalized by _internal/_task.py
    ``UnifiedTaskResult``), each with a ``formatted_traceback`` when tracebacks are on. A module that died before
    printing JSON leaves "Module result deserialization failed" and its output in ``module_stderr`` / ``module_stdout``
    (plugins/action/__init__.py ``_parse_returned_data``). Older cores and PowerShell modules send a plain string.
    """
    exception = result.get("exception")
    events: list[list[str]] = []
    if isinstance(exception, str):
        events.append([_last_meaningful_line(exception)])
    event = _field(exception, "event") if exception is not None else None
    while event is not None and len(events) < 20:
        events.append([str(_field(event, "msg") or ""), _last_meaningful_line(_field(event, "formatted_traceback"))])
        chain = _field(event, "chain")
        event = _field(chain, "event") if chain is not None else None
    found = [text for texts in reversed(events) for text in texts]  # the innermost cause first
    return found + [_last_meaningful_line(result.get(key)) for key in ("module_stderr", "module_stdout")]


def failure_message(result: dict[str, t.Any]) -> str:
    """One line that says why a module failed: its ``msg``, plus the reason it left elsewhere when msg lacks it."""
    msg = str(result.get("msg") or "").strip()
    said = _one_line(msg).lower()
    reason = ""
    for candidate in map(_one_line, _reasons(result)):
        core = _TYPE_PREFIX.sub("", candidate)
        if candidate and not _GENERIC.fullmatch(core) and core.lower() not in said:
            reason = candidate if len(candidate) <= _MAX_REASON else candidate[:_MAX_REASON] + "..."
            break
    if not msg or _GENERIC.fullmatch(msg.splitlines()[0].strip()):
        return reason or msg or str(result.get("stderr") or "").strip() or "failed"
    return f"{_one_line(msg)}: {reason}" if reason else msg


class Runner:
    """Executes modules on one host through an action plugin."""

    def __init__(self, action: t.Any, task_vars: dict[str, t.Any]) -> None:
        self._action = action
        self._task_vars = task_vars
        self.calls: list[str] = []

    @property
    def check_mode(self) -> bool:
        """Whether the task runs under ``--check``."""
        return bool(self._action._task.check_mode)

    def _task_label(self) -> str:
        """The module of the running task and its state, for the trace ("conaktiv.server.swap prepared")."""
        task = self._action._task
        state = (getattr(task, "args", None) or {}).get("state", "") if isinstance(getattr(task, "args", None), dict) else ""
        return f"{getattr(task, 'action', '')} {state}".strip()

    @property
    def host_label(self) -> str:
        """The inventory name of the host, for progress messages."""
        return str(self._task_vars.get("inventory_hostname", "?"))

    def module(self, name: str, args: dict[str, t.Any], *, probe: bool = False, allow_failure: bool = False,
               no_log: bool = False) -> dict[str, t.Any]:
        """Run module ``name`` (an FQCN) with ``args`` on the host and return its result.

        ``probe`` marks a read-only call that must also run under check mode. ``no_log`` marks a call whose arguments
        carry a secret in an option the module does not know as secret (a token in ``uri``'s ``headers``): the module
        then does not log its invocation to the host's syslog / journal / event log (``_ansible_no_log``, which
        ``ActionBase._execute_module`` takes from the task), and its arguments travel pipelined (:meth:`_pipelined`).
        """
        task = self._action._task
        if task.check_mode and not probe:
            raise CheckModeViolation(f"internal error: {name} would change the host under check mode")
        saved, saved_no_log = task.check_mode, task.no_log
        task.check_mode = False if probe else saved
        if no_log:
            task.no_log = True
        began = time.time()
        try:
            with self._pipelined(no_log) as pipelined:
                result = self._action._execute_module(module_name=name, module_args=dict(args), task_vars=self._task_vars)
            if pipelined and _needs_tty(result):
                display.warning(f"{name} could not run pipelined (sudo requiretty); its arguments, with a secret, were written to the "
                                "remote temporary folder for this call. Remove requiretty for the Ansible account (see the README).")
                result = self._action._execute_module(module_name=name, module_args=dict(args), task_vars=self._task_vars)
        except AnsibleConnectionFailure as exc:
            raise HostUnreachable(str(exc)) from exc
        finally:
            task.check_mode = saved
            task.no_log = saved_no_log
            trace(self.host_label, name, began, args, task=self._task_label())
        self.calls.append(name)
        display.vvvv(f"conaktiv.server: {name} -> rc={result.get('rc')} changed={result.get('changed')}", host=self.host_label)
        if result.get("unreachable"):
            raise HostUnreachable(str(result.get("msg", "host unreachable")))
        if result.get("failed") and not allow_failure:
            raise ModuleFailed(name, failure_message(result), result)
        return result

    @contextlib.contextmanager
    def _pipelined(self, secret: bool) -> c.Iterator[bool]:
        """For a call whose arguments hold a secret: pipelining on, so that the module and its arguments go to the host's Python
        over stdin instead of into a file in the remote temporary folder, which a killed controller would leave behind (it also
        removes that folder). Yields whether it switched pipelining on; WinRM and PSRP always pipeline."""
        connection = self._action._connection
        become = getattr(connection, "become", None)
        if not secret or not getattr(connection, "has_pipelining", False) or (become and not become.pipelining) or C.DEFAULT_KEEP_REMOTE_FILES:
            yield False
            return
        try:
            before = connection.get_option("pipelining")
        except (KeyError, AttributeError):
            yield False  # a connection without the option: the play's setting stands
            return
        if before:
            yield False
            return
        connection.set_option("pipelining", True)
        try:
            yield True
        finally:
            connection.set_option("pipelining", before)

    def remote_tmp(self) -> str:
        """Where the connection's shell puts transferred files first (``ansible_remote_tmp``; ``%TEMP%`` / ``~/.ansible/tmp``)."""
        shell = self._action._connection._shell
        try:
            return str(shell.get_option("remote_tmp"))
        except (AttributeError, KeyError, AnsibleError):
            return "%TEMP%" if getattr(shell, "_IS_WINDOWS", False) else "~/.ansible/tmp"

    def transfer(self, local_path: str) -> str:
        """Put a controller file into the task's remote temporary folder (made when needed) and return its remote path.

        One transfer over the connection, no module: what ``copy`` does before its module runs, without the stat and the copy
        module around it. The file is readable by the become user; the folder goes when the task ends.
        """
        if self.check_mode:
            raise CheckModeViolation("internal error: a transfer would change the host under check mode")
        act = self._action
        began = time.time()
        try:
            tmpdir = act._connection._shell.tmpdir or act._make_tmp_path()
            remote = act._connection._shell.join_path(tmpdir, os.path.basename(local_path))
            act._transfer_file(local_path, remote)
            act._fixup_perms2((tmpdir, remote))
        except AnsibleConnectionFailure as exc:
            raise HostUnreachable(str(exc)) from exc
        finally:
            trace(self.host_label, "transfer", began, task=self._task_label())
        return remote

    def action(self, name: str, args: dict[str, t.Any]) -> dict[str, t.Any]:
        """Run the controller-side action plugin ``name`` (e.g. a copy that transfers a file)."""
        if self.check_mode:
            raise CheckModeViolation(f"internal error: {name} would change the host under check mode")
        act = self._action
        new_task = act._task.copy()
        new_task.args = copy.deepcopy(args)
        plugin = act._shared_loader_obj.action_loader.get(
            name, task=new_task, connection=act._connection, play_context=act._play_context,
            loader=act._loader, templar=act._templar, shared_loader_obj=act._shared_loader_obj)
        began = time.time()
        try:
            result = plugin.run(task_vars=self._task_vars)
        except AnsibleConnectionFailure as exc:
            raise HostUnreachable(str(exc)) from exc
        finally:
            trace(self.host_label, name, began, task=self._task_label())
        self.calls.append(name)
        if result.get("unreachable"):
            raise HostUnreachable(str(result.get("msg", "host unreachable")))
        if result.get("failed"):
            raise ModuleFailed(name, failure_message(result), result)
        return result
