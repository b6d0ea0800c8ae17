# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decision logic of conaktiv.server.history: one JSON line per run, secrets redacted, idempotent."""

from __future__ import annotations

import json
import typing as t

from ansible_collections.conaktiv.server.plugins.action import history

HISTORY = "/srv/conaktiv-update-history.jsonl"
RECORD = {"run_id": "r-1", "host": "srv1", "started": "2026-11-23T22:00:00+00:00", "finished": "2026-11-23T22:09:00+00:00",
          "outcome": "failed", "from_version": "9.0.11", "to_version": "9.0.12", "failed_phase": "stage",
          "error": "FTP login as conaktiv:pw-31337 failed", "phases": []}


def run(make_action: t.Callable[..., t.Any], check_mode: bool = False, **args: t.Any) -> dict[str, t.Any]:
    args = {"server_path": "/srv/ConAktiv Server", "record": RECORD, **args}
    return make_action(history, args, check_mode=check_mode).run(task_vars={})


def test_the_record_is_appended_once_and_redacted(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.add_dir("/srv")
    result = run(make_action, redact=["pw-31337"])
    assert result["changed"] is True and result["history_path"] == HISTORY
    lines = fake_host.text(HISTORY).splitlines()
    assert len(lines) == 1
    stored = json.loads(lines[0])
    assert stored["run_id"] == "r-1" and "pw-31337" not in lines[0]
    assert "pw-31337" not in json.dumps(result)
    again = run(make_action, redact=["pw-31337"])
    assert again["changed"] is False and again["msg"] == "this record is already in the history"
    assert len(fake_host.text(HISTORY).splitlines()) == 1


def test_a_custom_history_path(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.add_dir("/var/log/conaktiv")
    assert run(make_action, history_path="/var/log/conaktiv/history.jsonl")["history_path"] == "/var/log/conaktiv/history.jsonl"
    assert fake_host.exists("/var/log/conaktiv/history.jsonl")


def test_check_mode_appends_nothing(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.add_dir("/srv")
    result = run(make_action, check_mode=True)
    assert result["changed"] is True and result["msg"] == f"would append to {HISTORY}"
    assert not fake_host.exists(HISTORY) and fake_host.check_mode_violations == []


def test_an_invalid_record_is_refused(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    result = run(make_action, record={"run_id": "r-1"})
    assert result["failed"] is True and result["msg"].startswith("the history record is not valid: ")
    assert fake_host.calls == []
