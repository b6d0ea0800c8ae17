# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decision logic of conaktiv.server.structure_update: state transitions, failures with the log tail, timeouts."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.conaktiv.server.plugins.action import structure_update
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import HttpResponse

CONTROL = {"type": "http", "url": "http://127.0.0.1:2049"}
LOG = "/srv/ConAktiv Data/structure-update.log"
STARTED = "2026-11-23 22:15:01 structure update 1.0.0 -> 2.0.0 started"
FINISHED = "2026-11-23 22:17:44 structure update 1.0.0 -> 2.0.0 finished"
FAILED = "2026-11-23 22:16:30 structure update 1.0.0 -> 2.0.0 failed: table ADRESSEN locked"


@pytest.fixture
def fake_clock(clock: t.Any) -> t.Any:
    return clock.install(structure_update)


class StatusScript:
    """Answers /api/status with one state per look; the last one repeats. None: no answer."""

    def __init__(self, *states: dict[str, t.Any] | None) -> None:
        self.states = list(states)
        self.looks = 0

    def __call__(self, method: str, url: str, headers: dict[str, str], body: t.Any) -> HttpResponse:
        assert url.endswith("/api/status") and method == "GET"
        state = self.states[min(self.looks, len(self.states) - 1)]
        self.looks += 1
        return HttpResponse(0, None, "Connection refused") if state is None else HttpResponse(200, state)


def log_after(host: t.Any, clock: t.Any, timeline: list[tuple[float, str]]) -> None:
    """Let the log grow: each line appears once the fake clock passed its time (seconds from now)."""
    start = clock.now
    original = host.read_tail

    def read_tail(path: str, offset: int, max_bytes: int) -> t.Any:
        if path == LOG:
            lines = [line for at, line in timeline if clock.now - start >= at]
            host.files[LOG] = "".join(f"{line}\n" for line in lines).encode()
        return original(path, offset, max_bytes)

    host.read_tail = read_tail


def run(make_action: t.Callable[..., t.Any], check_mode: bool = False, **args: t.Any) -> dict[str, t.Any]:
    return make_action(structure_update, {"version": "2.0.0", **args}, check_mode=check_mode).run(task_vars={})


def test_migrating_then_ready(fake_host: t.Any, fake_clock: t.Any, make_action: t.Callable[..., t.Any]):
    script = StatusScript(*[{"state": "migrating", "version": "2.0.0", "structure_version": 41}] * 4,
                          {"state": "ready", "version": "2.0.0", "structure_version": 42})
    fake_host.http_handler = script
    result = run(make_action, control=CONTROL)
    assert "failed" not in result, result.get("msg")
    assert result["msg"] == "version 2.0.0 is ready"
    assert result["state"] == "ready" and result["structure_version"] == 42 and result["outcome"] == "finished"
    assert script.looks == 5
    assert fake_clock.sleeps == [0.5, 1.0, 2.0, 4.0]


def test_a_long_structure_update_is_reported_at_the_default_verbosity(fake_host: t.Any, fake_clock: t.Any, make_action: t.Callable[..., t.Any],
                                                                      capsys: pytest.CaptureFixture[str]):
    # 40 looks at most 5 s apart: over 3 minutes of migrating, then ready.
    fake_host.http_handler = StatusScript(*[{"state": "migrating", "version": "2.0.0", "structure_version": 41}] * 80,
                                          {"state": "ready", "version": "2.0.0", "structure_version": 42})
    result = run(make_action, control=CONTROL, timeout=3600)
    assert result["outcome"] == "finished"
    said = capsys.readouterr().out
    assert "Warte auf die Strukturaktualisierung auf Version 2.0.0 (höchstens 1 Stunde)." in said
    assert "Strukturaktualisierung läuft seit 5 Minuten" in said
    assert "Strukturaktualisierung nach 6 Minuten 28 Sekunden abgeschlossen: Version 2.0.0 ist bereit." in said


def test_a_quick_structure_update_prints_nothing(fake_host: t.Any, fake_clock: t.Any, make_action: t.Callable[..., t.Any],
                                                 capsys: pytest.CaptureFixture[str]):
    fake_host.http_handler = StatusScript({"state": "ready", "version": "2.0.0", "structure_version": 42})
    run(make_action, control=CONTROL, language="en")
    assert "structure update" not in capsys.readouterr().out


def test_a_build_number_reported_by_the_server_still_matches(fake_host: t.Any, fake_clock: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.http_handler = StatusScript({"state": "ready", "version": "2.0.0 Build 4711", "structure_version": 42})
    result = run(make_action, control=CONTROL)
    assert "failed" not in result, result.get("msg")
    assert result["outcome"] == "finished"


def test_ready_with_the_wrong_version_is_a_failure(fake_host: t.Any, fake_clock: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.http_handler = StatusScript({"state": "ready", "version": "1.0.0"})
    result = run(make_action, control=CONTROL)
    assert result["msg"] == "the structure update to 2.0.0 failed: the server runs version 1.0.0, not 2.0.0"


def test_failure_reported_by_the_server_comes_with_the_log_tail(fake_host: t.Any, fake_clock: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.http_handler = StatusScript({"state": "migrating", "version": "2.0.0"}, {"state": "failed", "error": "table ADRESSEN locked"})
    fake_host.add_file(LOG, "".join(f"line {n}\n" for n in range(30)) + STARTED + "\n")
    result = run(make_action, control=CONTROL, log_file=LOG, log_lines=5)
    assert result["failed"] is True
    assert result["msg"] == "the structure update to 2.0.0 failed: table ADRESSEN locked"
    assert result["log_tail"] == ["line 26", "line 27", "line 28", "line 29", STARTED]


def test_a_new_failure_line_in_the_log_fails_at_once(fake_host: t.Any, fake_clock: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.add_dir("/srv/ConAktiv Data")
    log_after(fake_host, fake_clock, [(0, STARTED), (3, FAILED)])
    result = run(make_action, log_file=LOG, timeout=600)
    assert result["msg"] == f"the structure update to 2.0.0 failed: {FAILED}"
    assert result["log_tail"] == [STARTED, FAILED]
    assert fake_clock.now - 1000 < 10


def test_log_only_success(fake_host: t.Any, fake_clock: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.add_dir("/srv/ConAktiv Data")
    log_after(fake_host, fake_clock, [(0, STARTED), (20, FINISHED)])
    result = run(make_action, log_file=LOG, poll_interval=5)
    assert result["msg"] == "version 2.0.0 is ready"
    assert result["log_tail"] == [STARTED, FINISHED]


def test_an_old_failure_stands_when_no_new_attempt_starts(fake_host: t.Any, fake_clock: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.add_file(LOG, f"{STARTED}\n{FAILED}\n")
    result = run(make_action, log_file=LOG, unreachable_grace=30, timeout=600)
    assert result["failed"] is True
    assert result["msg"] == f"the structure update to 2.0.0 failed: {FAILED} (no new attempt started within 30 s)"
    assert 30 < fake_clock.now - 1000 < 40


def test_an_old_failure_followed_by_a_new_attempt(fake_host: t.Any, fake_clock: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.add_dir("/srv/ConAktiv Data")
    log_after(fake_host, fake_clock, [(0, STARTED), (0, FAILED), (10, STARTED), (50, FINISHED)])
    result = run(make_action, log_file=LOG, unreachable_grace=30, timeout=600)
    assert result["msg"] == "version 2.0.0 is ready", result.get("msg")


def test_timeout(fake_host: t.Any, fake_clock: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.http_handler = StatusScript({"state": "migrating", "version": "2.0.0"})
    result = run(make_action, control=CONTROL, timeout=300, poll_interval=10)
    assert result["msg"] == "the structure update to 2.0.0 did not finish within 300 s (last state: migrating)"
    assert fake_clock.now - 1000 == pytest.approx(300)
    assert max(fake_clock.sleeps) == 10


def test_a_server_that_stops_answering(fake_host: t.Any, fake_clock: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.http_handler = StatusScript({"state": "migrating", "version": "2.0.0"}, None)
    result = run(make_action, control=CONTROL, unreachable_grace=30, timeout=3600)
    assert result["msg"] == "the server stopped answering during the structure update to 2.0.0 (no answer for 30 s)"
    assert 30 < fake_clock.now - 1000 < 45


def test_a_short_silence_is_tolerated(fake_host: t.Any, fake_clock: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.http_handler = StatusScript({"state": "migrating", "version": "2.0.0"}, None, None, {"state": "ready", "version": "2.0.0"})
    assert run(make_action, control=CONTROL, unreachable_grace=30)["msg"] == "version 2.0.0 is ready"


def test_check_mode_only_looks(fake_host: t.Any, fake_clock: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.http_handler = StatusScript({"state": "migrating", "version": "2.0.0"})
    result = run(make_action, control=CONTROL, check_mode=True)
    assert result["changed"] is False
    assert result["msg"] == "check mode: not waiting for the structure update"
    assert result["state"] == "migrating"
    assert fake_clock.sleeps == []


def test_control_or_log_file_is_needed(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    assert run(make_action)["msg"] == "structure_update needs control (type http or command) or log_file to know when the update finished"


def test_a_bad_pattern_is_a_clear_error(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    result = run(make_action, log_file=LOG, success_pattern="finished (")
    assert result["msg"].startswith("success_pattern 'finished (' is not a valid regular expression")
    assert fake_host.calls == []
