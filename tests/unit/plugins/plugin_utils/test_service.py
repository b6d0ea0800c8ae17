# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the service settings, querying and driving the server through its service manager."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._host import CommandResult
from ansible_collections.conaktiv.server.plugins.plugin_utils._service import (
    ServiceError, check_service_settings, drive_service, service_state)

COMMANDS = {"manager": "command", "start_command": ["/opt/ctl", "start"], "stop_command": ["/opt/ctl", "stop"],
            "status_command": ["/opt/ctl", "status"]}


class ManagerHost:
    """Records service and command calls; commands answer from ``replies``."""

    def __init__(self, services: dict[str, str] | None = None, replies: list[CommandResult] | None = None) -> None:
        self.services = dict(services or {})
        self.replies = list(replies or [])
        self.calls: list[tuple[str, t.Any, t.Any]] = []

    def service_state(self, name: str) -> str | None:
        self.calls.append(("service_state", name, None))
        return self.services.get(name)

    def set_service(self, name: str, state: str, timeout: float | None = None) -> None:
        self.calls.append(("set_service", name, state) + ((timeout,) if timeout is not None else ()))

    def run(self, command: list[str], probe: bool = False) -> CommandResult:
        self.calls.append(("run", command, probe))
        return self.replies.pop(0)

    def set_service_journaled(self, name: str, state: str, timeout: float | None = None, journal: t.Any = None) -> None:
        assert journal is None, "no journal lines in these tests"
        self.set_service(name, state, timeout)

    def run_change(self, command: list[str], journal: t.Any = None) -> CommandResult:
        assert journal is None, "no journal lines in these tests"
        return self.run(command)


def as_host(host: ManagerHost) -> t.Any:
    return t.cast(t.Any, host)


@pytest.mark.parametrize(("settings", "message"), [
    ({"manager": "systemd"}, "service.manager 'systemd' needs service.name"),
    ({"manager": "windows", "name": ""}, "service.manager 'windows' needs service.name"),
    ({"manager": "command", "start_command": ["x"]}, "needs service.stop_command, service.status_command"),
])
def test_incomplete_settings_are_refused(settings: dict[str, t.Any], message: str):
    with pytest.raises(ServiceError, match=message):
        check_service_settings(settings)


@pytest.mark.parametrize("settings", [None, {}, {"manager": None, "name": None}])
def test_no_settings_means_manager_none(settings: dict[str, t.Any] | None):
    assert check_service_settings(settings)["manager"] == "none"


def test_settings_are_not_modified_in_place():
    settings = {"manager": None}
    check_service_settings(settings)
    assert settings == {"manager": None}


@pytest.mark.parametrize(("services", "state"), [({"conaktiv": "running"}, "running"), ({"conaktiv": "stopped"}, "stopped"), ({}, "absent")])
def test_state_through_the_service_manager(services: dict[str, str], state: str):
    host = ManagerHost(services)
    assert service_state(as_host(host), {"manager": "systemd", "name": "conaktiv"}) == state


@pytest.mark.parametrize(("rc", "state"), [(0, "running"), (1, "stopped"), (2, "stopped"), (3, "stopped"), (4, "unknown"), (127, "unknown")])
def test_state_from_the_status_command_uses_lsb_exit_codes(rc: int, state: str):
    host = ManagerHost(replies=[CommandResult(rc, "", "")])
    assert service_state(as_host(host), COMMANDS) == state
    assert host.calls == [("run", ["/opt/ctl", "status"], True)]


def test_state_without_manager_is_unknown():
    host = ManagerHost()
    assert service_state(as_host(host), {"manager": "none"}) == "unknown"
    assert host.calls == []


def test_drive_through_the_service_manager():
    host = ManagerHost()
    drive_service(as_host(host), {"manager": "windows", "name": "ConAktiv"}, "stopped")
    assert host.calls == [("set_service", "ConAktiv", "stopped")]
    drive_service(as_host(host), {"manager": "windows", "name": "ConAktiv"}, "started", 42)
    assert host.calls[-1] == ("set_service", "ConAktiv", "started", 42)


@pytest.mark.parametrize(("state", "command"), [("started", ["/opt/ctl", "start"]), ("stopped", ["/opt/ctl", "stop"])])
def test_drive_with_commands(state: str, command: list[str]):
    host = ManagerHost(replies=[CommandResult(0, "ok", "")])
    drive_service(as_host(host), COMMANDS, state)
    assert host.calls == [("run", command, False)]


@pytest.mark.parametrize(("reply", "detail"), [
    (CommandResult(1, "", "starting\nport 2048 in use\n"), "exited 1: port 2048 in use"),
    (CommandResult(7, "last words\n", ""), "exited 7: last words"),
    (CommandResult(2, "", "  "), "exited 2: no output"),
])
def test_a_failing_command_names_command_code_and_last_line(reply: CommandResult, detail: str):
    host = ManagerHost(replies=[reply])
    with pytest.raises(ServiceError) as raised:
        drive_service(as_host(host), COMMANDS, "started")
    assert str(raised.value) == f"the start command '/opt/ctl start' {detail}"


def test_drive_without_manager_is_refused():
    with pytest.raises(ServiceError, match="service.manager is 'none'"):
        drive_service(as_host(ManagerHost()), {"manager": "none"}, "started")
