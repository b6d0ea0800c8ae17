# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fakes for the action plugin unit tests, in the style of ansible.windows' action plugin tests.

Fixtures:
  make_action   callable(plugin_module, args, check_mode=False, modules=None) -> ActionModule built from mocks
                (task, connection whose ``_shell.SHELL_FAMILY`` is ``sh``, play_context, loader, templar,
                shared_loader_obj) with ``_execute_module`` replaced by a :class:`FakeModules` (``plugin.modules``).
  fake_host     a :class:`FakeHost` (in-memory POSIX host) that every plugin gets instead of a PosixHost.
  clock         a :class:`FakeClock`; ``clock.install(module)`` replaces the ``time`` module inside a plugin module.
  survey_answer :func:`answer_survey`: answers the POSIX adapter's one-command survey from listings and texts.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import sys
import typing as t
import zipfile
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleConnectionFailure

from ansible_collections.conaktiv.server.plugins.plugin_utils._host import CommandResult, Host, HttpResponse, PathStat, Tail
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction
from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import ModuleFailed, Runner
from ansible_collections.conaktiv.server.plugins.plugin_utils._service import ServiceError
from ansible_collections.conaktiv.server.plugins.plugin_utils._time_zone import HostZone

ModuleHandler = t.Callable[[dict[str, t.Any]], dict[str, t.Any]]
HttpHandler = t.Callable[[str, str, dict[str, str], t.Any], HttpResponse]
CommandHandler = t.Callable[[list[str]], CommandResult]

# Host operations that change the target; none of them may run under check mode.
MUTATING = frozenset({"make_dir", "remove", "rename", "write_text", "append_line", "put_line", "claim", "cutover", "put_file",
                      "unpack", "make_zip", "set_service"})


class FakeModules:
    """Stands in for ``ActionBase._execute_module``: answers per module name (``*``: any other) and records every call."""

    def __init__(self, task: t.Any, handlers: dict[str, ModuleHandler] | None = None) -> None:
        self._task = task
        self.handlers: dict[str, ModuleHandler] = dict(handlers or {})
        self.calls: list[tuple[str, dict[str, t.Any], bool]] = []

    def __call__(self, module_name: str, module_args: dict[str, t.Any], task_vars: dict[str, t.Any] | None = None,
                 **_: t.Any) -> dict[str, t.Any]:
        # The check mode the module would see is the task's at the moment of the call.
        self.calls.append((module_name, dict(module_args), bool(self._task.check_mode)))
        handler = self.handlers.get(module_name) or self.handlers.get("*")
        if handler is None:
            raise AssertionError(f"unexpected module call {module_name} {module_args}")
        return handler(dict(module_args))

    def names(self) -> list[str]:
        """The module names called, in order."""
        return [name for name, _args, _check in self.calls]


def build_action(plugin_module: t.Any, args: dict[str, t.Any], check_mode: bool = False,
                 modules: dict[str, ModuleHandler] | None = None) -> t.Any:
    """The plugin's ActionModule built from mocks, the way the task executor would build it."""
    name = "conaktiv.server." + plugin_module.__name__.rsplit(".", 1)[-1]
    task = MagicMock(name="task")
    task.args = dict(args)
    task.check_mode = check_mode
    task.async_val = 0
    task.action = name
    connection = MagicMock(name="connection")
    connection._shell.SHELL_FAMILY = "sh"
    connection._shell.tmpdir = None
    play_context = MagicMock(name="play_context")
    play_context.check_mode = check_mode
    plugin = plugin_module.ActionModule(task, connection, play_context, loader=MagicMock(name="loader"),
                                        templar=MagicMock(name="templar"), shared_loader_obj=MagicMock(name="shared_loader_obj"))
    plugin._load_name = name  # set by the plugin loader in a real run; used in validation messages
    plugin.modules = FakeModules(task, modules)
    plugin._execute_module = plugin.modules
    return plugin


@pytest.fixture
def make_action() -> t.Callable[..., t.Any]:
    """Factory for action plugins built from mocks (see :func:`build_action`)."""
    return build_action


class FakeClock:
    """A monotonic clock that only moves when something sleeps; stands in for the ``time`` module."""

    MAX_SLEEPS = 10_000

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self.wall_offset = 1_800_000_000.0

    def monotonic(self) -> float:
        """The fake monotonic time."""
        return self.now

    def time(self) -> float:
        """Wall-clock seconds, moving with the fake clock."""
        return self.wall_offset + self.now

    def sleep(self, seconds: float) -> None:
        """Advance instead of sleeping; a wait loop that never ends fails the test instead of hanging it."""
        assert seconds >= 0, f"negative sleep {seconds}"
        self.sleeps.append(seconds)
        self.now += seconds
        if len(self.sleeps) > self.MAX_SLEEPS:
            raise AssertionError(f"runaway wait loop: {len(self.sleeps)} sleeps, {self.now:.0f} s on the fake clock")

    def advance(self, seconds: float) -> None:
        """Let time pass without a sleep (a slow round trip)."""
        self.now += seconds


class ClockInstaller:
    """Installs one :class:`FakeClock` as the ``time`` module of plugin modules."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.clock = FakeClock()
        self._monkeypatch = monkeypatch

    def install(self, module: t.Any) -> FakeClock:
        """Replace ``module.time`` (the plugin's ``import time``) with the fake clock."""
        self._monkeypatch.setattr(module, "time", self.clock)
        return self.clock


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> ClockInstaller:
    """A fake clock; call ``clock.install(plugin_module)``."""
    return ClockInstaller(monkeypatch)


class FakeHost(Host):  # pylint: disable=too-many-instance-attributes,too-many-public-methods
    """An in-memory POSIX host: folders, files, services, commands and a control interface.

    Every operation is recorded in ``calls``; a changing operation under check mode is recorded in
    ``check_mode_violations`` as well (the real Runner would raise; tests assert the list is empty).
    """

    family = "posix"

    def __init__(self) -> None:
        super().__init__(t.cast(Runner, None))
        self.dirs: set[str] = {"/"}
        self.files: dict[str, bytes] = {}
        self.services: dict[str, str] = {}
        self.volumes: dict[str, str] = {}
        self.free = 10 * 1024 ** 3
        self.calls: list[tuple[str, tuple[t.Any, ...]]] = []
        self.check_mode_violations: list[tuple[str, tuple[t.Any, ...]]] = []
        self.listed_missing: list[str] = []
        self.http_handler: HttpHandler | None = None
        self.command_handler: CommandHandler | None = None
        self.port_handler: t.Callable[[int, str, int], bool] = lambda port, state, timeout: True
        self.clients_handler: t.Callable[[int], bool] = lambda port: False
        self.zone = HostZone(name="Europe/Berlin", offset="+0100")
        #: Why ending the server by force fails (None: it works).
        self.kill_refused: str | None = None

    # -- setting up -------------------------------------------------------------------------------
    def attach(self, runner: Runner) -> FakeHost:
        """Use ``runner`` (for its check mode) like a real adapter would."""
        self.runner = runner
        return self

    def add_dir(self, path: str) -> None:
        """Create folder ``path`` and its parents."""
        while path not in self.dirs:
            self.dirs.add(path)
            path = self.parent(path)

    def add_file(self, path: str, content: str | bytes = b"x") -> None:
        """Create file ``path`` (and its folders)."""
        self.add_dir(self.parent(path))
        self.files[path] = content.encode() if isinstance(content, str) else content

    def exists(self, path: str) -> bool:
        """Whether ``path`` is a folder or a file."""
        return path in self.dirs or path in self.files

    def text(self, path: str) -> str:
        """The text of file ``path``."""
        return self.files[path].decode()

    def ops(self, *names: str) -> list[tuple[t.Any, ...]]:
        """The arguments of every recorded call of the operations ``names``."""
        return [args for op, args in self.calls if op in names]

    def _record(self, op: str, *args: t.Any, mutating: bool | None = None) -> None:
        self.calls.append((op, args))
        changing = op in MUTATING if mutating is None else mutating
        if changing and self.runner is not None and self.runner.check_mode:
            self.check_mode_violations.append((op, args))

    def _below(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        return [entry for entry in list(self.dirs) + list(self.files) if entry == path or entry.startswith(prefix)]

    def _fail(self, module: str, msg: str) -> t.NoReturn:
        raise ModuleFailed(module, msg, {"failed": True, "msg": msg})

    # -- Host -------------------------------------------------------------------------------------
    def stat(self, path: str, checksum_algorithm: str | None = None) -> PathStat:
        self._record("stat", path, checksum_algorithm)
        if path in self.dirs:
            return PathStat(exists=True, is_dir=True)
        if path in self.files:
            data = self.files[path]
            checksum = hashlib.new(checksum_algorithm, data).hexdigest() if checksum_algorithm else None
            return PathStat(exists=True, size=len(data), checksum=checksum, mode="0644")
        return PathStat(exists=False)

    def list_existing_dirs(self, paths: list[str]) -> dict[str, list[str]]:
        self._record("list_existing_dirs", tuple(paths))
        listing = {}
        for path in paths:
            if path not in self.dirs:
                self.listed_missing.append(path)
            listing[path] = sorted(self.name(entry) for entry in list(self.dirs) + list(self.files)
                                   if entry != "/" and self.parent(entry) == path and entry != path)
        return listing

    def make_dir(self, path: str) -> bool:
        self._record("make_dir", path)
        if path in self.files:
            self._fail("ansible.builtin.file", f"{path} exists and is not a directory")
        created = path not in self.dirs
        self.add_dir(path)
        return created

    def remove(self, path: str) -> bool:
        self._record("remove", path)
        doomed = self._below(path)
        for entry in doomed:
            self.dirs.discard(entry)
            self.files.pop(entry, None)
        return bool(doomed)

    def rename(self, source: str, target: str) -> None:
        self._record("rename", source, target)
        if not self.exists(source):
            self._fail("conaktiv.server.host_command", f"mv: cannot stat '{source}': No such file or directory")
        if self.exists(target):
            self._fail("conaktiv.server.host_command", f"mv: '{target}' exists")
        if self.parent(target) not in self.dirs:
            self._fail("conaktiv.server.host_command", f"mv: cannot move to '{target}': No such file or directory")
        for entry in self._below(source):
            moved = target + entry[len(source):]
            if entry in self.dirs:
                self.dirs.discard(entry)
                self.dirs.add(moved)
            else:
                self.files[moved] = self.files.pop(entry)

    def read_text(self, path: str) -> str | None:
        self._record("read_text", path)
        data = self.files.get(path)
        return None if data is None else data.decode()

    def read_tail(self, path: str, offset: int, max_bytes: int) -> Tail:
        self._record("read_tail", path, offset)
        data = self.files.get(path)
        if data is None:
            return Tail(exists=False)
        start = max(offset if offset <= len(data) else 0, len(data) - max_bytes)
        return Tail(exists=True, size=len(data), start=start, data=data[start:])

    def write_text(self, path: str, text: str) -> None:
        self._record("write_text", path, text)
        if self.parent(path) not in self.dirs:
            self._fail("ansible.builtin.copy", f"Destination directory {self.parent(path)} does not exist")
        self.files[path] = text.encode()

    def append_line(self, path: str, line: str) -> bool:
        self._record("append_line", path, line)
        if self.parent(path) not in self.dirs:
            self._fail("ansible.builtin.lineinfile", f"Destination {path} does not exist !")
        lines = self.files.get(path, b"").decode().splitlines()
        if line in lines:
            return False
        self.files[path] = ("\n".join(lines + [line]) + "\n").encode()
        return True

    def put_line(self, path: str, line: str, regexp: str) -> bool:
        self._record("put_line", path, line, regexp)
        if self.parent(path) not in self.dirs:
            self._fail("ansible.builtin.lineinfile", f"Destination {path} does not exist !")
        lines = self.files.get(path, b"").decode().splitlines()
        matching = [index for index, existing in enumerate(lines) if re.search(regexp, existing)]
        if matching and lines[matching[-1]] == line:
            return False
        if matching:
            lines[matching[-1]] = line
        else:
            lines.append(line)
        self.files[path] = ("\n".join(lines) + "\n").encode()
        return True

    def claim(self, path: str) -> bool:
        self._record("claim", path)
        if self.exists(path):
            return False
        if self.parent(path) not in self.dirs:
            self._fail("conaktiv.server.host_command", f"mkdir: cannot create directory '{path}': No such file or directory")
        self.dirs.add(path)
        return True

    def cutover(self, plan: t.Any) -> t.Any:
        """The cutover's steps (plugin_utils/_cutover.py POSIX_SCRIPT) with this host's own operations, recorded as they run."""
        from ansible_collections.conaktiv.server.plugins.plugin_utils._cutover import CutoverReport  # pylint: disable=import-outside-toplevel

        self._record("cutover", plan.server)
        report = CutoverReport([], [], [])

        def line(tail: str) -> str:
            return '{"at":"2026-12-01T22:00:00+00:00",' + tail

        def failed(step: str, error: str) -> CutoverReport:
            report.failed_step, report.error = step, error
            return report

        if plan.pid_file and self.exists(plan.pid_file):
            return failed("stopped", f"the server process still runs: {plan.pid_file} exists")
        report.steps.append("stopped")
        self.append_line(plan.journal, line(plan.begin_tail))
        report.steps.append("begin")
        try:
            if plan.move_old:
                self.rename(plan.server, plan.old)
            report.steps.append("renamed_old")
            if plan.staged:
                self.rename(plan.staged, plan.server)
            report.steps.append("renamed_new")
        except ModuleFailed as exc:
            return failed("renamed_old" if "renamed_old" not in report.steps else "renamed_new", exc.msg)
        names = []
        for item, source, target in zip(plan.items, plan.item_paths_old, plan.item_paths_new):
            if self.exists(source):
                self.remove(target)
                self.add_dir(self.parent(target))
                self._copy(source, target)
                report.carried.append(item)
            else:
                report.absent.append(item)
            names.append(item)
        report.steps.append("carried")
        carried = ",".join(json.dumps(item) for item in report.carried)
        absent = ",".join(json.dumps(item) for item in report.absent)
        self.append_line(plan.journal, line(f'"data":{{"carried_over":[{carried}],"not_present":[{absent}],{plan.done_tail}'))
        report.steps.append("done")
        if plan.start_tail is None:
            return report
        self.append_line(plan.journal, line(plan.start_tail))
        report.steps.append("start_begin")
        if plan.start_argv:
            result = self.run(list(plan.start_argv))
            if result.rc != 0:
                return failed("started", f"the start command exited {result.rc}: {result.stderr}")
        else:
            self.services[plan.service_name or ""] = "running"
        report.steps.append("started")
        return report

    def _copy(self, source: str, target: str) -> None:
        if not self.exists(source) or self.exists(target):
            self._fail("conaktiv.server.host_command", f"cp: cannot copy {source} to {target}")
        for entry in self._below(source):
            copied = target + entry[len(source):]
            if entry in self.dirs:
                self.dirs.add(copied)
            else:
                self.files[copied] = self.files[entry]

    def free_bytes(self, path: str) -> int:
        self._record("free_bytes", path)
        return self.free

    def volume_id(self, path: str) -> str:
        self._record("volume_id", path)
        return next((volume for prefix, volume in sorted(self.volumes.items(), key=lambda item: -len(item[0]))
                     if path == prefix or path.startswith(prefix.rstrip("/") + "/")), "/dev/root")

    def put_file(self, local_path: str, remote_path: str) -> None:
        self._record("put_file", local_path, remote_path)
        with open(local_path, "rb") as handle:
            self.files[remote_path] = handle.read()

    def unpack(self, archive: str, target: str) -> None:
        self._record("unpack", archive, target)
        with zipfile.ZipFile(io.BytesIO(self.files[archive])) as package:
            for info in package.infolist():
                path = self.join(target, info.filename.rstrip("/"))
                if info.is_dir():
                    self.add_dir(path)
                else:
                    self.add_file(path, package.read(info))

    def make_zip(self, sources: list[str], target: str) -> None:
        self._record("make_zip", tuple(sources), target)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as package:
            for source in sources:
                for entry in sorted(self._below(source)):
                    name = self.name(source) + entry[len(source):]
                    package.writestr(name + ("/" if entry in self.dirs else ""), self.files.get(entry, b""))
        self.files[target] = buffer.getvalue()

    def run(self, command: list[str], probe: bool = False) -> CommandResult:
        self._record("run", tuple(command), probe, mutating=not probe)
        if self.command_handler is None:
            return CommandResult(rc=0, stdout="", stderr="")
        return self.command_handler(list(command))

    def time_zone(self) -> HostZone:
        self._record("time_zone")
        return self.zone

    def service_state(self, name: str) -> str | None:
        self._record("service_state", name)
        return self.services.get(name)

    def set_service(self, name: str, state: str, timeout: float | None = None) -> None:
        del timeout  # the fake service obeys at once
        self._record("set_service", name, state)
        self.services[name] = "running" if state == "started" else "stopped"

    def wait_for_port(self, port: int, state: str, timeout: int, host: str = "127.0.0.1") -> bool:
        self._record("wait_for_port", port, state, timeout)
        return self.port_handler(port, state, timeout)

    def clients_connected(self, port: int) -> bool:
        self._record("clients_connected", port)
        return self.clients_handler(port)

    def tree_digests(self, folder: str) -> dict[str, tuple[int, str]]:
        self._record("tree_digests", folder)
        prefix = folder.rstrip("/") + "/"
        return {path[len(prefix):]: (len(data), hashlib.sha256(data).hexdigest()) for path, data in self.files.items() if path.startswith(prefix)}

    def kill_server(self, settings: dict[str, t.Any], pid_file: str | None, timeout: float) -> str:
        """Ends the server like SIGKILL: the unit or the process in ``pid_file`` is gone, the pid file removed with it."""
        self._record("kill_server", settings.get("name"), pid_file, mutating=True)
        if self.kill_refused:
            raise ServiceError(self.kill_refused)
        if settings.get("manager") in ("systemd", "windows"):
            self.services[str(settings["name"])] = "stopped"
            return f"killed unit {settings['name']}"
        if not pid_file or pid_file not in self.files:
            raise ServiceError(f"no process id in {pid_file}")
        pid = self.files.pop(pid_file).decode().strip()
        return f"kill -KILL {pid} ({pid_file})"

    def wait_for_absent(self, path: str, timeout: int) -> bool:
        self._record("wait_for_absent", path, timeout)
        return not self.exists(path)

    def http(self, method: str, url: str, headers: dict[str, str], body: t.Any = None, timeout: int = 30) -> HttpResponse:
        self._record("http", method, url, body, mutating=method != "GET")
        if self.http_handler is None:
            return HttpResponse(status=0, json=None, error="Connection refused")
        return self.http_handler(method, url, headers, body)


@pytest.fixture
def fake_host(monkeypatch: pytest.MonkeyPatch) -> FakeHost:
    """An in-memory host handed to every phase plugin instead of the POSIX adapter."""
    host = FakeHost()
    phase_module = sys.modules[PhaseAction.__module__]
    monkeypatch.setattr(phase_module, "make_host", lambda action, runner: host.attach(runner))
    return host


def answer_survey(listings: dict[str, list[str]], texts: dict[str, str], other: ModuleHandler | None = None) -> ModuleHandler:
    """A ``command`` handler that answers the POSIX adapter's survey (SURVEY_SCRIPT) from ``listings`` and ``texts`` the way
    the script prints them (absent folders and files as absent), and hands every other command to ``other``."""
    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    def handler(args: dict[str, t.Any]) -> dict[str, t.Any]:
        argv = list(args.get("argv") or [])
        if argv[:1] != ["sh"] or argv[3:4] != ["conaktiv-survey"]:
            return other(args) if other else {"rc": 0, "stdout": "", "stderr": ""}
        rest, lines = argv[4:], []
        for kind in ("L", "F", "S", "D"):
            count, rest = int(rest[0]), rest[1:]
            for index, path in enumerate(rest[:count]):
                if kind == "L":
                    names = listings.get(path)
                    lines.append(f"L {index} " + (b64(b"".join(f"./{name}".encode() + b"\0" for name in names)) if names is not None else "-"))
                elif kind == "F":
                    lines.append(f"F {index} " + (b64(texts[path].encode()) if path in texts else "-"))
                elif kind == "S":
                    lines.append(f"S {index} d 1000" if path in listings else f"S {index} f 1000" if path in texts else f"S {index} -")
                else:
                    lines.append(f"D {index} " + b64(b"/dev/x 99999999 1 99999998 1% /srv"))
            rest = rest[count:]
        return {"rc": 0, "stdout": "\n".join(lines + ["T 1000"]) + "\n", "stderr": ""}
    return handler


@pytest.fixture
def survey_answer() -> t.Callable[..., ModuleHandler]:
    """:func:`answer_survey`: a ``command`` handler that answers the POSIX survey from given listings and texts."""
    return answer_survey


@pytest.fixture
def unreachable() -> ModuleHandler:
    """A module handler whose connection breaks."""
    def handler(args: dict[str, t.Any]) -> dict[str, t.Any]:
        raise AnsibleConnectionFailure("ssh: connect to host 192.0.2.7 port 22: Connection timed out")
    return handler
