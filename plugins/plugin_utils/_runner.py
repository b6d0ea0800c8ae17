# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs modules on the target for an action plugin: the only place that calls ``_execute_module``.

It counts round trips, turns connection errors into :class:`HostUnreachable` and module failures
into :class:`ModuleFailed`, switches check mode off for read-only probes, and refuses a changing
call under ``--check`` (a bug guard: phases predict instead of changing anything).
"""

from __future__ import annotations

import copy
import typing as t

from ansible.errors import AnsibleConnectionFailure
from ansible.utils.display import Display

display = Display()


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

    @property
    def host_label(self) -> str:
        """The inventory name of the host, for progress messages."""
        return str(self._task_vars.get("inventory_hostname", "?"))

    def module(self, name: str, args: dict[str, t.Any], *, probe: bool = False, allow_failure: bool = False) -> dict[str, t.Any]:
        """Run module ``name`` (an FQCN) with ``args`` on the host and return its result.

        ``probe`` marks a read-only call that must also run under check mode.
        """
        task = self._action._task
        if task.check_mode and not probe:
            raise CheckModeViolation(f"internal error: {name} would change the host under check mode")
        saved = task.check_mode
        task.check_mode = False if probe else saved
        try:
            result = self._action._execute_module(module_name=name, module_args=dict(args), task_vars=self._task_vars)
        except AnsibleConnectionFailure as exc:
            raise HostUnreachable(str(exc)) from exc
        finally:
            task.check_mode = saved
        self.calls.append(name)
        display.vvvv(f"conaktiv.server: {name} -> rc={result.get('rc')} changed={result.get('changed')}", host=self.host_label)
        if result.get("unreachable"):
            raise HostUnreachable(str(result.get("msg", "host unreachable")))
        if result.get("failed") and not allow_failure:
            raise ModuleFailed(name, str(result.get("msg") or result.get("stderr") or "failed"), result)
        return result

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
        try:
            result = plugin.run(task_vars=self._task_vars)
        except AnsibleConnectionFailure as exc:
            raise HostUnreachable(str(exc)) from exc
        self.calls.append(name)
        if result.get("unreachable"):
            raise HostUnreachable(str(result.get("msg", "host unreachable")))
        if result.get("failed"):
            raise ModuleFailed(name, str(result.get("msg") or "failed"), result)
        return result
