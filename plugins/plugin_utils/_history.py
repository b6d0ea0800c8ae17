# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The update history ("Updateverlauf"): one JSON line per run, appended to a file on the host.

Readers are lenient (a torn last line or a record from a newer collection version is skipped or
read as far as it is understood); writers are strict (outcomes are checked, NaN is refused).
"""

from __future__ import annotations

import json
import re
import typing as t
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from urllib.parse import quote, quote_plus

from ._i18n import OUTCOME_LABELS, check_language
from ._text import format_duration
from ._time_zone import HostZone, local_time

HISTORY_FILE_NAME = "conaktiv-update-history.jsonl"
SCHEMA_VERSION = 1
PHASE_OUTCOMES: tuple[str, ...] = ("ok", "changed", "skipped", "failed")
RUN_OUTCOMES: tuple[str, ...] = ("updated", "up_to_date", "skipped", "failed", "rolled_back", "interrupted", "staged")
REDACTED = "********"
_ERROR_SHOWN = 120


@dataclass
class PhaseRecord:
    """One phase of a run: when it started, how long it took, how it ended."""

    name: str
    started: str
    duration_s: float
    outcome: str  # "ok" | "changed" | "skipped" | "failed"
    detail: str = ""


@dataclass
class RunRecord:  # pylint: disable=too-many-instance-attributes
    """One update run on one host."""

    run_id: str
    host: str
    started: str
    finished: str | None
    from_version: str | None
    to_version: str | None
    outcome: str  # "updated" | "up_to_date" | "skipped" | "failed" | "rolled_back"
    phases: list[PhaseRecord] = field(default_factory=list)
    downtime_s: float | None = None
    backups: list[dict] = field(default_factory=list)
    error: str | None = None
    failed_phase: str | None = None
    # The runs (ids) that worked on this update, oldest first: more than one when a run finished an interrupted one.
    runs: list[str] = field(default_factory=list)
    # The mail to the administrators: {"sent": bool, "to": [...], "error": why not, "message_id"}; None when none is configured.
    mail: dict | None = None
    # Folders the run left beside the server on purpose: the previous version(s) (keep_old) and a failed version (failed_folder: keep).
    kept: list[str] = field(default_factory=list)


# --- writing -----------------------------------------------------------------------------------


def _check_outcomes(record: RunRecord) -> None:
    """Refuse outcomes outside the documented sets (a typo would make the history unreadable to tools)."""
    if record.outcome not in RUN_OUTCOMES:
        raise ValueError(f"run outcome {record.outcome!r} is not one of {', '.join(RUN_OUTCOMES)}")
    for phase in record.phases:
        if not isinstance(phase, PhaseRecord):
            raise ValueError(f"phases must be PhaseRecord objects, not {type(phase).__name__}")
        if phase.outcome not in PHASE_OUTCOMES:
            raise ValueError(f"phase {phase.name!r} has outcome {phase.outcome!r}, not one of {', '.join(PHASE_OUTCOMES)}")


def to_dict(record: RunRecord) -> dict[str, t.Any]:
    """The record as a plain dict, with the schema version."""
    data = asdict(record)
    data["schema"] = SCHEMA_VERSION
    return data


def to_line(record: RunRecord) -> str:
    """One compact, ASCII-only JSON line (keys sorted, ending in a newline) for appending to the history file."""
    if not isinstance(record, RunRecord):
        raise ValueError(f"to_line needs a RunRecord, not {type(record).__name__}")
    _check_outcomes(record)
    try:
        return json.dumps(to_dict(record), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the history record of run {record.run_id!r} cannot be written as JSON: {exc}") from None


# --- reading -----------------------------------------------------------------------------------


def _text(data: dict[str, t.Any], key: str, *, optional: bool = False, default: str | None = None) -> str | None:
    """``data[key]`` as text; None allowed only when optional."""
    value = data.get(key, default)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValueError(f"'{key}' must be text, not {type(value).__name__}")
    return value


def _number(data: dict[str, t.Any], key: str, *, optional: bool = False) -> float | None:
    """``data[key]`` as a float; None allowed only when optional."""
    value = data.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"'{key}' must be a number, not {type(value).__name__}")
    return float(value)


def _phase_from_dict(data: t.Any) -> PhaseRecord:
    """A PhaseRecord from its JSON form."""
    if not isinstance(data, dict):
        raise ValueError(f"a phase must be an object, not {type(data).__name__}")
    return PhaseRecord(
        name=_text(data, "name"),
        started=_text(data, "started"),
        duration_s=_number(data, "duration_s"),
        outcome=_text(data, "outcome"),
        detail=_text(data, "detail", default=""),
    )


def from_dict(d: dict[str, t.Any]) -> RunRecord:
    """A RunRecord from its JSON form; unknown keys (from newer versions) are ignored, wrong types raise ValueError."""
    if not isinstance(d, dict):
        raise ValueError(f"a history record must be a JSON object, not {type(d).__name__}")
    schema = d.get("schema", SCHEMA_VERSION)
    if isinstance(schema, bool) or not isinstance(schema, int) or schema < 1:
        raise ValueError(f"'schema' must be a whole number >= 1, not {schema!r}")
    phases = d.get("phases") or []
    backups = d.get("backups") or []
    if not isinstance(phases, list):
        raise ValueError(f"'phases' must be a list, not {type(phases).__name__}")
    if not isinstance(backups, list) or not all(isinstance(item, dict) for item in backups):
        raise ValueError("'backups' must be a list of objects")
    runs = d.get("runs") or []
    if not isinstance(runs, list) or not all(isinstance(item, str) for item in runs):
        raise ValueError("'runs' must be a list of run ids")
    mail = d.get("mail")
    if mail is not None and not isinstance(mail, dict):
        raise ValueError(f"'mail' must be an object, not {type(mail).__name__}")
    kept = d.get("kept") or []
    if not isinstance(kept, list) or not all(isinstance(item, str) for item in kept):
        raise ValueError("'kept' must be a list of paths")
    return RunRecord(
        run_id=_text(d, "run_id"),
        host=_text(d, "host"),
        started=_text(d, "started"),
        finished=_text(d, "finished", optional=True),
        from_version=_text(d, "from_version", optional=True),
        to_version=_text(d, "to_version", optional=True),
        outcome=_text(d, "outcome"),
        phases=[_phase_from_dict(item) for item in phases],
        downtime_s=_number(d, "downtime_s", optional=True),
        backups=list(backups),
        error=_text(d, "error", optional=True),
        failed_phase=_text(d, "failed_phase", optional=True),
        runs=list(runs),
        mail=dict(mail) if mail is not None else None,
        kept=list(kept),
    )


def parse_history(text: str) -> tuple[list[RunRecord], list[str]]:
    """The records of a history file and one warning per line that could not be read (the line is skipped)."""
    if not isinstance(text, str):
        raise ValueError(f"the history must be text, not {type(text).__name__}")
    records: list[RunRecord] = []
    warnings: list[str] = []
    # A BOM appears when an admin saved the file with a Windows editor.
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(from_dict(json.loads(line)))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            warnings.append(f"line {number} of the update history is not a readable record (torn or edited?), skipped: {exc}")
    return records, warnings


# --- presenting --------------------------------------------------------------------------------


def last_records(records: list[RunRecord], n: int) -> list[RunRecord]:
    """The last ``n`` records in file order (the newest last)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"the number of history records must be a whole number >= 0, not {n!r}")
    return list(records[-n:]) if n else []


def _moment(text: str | None) -> datetime | None:
    """An ISO timestamp, or None if missing or unreadable."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _when(record: RunRecord) -> str:
    """The start of the run as "2026-11-23 22:01" (the raw text if it is not ISO)."""
    moment = _moment(record.started)
    return moment.strftime("%Y-%m-%d %H:%M") if moment else record.started


def run_duration(record: RunRecord) -> float | None:
    """Seconds from start to finish, or None if unfinished or unreadable."""
    started, finished = _moment(record.started), _moment(record.finished)
    if started is None or finished is None or (started.tzinfo is None) != (finished.tzinfo is None):
        return None
    seconds = (finished - started).total_seconds()
    return seconds if seconds >= 0 else None


def _versions(record: RunRecord) -> str:
    """"9.0.12 -> 9.1.0", one version, or "" when none is known."""
    if record.from_version and record.to_version and record.from_version != record.to_version:
        return f"{record.from_version} -> {record.to_version}"
    return record.to_version or record.from_version or ""


def _short_error(error: str | None) -> str:
    """The first line of an error, shortened for a one-line summary."""
    if not error:
        return ""
    first = error.strip().splitlines()[0] if error.strip() else ""
    return first if len(first) <= _ERROR_SHOWN else first[:_ERROR_SHOWN - 3] + "..."


def _duration_text(seconds: float | None) -> str:
    """format_duration, or "" for unknown."""
    return format_duration(seconds) if seconds is not None and seconds >= 0 else ""


def summary_line(record: RunRecord) -> str:
    """One readable line: "2026-11-23 22:01 updated 9.0.12 -> 9.1.0 in 84 s (downtime 31 s)"."""
    parts = [_when(record), record.outcome]
    versions = _versions(record)
    if versions:
        parts.append(versions)
    duration = run_duration(record)
    parts.append(f"in {format_duration(duration)}" if duration is not None else "(unfinished)")
    line = " ".join(parts)
    downtime = _duration_text(record.downtime_s)
    if downtime:
        line += f" (downtime {downtime})"
    if len(record.runs) > 1:
        line += f" (over {len(record.runs)} runs)"
    if record.failed_phase:
        line += f" at phase {record.failed_phase}"
    error = _short_error(record.error)
    if error:
        line += f": {error}"
    if record.mail is not None and not record.mail.get("sent"):
        line += f" (mail not sent: {_short_error(str(record.mail.get('error') or 'unknown'))})"
    return line


_TABLE_HEADERS = {"en": ("started", "outcome", "from", "to", "duration", "downtime", "problem"),
                  "de": ("Beginn", "Ergebnis", "von", "auf", "Dauer", "Ausfallzeit", "Problem")}
_NO_RECORDS = {"en": "no update runs recorded", "de": "keine Updates aufgezeichnet"}
_UNFINISHED = {"en": "unfinished", "de": "unvollendet"}


def _table_row(record: RunRecord, language: str, zone: HostZone | None) -> tuple[str, ...]:
    """The cells of one record in the summary table."""
    duration = run_duration(record)
    problem = ": ".join(part for part in (record.failed_phase or "", _short_error(record.error)) if part)
    when = _when(record) if zone is None else (local_time(record.started, zone) if _moment(record.started) else record.started)
    return (when or "-", OUTCOME_LABELS[language].get(record.outcome, record.outcome) if language != "en" else record.outcome,
            record.from_version or "-", record.to_version or "-",
            format_duration(duration) if duration is not None else _UNFINISHED[language], _duration_text(record.downtime_s) or "-", problem)


def summary_table(records: list[RunRecord], language: str = "en", zone: HostZone | None = None) -> str:
    """An aligned plain-text table of the records, one per line, with a header; with ``zone`` the start is the host's local
    time with the zone's name (else UTC without it)."""
    check_language(language)
    if not records:
        return _NO_RECORDS[language]
    header = _TABLE_HEADERS[language]
    rows = [header] + [_table_row(record, language, zone) for record in records]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths).rstrip())
    return "\n".join(lines)


# --- secrets -----------------------------------------------------------------------------------


def _percent_pattern(encoded: str) -> str:
    """A regex for a percent-encoded text in which the hex digits of %XX may be in either case."""
    pieces = re.split(r"(%[0-9A-F]{2})", encoded)
    out = []
    for piece in pieces:
        if re.fullmatch(r"%[0-9A-F]{2}", piece):
            out.append("%" + "".join(f"[{c.lower()}{c}]" if c.isalpha() else c for c in piece[1:]))
        elif piece:
            out.append(re.escape(piece))
    return "".join(out)


def _secret_pattern(secrets: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching any secret as written, URL-encoded (path, query, form) or JSON-escaped."""
    alternatives: dict[str, int] = {}
    for secret in secrets:
        if not isinstance(secret, str) or not secret:
            continue
        forms = {secret, json.dumps(secret)[1:-1]}
        for form in forms:
            alternatives[re.escape(form)] = len(form)
        for encoded in (quote(secret, safe=""), quote(secret), quote_plus(secret), quote_plus(secret, safe="")):
            alternatives[_percent_pattern(encoded)] = len(encoded)
    if not alternatives:
        return None
    # Longest text first: the regex takes the first alternative that matches, and a secret that
    # contains another secret must be replaced whole.
    ordered = sorted(alternatives, key=lambda alt: (-alternatives[alt], alt))
    return re.compile("|".join(ordered))


def _redact_with(value: t.Any, pattern: re.Pattern[str]) -> t.Any:
    """Replace matches of ``pattern`` in every string inside ``value``."""
    if isinstance(value, str):
        return pattern.sub(REDACTED, value)
    if isinstance(value, dict):
        return {key: _redact_with(item, pattern) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_with(item, pattern) for item in value]
    if isinstance(value, tuple):
        return tuple(_redact_with(item, pattern) for item in value)
    return value


def redact(value: t.Any, secrets: Iterable[str]) -> t.Any:
    """A copy of ``value`` with every non-empty secret (also URL-encoded or JSON-escaped) replaced by "********"."""
    if isinstance(secrets, str):
        secrets = [secrets]
    pattern = _secret_pattern(secrets)
    return _redact_with(value, pattern) if pattern else value
