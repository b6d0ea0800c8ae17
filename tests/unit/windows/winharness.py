# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real action plugins (the phases, and ansible.windows.win_copy) wired to the Windows emulator.

The plugins run unchanged; only the transport is replaced: ``_execute_module`` goes to the emulator, the
connection is a WinRM stand-in whose shell is the real ``powershell`` shell plugin (so ``make_host``
picks :class:`WindowsHost`), ``put_file`` writes into the emulated tree and remote temp folders are
made there. Raw commands are refused: every host operation must be a module.
"""

from __future__ import annotations

import functools
import importlib
import typing as t

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.action import ActionBase
from ansible.plugins.shell.powershell import ShellModule as PowerShell
from ansible.template import Templar

from winemu import EmulatorError, WindowsEmulator

from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import Runner
from ansible_collections.conaktiv.server.plugins.plugin_utils._windows_host import WindowsHost

TASK_VARS = {"inventory_hostname": "conaktiv-win01"}


class EmulatorConnection:
    """The parts of a WinRM connection plugin that action plugins use."""

    transport = "winrm"
    _remote_is_local = False

    def __init__(self, emulator: WindowsEmulator) -> None:
        self.emulator = emulator
        self._shell = PowerShell()

    def put_file(self, in_path: str, out_path: str) -> None:
        self.emulator.put_file(in_path, out_path)

    def exec_command(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise EmulatorError("a raw command reached the Windows emulator; every host operation must be a module")


class EmulatedActionMixin:
    """Sends an action plugin's module calls to the emulator instead of over a connection."""

    _connection: EmulatorConnection
    _task: Task

    def _execute_module(self, module_name: str | None = None, module_args: dict[str, t.Any] | None = None,  # pylint: disable=unused-argument
                        tmp: str | None = None, task_vars: dict[str, t.Any] | None = None, persist_files: bool = False,
                        delete_remote_tmp: bool | None = None, wrap_async: bool = False, ignore_unknown_opts: bool = False) -> dict[str, t.Any]:
        if wrap_async:
            raise EmulatorError("async module calls are not emulated")
        # Calls built by ansible.windows' own action plugins may use their modules' internal options.
        internal = getattr(self, "_emulated_from", "").startswith("ansible_collections.ansible.windows.")
        return self._connection.emulator.execute(module_name or self._task.action, dict(module_args if module_args is not None else self._task.args),
                                                 check_mode=bool(self._task.check_mode), internal=internal,
                                                 no_log=self._task.no_log is True)

    def _make_tmp_path(self, remote_user: str | None = None) -> str:  # pylint: disable=unused-argument
        path = self._connection.emulator.make_tmp()
        self._connection._shell.tmpdir = path
        return path

    def _remove_tmp_path(self, tmp_path: str | None, force: bool = False) -> None:  # pylint: disable=unused-argument
        path = tmp_path or self._connection._shell.tmpdir
        if path:
            self._connection.emulator.remove_tmp(path)
            self._connection._shell.tmpdir = None

    def _low_level_execute_command(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise EmulatorError("a raw command reached the Windows emulator; every host operation must be a module")


def action_class(fqcn: str) -> type[ActionBase]:
    """The ActionModule class of an action plugin given by FQCN, imported as a Python module.

    (Ansible's plugin loader refuses collections imported before its collection finder was installed,
    which pytest's import of this collection does.)
    """
    namespace, collection, name = fqcn.split(".")
    try:
        module = importlib.import_module(f"ansible_collections.{namespace}.{collection}.plugins.action.{name}")
    except ModuleNotFoundError as exc:
        raise EmulatorError(f"no action plugin {fqcn}") from exc
    return module.ActionModule


@functools.lru_cache(maxsize=None)
def emulated(cls: type[ActionBase]) -> type[ActionBase]:
    """``cls`` with its transport replaced by the emulator."""
    return type(f"Emulated{cls.__name__}", (EmulatedActionMixin, cls), {"_emulated_from": cls.__module__})


class EmulatedLoaders:
    """The shared loader object: action plugins a phase asks for come back emulated too."""

    def __init__(self) -> None:
        self.action_loader = self

    def get(self, name: str, *args: t.Any, **kwargs: t.Any) -> ActionBase:
        cls = action_class(name)
        kwargs.pop("shared_loader_obj", None)
        plugin = emulated(cls)(*args, **kwargs)
        plugin._shared_loader_obj = self
        return plugin


class World:
    """An emulated Windows host and the means to run phases and host methods against it."""

    def __init__(self, emulator: WindowsEmulator) -> None:
        self.emulator = emulator
        self.connection = EmulatorConnection(emulator)
        self.loader = DataLoader()

    def action(self, fqcn: str, args: dict[str, t.Any], check_mode: bool = False) -> ActionBase:
        """The real action plugin ``fqcn`` set up for one task with ``args``."""
        task = Task()
        task.action = fqcn
        task.args = dict(args)
        task.check_mode = check_mode
        task.diff = False
        plugin = emulated(action_class(fqcn))(task=task, connection=self.connection, play_context=PlayContext(), loader=self.loader,
                                              templar=Templar(loader=self.loader))
        # ActionBase ignores a shared_loader_obj argument; the plugins a phase starts must be emulated too.
        plugin._shared_loader_obj = EmulatedLoaders()
        return plugin

    def run(self, fqcn: str, args: dict[str, t.Any], check_mode: bool = False) -> dict[str, t.Any]:
        """Run a phase the way ansible-playbook would and return its result."""
        return self.action(fqcn, args, check_mode).run(task_vars=dict(TASK_VARS))

    def host(self, check_mode: bool = False) -> WindowsHost:
        """A WindowsHost whose runner drives the emulator (through the real Runner)."""
        return WindowsHost(Runner(self.action("conaktiv.server.info", {}, check_mode), dict(TASK_VARS)))
