# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decision logic of conaktiv.server.service: stop only when needed, drain with a fake clock, start and wait for health."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.conaktiv.server.plugins.action import service
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import CommandResult, HttpResponse

SYSTEMD = {"manager": "systemd", "name": "conaktiv"}
COMMANDS = {"manager": "command", "start_command": ["/opt/ctl", "start"], "stop_command": ["/opt/ctl", "stop"],
            "status_command": ["/opt/ctl", "status"]}
CONTROL = {"type": "http", "url": "http://127.0.0.1:2049", "token": "tok"}


class FakeServer:
    """The control interface of a running server: sessions follow a schedule on the fake clock."""

    def __init__(self, clock: t.Any, schedule: list[tuple[float, list[str]]] | None = None,
                 states: list[dict[str, t.Any] | None] | None = None) -> None:
        self.clock = clock
        self.start = clock.now
        self.schedule = schedule or []
        self.states = list(states or [])
        self.session_queries: list[float] = []
        self.messages: list[str] = []
        self.up = True

    def users(self) -> list[str]:
        elapsed = self.clock.now - self.start
        current: list[str] = []
        for since, users in self.schedule:
            if elapsed >= since:
                current = users
        return current

    def __call__(self, method: str, url: str, headers: dict[str, str], body: t.Any) -> HttpResponse:
        if url.endswith("/api/status"):
            if self.states:
                state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
                return HttpResponse(200, state) if state else HttpResponse(0, None, "Connection refused")
            return HttpResponse(200, {"state": "ready", "version": "1.0.0"}) if self.up else HttpResponse(0, None, "Connection refused")
        if url.endswith("/api/sessions"):
            self.session_queries.append(self.clock.now - self.start)
            return HttpResponse(200, {"sessions": [{"user": user} for user in self.users()]})
        if url.endswith("/api/message"):
            self.messages.append(body["text"])
            return HttpResponse(200, {"delivered_to": self.users()})
        return HttpResponse(404, {"error": "no such endpoint"})


@pytest.fixture
def fake_clock(clock: t.Any) -> t.Any:
    return clock.install(service)


@pytest.fixture
def host(fake_host: t.Any, fake_clock: t.Any) -> t.Any:
    """A host whose systemd unit runs; stopping it also stops the control interface."""
    fake_host.services["conaktiv"] = "running"
    return fake_host


def serve(host: t.Any, server: FakeServer) -> FakeServer:
    """Let ``server`` answer the control interface; a stop through the service manager takes it down."""
    host.http_handler = server
    original = host.set_service

    def set_service(name: str, state: str, timeout: float | None = None) -> None:
        original(name, state, timeout)
        server.up = state == "started"

    host.set_service = set_service
    return server


def run(make_action: t.Callable[..., t.Any], check_mode: bool = False, **args: t.Any) -> dict[str, t.Any]:
    return make_action(service, {"service": SYSTEMD, **args}, check_mode=check_mode).run(task_vars={"inventory_hostname": "srv1"})


# -- nothing to do --------------------------------------------------------------------------------


def test_an_already_stopped_server_is_not_stopped_again(host: t.Any, make_action: t.Callable[..., t.Any]):
    host.services["conaktiv"] = "stopped"
    result = run(make_action, state="stopped", control=CONTROL)
    assert result["changed"] is False
    assert result["msg"] == "the server is already stopped"
    assert host.ops("set_service") == [] and host.ops("http") == []


def test_an_already_running_server_is_only_checked(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    serve(host, FakeServer(fake_clock))
    result = run(make_action, state="started", control=CONTROL)
    assert result["changed"] is False and result["healthy"] is True
    assert host.ops("set_service") == []


def test_a_missing_service_is_a_clear_error(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    result = run(make_action, state="stopped")
    assert result["msg"] == "the service 'conaktiv' does not exist on this host"


def test_manager_none_is_refused(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    assert "service.manager is 'none'" in run(make_action, state="stopped", service={"manager": "none"})["msg"]


def test_check_mode_neither_stops_nor_announces(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    server = serve(host, FakeServer(fake_clock, [(0, ["anna"])]))
    result = run(make_action, state="stopped", control=CONTROL, check_mode=True)
    assert result["changed"] is True and result["msg"] == "would be stopped"
    assert host.ops("set_service") == [] and server.messages == []
    assert host.check_mode_violations == []
    assert fake_clock.sleeps == []


# -- draining -------------------------------------------------------------------------------------


def test_polling_stops_as_soon_as_the_last_user_logged_off(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    server = serve(host, FakeServer(fake_clock, [(0, ["anna", "bob"]), (12, ["anna"]), (31, [])]))
    result = run(make_action, state="stopped", control=CONTROL, max_wait=900, poll_interval=5)
    assert result["changed"] is True, result.get("msg")
    assert server.session_queries == [0, 5, 10, 15, 20, 25, 30, 35]
    assert result["drain"]["waited_s"] == 35.0
    assert result["drain"]["timed_out"] is False
    assert result["drain"]["remaining_users"] == []
    assert host.ops("set_service") == [("conaktiv", "stopped")]
    assert result["state"] == "stopped"


def test_the_maximum_wait_is_respected(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    server = serve(host, FakeServer(fake_clock, [(0, ["anna"])]))
    result = run(make_action, state="stopped", control=CONTROL, max_wait=120, poll_interval=7, reminder_interval=60)
    assert sum(fake_clock.sleeps) == 120
    assert max(server.session_queries) == 120
    assert result["drain"]["waited_s"] == 120.0
    assert result["drain"]["timed_out"] is True
    assert result["drain"]["remaining_users"] == ["anna"]
    assert host.ops("set_service") == [("conaktiv", "stopped")]


def test_messages_tell_the_minutes_left(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    server = serve(host, FakeServer(fake_clock, [(0, ["anna"])]))
    result = run(make_action, state="stopped", control=CONTROL, max_wait=600, poll_interval=30, reminder_interval=240,
                 message="Stop in {minutes} min for version {version}", version="9.0.12")
    assert server.messages == ["Stop in 10 min for version 9.0.12", "Stop in 6 min for version 9.0.12", "Stop in 2 min for version 9.0.12"]
    assert result["drain"]["messages"] == server.messages


def test_the_default_message_is_german_and_names_minutes_and_version(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    server = serve(host, FakeServer(fake_clock, [(0, ["anna"]), (1, [])]))
    run(make_action, state="stopped", control=CONTROL, max_wait=900, version="9.0.12")
    assert server.messages == ["Der ConAktiv-Server wird in 15 Minuten für das Update auf Version 9.0.12 beendet. "
                               "Bitte speichern Sie Ihre Arbeit und melden Sie sich ab."]


def test_english_on_request(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    server = serve(host, FakeServer(fake_clock, [(0, ["anna"]), (1, [])]))
    run(make_action, state="stopped", control=CONTROL, max_wait=60, version="9.0.12", language="en")
    assert server.messages == ["The ConAktiv server will be stopped in 1 minute for the update to version 9.0.12. Please save your work and log off."]


@pytest.mark.parametrize(("max_wait", "phrase"), [(900, "in 15 Minuten"), (61, "in 2 Minuten"), (60, "in einer Minute"), (50, "in einer Minute"),
                                                  (30, "in wenigen Sekunden")])
def test_minutes_are_rounded_up_and_said_with_their_plural(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any,
                                                           max_wait: int, phrase: str):
    server = serve(host, FakeServer(fake_clock, [(0, ["anna"]), (1, [])]))
    run(make_action, state="stopped", control=CONTROL, max_wait=max_wait, message="Stopp {in_minutes}.")
    assert server.messages == [f"Stopp {phrase}."]


def test_the_wait_is_reported_at_the_default_verbosity(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any,
                                                       capsys: pytest.CaptureFixture[str]):
    serve(host, FakeServer(fake_clock, [(0, ["anna", "ben"]), (400, ["ben"]), (700, [])]))
    run(make_action, state="stopped", control=CONTROL, max_wait=900, poll_interval=60, reminder_interval=300)
    said = capsys.readouterr().out
    assert "srv1: Warte, bis sich 2 Benutzer (anna, ben) abgemeldet haben (höchstens 15 Minuten)." in said
    assert "srv1: Erinnerung gesendet; noch angemeldet: 2 Benutzer (anna, ben); noch 10 Minuten." in said
    assert "srv1: Alle Benutzer haben sich nach 12 Minuten abgemeldet." in said


def test_nobody_logged_on_gets_no_message_and_the_stop_does_not_wait(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    server = serve(host, FakeServer(fake_clock, []))
    result = run(make_action, state="stopped", control=CONTROL, max_wait=900, version="9.0.12")
    assert server.messages == [] and result["drain"]["messages"] == [] and result["state"] == "stopped"
    assert fake_clock.sleeps == []


def test_a_bad_message_template_fails_before_anything_happens(host: t.Any, make_action: t.Callable[..., t.Any]):
    result = run(make_action, state="stopped", control=CONTROL, message="Stop at {time}")
    assert "unknown field(s) time" in result["msg"]
    assert host.calls == []


@pytest.mark.parametrize("control", [None, {"type": "http", "url": "http://127.0.0.1:2049"}], ids=["no-control", "sessions-failing"])
def test_unknown_sessions_wait_the_whole_maximum(control: dict[str, t.Any] | None, host: t.Any, make_action: t.Callable[..., t.Any],
                                                 fake_clock: t.Any):
    def failing(method: str, url: str, headers: dict[str, str], body: t.Any) -> HttpResponse:
        if url.endswith("/api/status"):
            return HttpResponse(0, None, "Connection refused") if host.services["conaktiv"] == "stopped" else HttpResponse(200, {})
        return HttpResponse(500, {"error": "sessions unavailable"}) if url.endswith("/api/sessions") else HttpResponse(200, {})

    host.http_handler = failing
    result = run(make_action, state="stopped", control=control, max_wait=60, poll_interval=5)
    assert result["changed"] is True, result.get("msg")
    assert sum(fake_clock.sleeps) == 60
    assert result["drain"]["timed_out"] is True
    assert host.ops("set_service") == [("conaktiv", "stopped")]


def test_without_waiting_for_logoff_the_stop_follows_the_message(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    server = serve(host, FakeServer(fake_clock, [(0, ["anna"])]))
    result = run(make_action, state="stopped", control=CONTROL, wait_for_logoff=False)
    assert fake_clock.sleeps == [] and len(server.messages) == 1
    assert result["drain"]["remaining_users"] == ["anna"]


def test_a_drained_client_port_means_nobody_is_connected(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    connected_until = 20

    def connected(number: int) -> bool:
        assert number == 2048
        if fake_clock.now - 1000 < connected_until:
            fake_clock.advance(1)
            return True
        return False

    host.clients_handler = connected
    result = run(make_action, state="stopped", client_port=2048, max_wait=300, poll_interval=5)
    assert result["drain"]["timed_out"] is False
    assert 20 <= result["drain"]["waited_s"] < 30


# -- stopping and starting ------------------------------------------------------------------------


def test_a_process_that_lingers_after_the_stop_fails_the_task(host: t.Any, make_action: t.Callable[..., t.Any]):
    host.add_file("/run/conaktiv.pid", "4711")
    result = run(make_action, state="stopped", wait_for_logoff=False, pid_file="/run/conaktiv.pid", stop_timeout=30)
    assert result["msg"] == "the server process is still running 30 s after the stop: /run/conaktiv.pid still exists"


def test_a_failing_stop_command_is_reported(fake_host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    fake_host.command_handler = lambda argv: CommandResult(0, "", "") if argv[-1] == "status" else CommandResult(1, "", "refused\n")
    result = run(make_action, state="stopped", service=COMMANDS, wait_for_logoff=False)
    assert result["msg"] == "stopping the ConAktiv server failed: the stop command '/opt/ctl stop' exited 1: refused"


def test_a_server_that_does_not_stop_is_ended_by_force_after_kill_after(host: t.Any, make_action: t.Callable[..., t.Any]):
    host.add_file("/run/conaktiv.pid", "4711")
    result = run(make_action, state="stopped", wait_for_logoff=False, pid_file="/run/conaktiv.pid", stop_timeout=30, kill_after=10)
    assert result.get("failed") is not True, result
    assert result["killed"] == "killed unit conaktiv" and result["state"] == "stopped"
    assert result["msg"] == "the server was stopped (it did not stop within 10 s and was ended by force: killed unit conaktiv)"
    # The graceful look got kill_after, not all of stop_timeout.
    assert host.ops("wait_for_absent") == [("/run/conaktiv.pid", 10)]


def test_a_refused_stop_command_is_followed_by_the_kill_of_the_pid_file_process(fake_host: t.Any, make_action: t.Callable[..., t.Any],
                                                                                fake_clock: t.Any):
    fake_host.add_file("/run/conaktiv.pid", "4711\n")
    fake_host.command_handler = lambda argv: CommandResult(0, "", "") if argv[-1] == "status" else CommandResult(3, "", "did not stop\n")
    result = run(make_action, state="stopped", service=COMMANDS, wait_for_logoff=False, pid_file="/run/conaktiv.pid", stop_timeout=60,
                 kill_after=20)
    assert result["killed"] == "kill -KILL 4711 (/run/conaktiv.pid)" and not fake_host.exists("/run/conaktiv.pid")
    assert "ended by force" in result["msg"]


def test_without_kill_after_a_server_that_does_not_stop_fails_and_nothing_is_killed(host: t.Any, make_action: t.Callable[..., t.Any]):
    host.add_file("/run/conaktiv.pid", "4711")
    result = run(make_action, state="stopped", wait_for_logoff=False, pid_file="/run/conaktiv.pid", stop_timeout=30)
    assert result["failed"] and not host.ops("kill_server")


def test_a_kill_that_fails_fails_the_stop_naming_both_reasons(host: t.Any, make_action: t.Callable[..., t.Any]):
    host.add_file("/run/conaktiv.pid", "4711")
    host.kill_refused = "Operation not permitted"
    result = run(make_action, state="stopped", wait_for_logoff=False, pid_file="/run/conaktiv.pid", stop_timeout=30, kill_after=10)
    assert result["failed"]
    assert result["msg"] == ("the server did not stop within 10 s (the server process is still running 30 s after the stop: /run/conaktiv.pid "
                             "still exists) and could not be ended by force: Operation not permitted")


@pytest.mark.parametrize(("settings", "extra", "message"), [
    ({"service": SYSTEMD}, {"kill_after": 300, "stop_timeout": 300}, "kill_after must be 0 (never) or more than 0 and less than stop_timeout (300 s), not 300"),
    ({"service": SYSTEMD}, {"kill_after": -1}, "kill_after must be 0 (never) or more than 0 and less than stop_timeout (300 s), not -1"),
    ({"service": COMMANDS}, {"kill_after": 10}, "kill_after needs pid_file when the server is run by commands: the pid file names the process to end"),
])
def test_a_kill_after_that_cannot_work_is_refused_before_anything_happens(host: t.Any, make_action: t.Callable[..., t.Any],
                                                                          settings: dict, extra: dict, message: str):
    result = run(make_action, state="stopped", wait_for_logoff=False, **settings, **extra)
    assert result["failed"] and result["msg"] == message
    assert not host.ops("set_service", "run_change", "kill_server", "http")


def test_start_waits_until_the_server_reports_ready(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    host.services["conaktiv"] = "stopped"
    server = serve(host, FakeServer(fake_clock, states=[None, None, {"state": "starting"}, {"state": "ready", "version": "2.0.0"}]))
    result = run(make_action, state="started", control=CONTROL, start_timeout=60)
    assert result["changed"] is True and result["healthy"] is True, result.get("msg")
    assert result["server_status"] == {"state": "ready", "version": "2.0.0"}
    assert host.ops("set_service") == [("conaktiv", "started")]
    assert server.states == [{"state": "ready", "version": "2.0.0"}]


def test_start_fails_when_the_server_reports_failed(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    host.services["conaktiv"] = "stopped"
    serve(host, FakeServer(fake_clock, states=[{"state": "failed", "error": "database locked"}]))
    result = run(make_action, state="started", control=CONTROL)
    assert result["msg"] == "the server reports state 'failed': database locked"


def test_start_times_out_cleanly(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    host.services["conaktiv"] = "stopped"
    serve(host, FakeServer(fake_clock, states=[{"state": "starting"}]))
    result = run(make_action, state="started", control=CONTROL, start_timeout=45)
    assert result["msg"] == "the control interface did not report the server ready within 45 s (last: {'state': 'starting'})"
    assert 45 <= fake_clock.now - 1000 < 51


def test_restart_stops_then_starts(host: t.Any, make_action: t.Callable[..., t.Any], fake_clock: t.Any):
    serve(host, FakeServer(fake_clock, []))
    result = run(make_action, state="restarted", control=CONTROL)
    assert host.ops("set_service") == [("conaktiv", "stopped"), ("conaktiv", "started")]
    assert result["state"] == "running"
    assert result["stopped_at"] <= result["started_at"]
