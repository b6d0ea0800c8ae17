# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the update history records (JSON lines), their summaries and secret redaction."""

from __future__ import annotations

import json
import math

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._history import (
    HISTORY_FILE_NAME,
    REDACTED,
    SCHEMA_VERSION,
    PhaseRecord,
    RunRecord,
    from_dict,
    last_records,
    parse_history,
    redact,
    run_duration,
    summary_line,
    summary_table,
    to_dict,
    to_line,
)


def _run(**changes) -> RunRecord:
    record = RunRecord(
        run_id="20261123T220100-ca01",
        host="ca01",
        started="2026-11-23T22:01:00+01:00",
        finished="2026-11-23T22:02:24+01:00",
        from_version="9.0.12",
        to_version="9.1.0",
        outcome="updated",
        phases=[
            PhaseRecord("stage", "2026-11-23T22:01:00+01:00", 20.5, "changed"),
            PhaseRecord("swap", "2026-11-23T22:01:40+01:00", 3.25, "changed", "moved to ConAktiv Server_old0001"),
        ],
        downtime_s=31.0,
        backups=[{"kind": "pre", "path": "/backups/ca01-pre.zip", "size": 1024}],
        error=None,
        failed_phase=None,
    )
    for key, value in changes.items():
        setattr(record, key, value)
    return record


def test_constants():
    assert HISTORY_FILE_NAME == "conaktiv-update-history.jsonl"
    assert SCHEMA_VERSION == 1


def test_defaults_of_a_minimal_record():
    record = RunRecord("r", "h", "2026-11-23T22:00:00", None, None, None, "skipped")
    assert not record.phases and not record.backups
    assert record.downtime_s is None and record.error is None and record.failed_phase is None


def test_to_line_is_one_compact_sorted_ascii_json_line():
    line = to_line(_run(error="Fehler: Dienst hängt"))
    assert line.endswith("\n") and line.count("\n") == 1
    assert line.isascii()
    data = json.loads(line)
    assert data["schema"] == 1
    assert list(data) == sorted(data)
    assert ", " not in line and ": " not in line.replace("Fehler: ", "")
    assert data["error"] == "Fehler: Dienst hängt"
    assert data["phases"][1] == {"name": "swap", "started": "2026-11-23T22:01:40+01:00", "duration_s": 3.25, "outcome": "changed",
                                 "detail": "moved to ConAktiv Server_old0001"}


def test_round_trip():
    record = _run(outcome="failed", error="boom", failed_phase="swap", to_version=None)
    assert from_dict(json.loads(to_line(record))) == record
    assert from_dict(to_dict(record)) == record


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"outcome": "done"}, "run outcome 'done' is not one of"),
        ({"phases": [PhaseRecord("stage", "t", 1.0, "great")]}, "phase 'stage' has outcome 'great'"),
        ({"phases": [{"name": "stage"}]}, "must be PhaseRecord objects"),
        ({"downtime_s": math.nan}, "cannot be written as JSON"),
        ({"backups": [{"when": object()}]}, "cannot be written as JSON"),
    ],
)
def test_to_line_refuses_bad_records(changes, message):
    with pytest.raises(ValueError, match=message):
        to_line(_run(**changes))


def test_to_line_needs_a_record():
    with pytest.raises(ValueError, match="needs a RunRecord"):
        to_line({"run_id": "x"})


def test_from_dict_ignores_unknown_newer_keys_and_tolerates_missing_optional_ones():
    data = {"schema": 2, "run_id": "r", "host": "h", "started": "2026-11-23T22:00:00", "outcome": "updated",
            "phases": [{"name": "stage", "started": "s", "duration_s": 1, "outcome": "ok", "new_field": True}], "future": {"x": 1}}
    record = from_dict(data)
    assert record == RunRecord("r", "h", "2026-11-23T22:00:00", None, None, None, "updated", [PhaseRecord("stage", "s", 1.0, "ok")])
    assert isinstance(record.phases[0].duration_s, float)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"run_id": None}, "'run_id' must be text"),
        ({"host": 5}, "'host' must be text"),
        ({"outcome": ["updated"]}, "'outcome' must be text"),
        ({"finished": 17}, "'finished' must be text"),
        ({"downtime_s": "31"}, "'downtime_s' must be a number"),
        ({"downtime_s": True}, "'downtime_s' must be a number"),
        ({"phases": {"stage": 1}}, "'phases' must be a list"),
        ({"phases": ["stage"]}, "a phase must be an object"),
        ({"phases": [{"name": "s", "started": "t", "duration_s": None, "outcome": "ok"}]}, "'duration_s' must be a number"),
        ({"phases": [{"name": "s", "started": "t", "duration_s": 1, "outcome": "ok", "detail": 3}]}, "'detail' must be text"),
        ({"backups": ["x"]}, "'backups' must be a list of objects"),
        ({"schema": "1"}, "'schema' must be a whole number"),
        ({"schema": 0}, "'schema' must be a whole number"),
    ],
)
def test_from_dict_rejects_wrong_types(changes, message):
    data = to_dict(_run())
    data.update(changes)
    with pytest.raises(ValueError, match=message):
        from_dict(data)


def test_from_dict_needs_an_object():
    with pytest.raises(ValueError, match="must be a JSON object, not list"):
        from_dict([1, 2])


def test_parse_history_skips_a_torn_line_with_a_warning():
    first, second, third = to_line(_run(run_id="a")), to_line(_run(run_id="b")), to_line(_run(run_id="c"))
    torn = second[: len(second) // 2]  # the controller died mid-write
    text = first + torn + "\n" + third
    records, warnings = parse_history(text)
    assert [record.run_id for record in records] == ["a", "c"]
    assert len(warnings) == 1
    assert warnings[0].startswith("line 2 of the update history is not a readable record")


def test_parse_history_torn_last_line_without_newline():
    text = to_line(_run(run_id="a")) + to_line(_run(run_id="b"))[:40]
    records, warnings = parse_history(text)
    assert [record.run_id for record in records] == ["a"]
    assert warnings and "line 2" in warnings[0]


def test_parse_history_other_damage_is_reported_per_line():
    text = "\ufeff" + to_line(_run(run_id="a")) + "\n   \n" + "[1,2]\n" + '{"run_id": "x"}\n' + "garbage\n" + to_line(_run(run_id="b"))
    records, warnings = parse_history(text)
    assert [record.run_id for record in records] == ["a", "b"]
    assert [warning.split(" of ")[0] for warning in warnings] == ["line 4", "line 5", "line 6"]
    assert "must be a JSON object" in warnings[0]
    assert "'host' must be text" in warnings[1]


def test_parse_history_empty_and_crlf():
    assert parse_history("") == ([], [])
    records, warnings = parse_history(to_line(_run()).replace("\n", "\r\n") * 2)
    assert len(records) == 2 and not warnings


def test_parse_history_needs_text():
    with pytest.raises(ValueError, match="must be text"):
        parse_history(b"{}")


def test_last_records():
    records = [_run(run_id=str(number)) for number in range(5)]
    assert [record.run_id for record in last_records(records, 2)] == ["3", "4"]
    assert [record.run_id for record in last_records(records, 10)] == ["0", "1", "2", "3", "4"]
    assert not last_records(records, 0)
    assert not last_records([], 3)
    for bad in (-1, 1.5, None, True):
        with pytest.raises(ValueError, match="whole number"):
            last_records(records, bad)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "2026-11-23 22:01 updated 9.0.12 -> 9.1.0 in 84 s (downtime 31 s)"),
        ({"outcome": "up_to_date", "from_version": "9.1.0", "downtime_s": None, "finished": "2026-11-23T22:01:03+01:00"},
         "2026-11-23 22:01 up_to_date 9.1.0 in 3 s"),
        ({"outcome": "skipped", "from_version": None, "to_version": None, "downtime_s": None, "finished": "2026-11-23T22:01:00.500000+01:00",
          "error": None}, "2026-11-23 22:01 skipped in 0.5 s"),
        ({"outcome": "failed", "failed_phase": "stage", "error": "download failed: 530 Login incorrect\nTraceback ...", "downtime_s": None},
         "2026-11-23 22:01 failed 9.0.12 -> 9.1.0 in 84 s at phase stage: download failed: 530 Login incorrect"),
        ({"outcome": "rolled_back", "failed_phase": "structure_update", "error": "structure update timed out", "finished": "2026-11-23T23:10:00+01:00"},
         "2026-11-23 22:01 rolled_back 9.0.12 -> 9.1.0 in 1 h 9 min (downtime 31 s) at phase structure_update: structure update timed out"),
        ({"finished": None}, "2026-11-23 22:01 updated 9.0.12 -> 9.1.0 (unfinished) (downtime 31 s)"),
        ({"started": "yesterday", "finished": None, "downtime_s": None}, "yesterday updated 9.0.12 -> 9.1.0 (unfinished)"),
        ({"finished": "2026-11-23T21:02:24"}, "2026-11-23 22:01 updated 9.0.12 -> 9.1.0 (unfinished) (downtime 31 s)"),  # naive vs aware
        ({"to_version": None}, "2026-11-23 22:01 updated 9.0.12 in 84 s (downtime 31 s)"),
        ({"error": "x" * 300, "outcome": "failed"}, "2026-11-23 22:01 failed 9.0.12 -> 9.1.0 in 84 s (downtime 31 s): " + "x" * 117 + "..."),
    ],
)
def test_summary_line(changes, expected):
    assert summary_line(_run(**changes)) == expected


def test_run_duration():
    assert run_duration(_run()) == 84.0
    assert run_duration(_run(finished="2026-11-23T22:00:00+01:00")) is None  # before the start: clock skew
    assert run_duration(_run(started="2026-11-23T21:01:00Z", finished="2026-11-23T22:02:24+01:00")) == 84.0


def test_summary_table_is_aligned():
    records = [_run(), _run(outcome="failed", to_version="10.0.0 Build 4711", error="disk full", failed_phase="stage", downtime_s=None)]
    table = summary_table(records)
    lines = table.splitlines()
    assert len(lines) == 4
    assert lines[0].split() == ["started", "outcome", "from", "to", "duration", "downtime", "problem"]
    assert set(lines[1]) <= {"-", " "}
    # Every column starts at the same offset in every line.
    for column in ("outcome", "from", "to", "duration", "downtime"):
        start = lines[0].index(column)
        assert lines[1][start] == "-" and lines[1][start - 1] == " "
    assert lines[2].index("updated") == lines[0].index("outcome") == lines[3].index("failed")
    assert lines[3].index("10.0.0 Build 4711") == lines[0].index("to ")
    assert lines[3].endswith("stage: disk full")
    assert "-" in lines[3].split()  # unknown downtime is shown as "-"
    assert all(line == line.rstrip() for line in lines)


def test_summary_table_empty():
    assert summary_table([]) == "no update runs recorded"


def test_redact_deeply():
    value = {
        "msg": "login as admin with s3cret failed",
        "nested": [{"cmd": ["curl", "-u", "admin:s3cret"]}, ("s3cret", 5)],
        "count": 3,
        "flag": None,
        "s3cret": "the key itself is kept",
    }
    assert redact(value, ["s3cret"]) == {
        "msg": f"login as admin with {REDACTED} failed",
        "nested": [{"cmd": ["curl", "-u", f"admin:{REDACTED}"]}, (REDACTED, 5)],
        "count": 3,
        "flag": None,
        "s3cret": "the key itself is kept",
    }
    assert value["msg"] == "login as admin with s3cret failed"  # the input is not changed


@pytest.mark.parametrize(
    ("text", "secret", "expected"),
    [
        ("ftp://user:p%40ss@host/pkg.zip", "p@ss", f"ftp://user:{REDACTED}@host/pkg.zip"),
        ("ftp://user:p%c3%a4ss@host", "päss", f"ftp://user:{REDACTED}@host"),
        ("ftp://user:P%2fW%3Ad@host", "P/W:d", f"ftp://user:{REDACTED}@host"),  # lower-case hex escapes too
        ("ftp://user:P/W%3Ad@host", "P/W:d", f"ftp://user:{REDACTED}@host"),  # quote() keeps '/'
        ("password=a+b%26c&x=1", "a b&c", f"password={REDACTED}&x=1"),  # form encoding
        ("password=a%20b%26c", "a b&c", f"password={REDACTED}"),
        ('{"password": "say \\"hi\\""}', 'say "hi"', f'{{"password": "{REDACTED}"}}'),  # JSON-escaped
        ("pass: Äpfel, %C3%84pfel", "Äpfel", f"pass: {REDACTED}, {REDACTED}"),
        ("twice s s", "s", f"twice {REDACTED} {REDACTED}"),
    ],
)
def test_redact_encoded_forms(text, secret, expected):
    assert redact(text, [secret]) == expected


def test_redact_longest_secret_first():
    assert redact("user=admin pass=admin123", ["admin", "admin123"]) == f"user={REDACTED} pass={REDACTED}"
    assert redact("admin123", ["admin123", "admin"]) == REDACTED


def test_redact_ignores_empty_and_non_text_secrets():
    assert redact("nothing here", ["", None, 5]) == "nothing here"
    assert redact({"a": "x"}, []) == {"a": "x"}


def test_redact_accepts_a_single_secret_string_and_a_generator():
    assert redact("a s3cret b", "s3cret") == f"a {REDACTED} b"
    assert redact("a s3cret b", (secret for secret in ["s3cret"])) == f"a {REDACTED} b"


def test_redact_regex_characters_are_literal():
    assert redact("p.ss and pass", ["p.ss"]) == f"{REDACTED} and pass"
    assert redact("x(+)*y", ["(+)*"]) == f"x{REDACTED}y"
