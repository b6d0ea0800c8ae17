# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Starting, stopping and querying the ConAktiv server through its service manager."""

from __future__ import annotations

import typing as t

from ._host import Bracket, Host

# LSB init-script status codes: 0 running, 3 not running (1/2 dead with pid/lock file left).
_STATUS_BY_RC = {0: "running", 1: "stopped", 2: "stopped", 3: "stopped"}


class ServiceError(ValueError):
    """The service could not be driven to the wanted state."""


def check_service_settings(settings: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """Validate the cross-field rules of the ``service`` option; return it with defaults."""
    settings = dict(settings or {"manager": "none"})
    manager = settings.get("manager") or "none"
    if manager in ("windows", "systemd") and not settings.get("name"):
        raise ServiceError(f"service.manager {manager!r} needs service.name")
    if manager == "command":
        missing = [key for key in ("start_command", "stop_command", "status_command") if not settings.get(key)]
        if missing:
            raise ServiceError(f"service.manager 'command' needs {', '.join('service.' + key for key in missing)}")
    settings["manager"] = manager
    return settings


def state_of_status_code(code: int | None) -> str:
    """The state an LSB-style status command's exit code tells (``unknown`` for any other code)."""
    return _STATUS_BY_RC.get(code, "unknown") if code is not None else "unknown"


def service_state(host: Host, settings: dict[str, t.Any]) -> str:
    """``running``, ``stopped``, ``absent`` (no such service) or ``unknown`` (manager none)."""
    manager = settings["manager"]
    if manager in ("windows", "systemd"):
        state = host.service_state(settings["name"])
        return "absent" if state is None else state
    if manager == "command":
        result = host.run(list(settings["status_command"]), probe=True)
        return _STATUS_BY_RC.get(result.rc, "unknown")
    return "unknown"


def drive_service(host: Host, settings: dict[str, t.Any], state: str, timeout: float | None = None, journal: Bracket | None = None) -> None:
    """Start or stop the server (``state``: started | stopped) and fail clearly when it refuses; ``journal``'s lines are
    written before and (on success) after it, in the same round trip where the adapter can."""
    manager = settings["manager"]
    if manager in ("windows", "systemd"):
        host.set_service_journaled(settings["name"], state, timeout, journal)
        return
    if manager == "command":
        command = settings["start_command" if state == "started" else "stop_command"]
        result = host.run_change(list(command), journal)
        if result.rc != 0:
            verb = "start" if state == "started" else "stop"
            detail = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()[-1]
            raise ServiceError(f"the {verb} command {' '.join(command)!r} exited {result.rc}: {detail}")
        return
    raise ServiceError("service.manager is 'none': this phase needs a Windows service, a systemd unit or start/stop commands")
