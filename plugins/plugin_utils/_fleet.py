# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state of a fleet of ConAktiv servers, from what conaktiv.server.info returned for each host: one row per host.

:func:`fleet_rows` reads the registered results (also of hosts that failed or were unreachable); :mod:`._fleet_render`
makes the text table, CSV, JSON and the HTML report of them. Times are shown as each host's local time with its zone,
because the update window is local time too. Pure logic, no I/O.
"""

from __future__ import annotations

import collections
import dataclasses
import typing as t

from ._i18n import OUTCOME_LABELS, check_language
from ._text import format_duration
from ._time_zone import HostZone, from_dict, local_time, parse_moment

SERVICE_LABELS = {
    "de": {"running": "läuft", "stopped": "gestoppt", "absent": "kein Dienst", "unknown": "unbekannt", "starting": "startet",
           "stopping": "stoppt"},
    "en": {"running": "running", "stopped": "stopped", "absent": "no service", "unknown": "unknown", "starting": "starting",
           "stopping": "stopping"},
}
_WORDS = {
    "de": {"unreachable": "nicht erreichbar", "unreadable": "Zustand nicht lesbar", "unfinished": "UNVOLLENDET", "never": "noch nie",
           "unknown": "unbekannt", "hosts": ("Server", "Server"), "on": "auf", "no_version": "ohne Version",
           "ago": "vor {age}", "minutes": "{n} Min.", "hours": "{n} Std.", "days": ("{n} Tag", "{n} Tagen"), "incomplete": "unvollständig",
           "stale": "veraltet", "other": "nicht die Zielversion"},
    "en": {"unreachable": "unreachable", "unreadable": "state not readable", "unfinished": "UNFINISHED", "never": "never",
           "unknown": "unknown", "hosts": ("host", "hosts"), "on": "on", "no_version": "without a version",
           "ago": "{age} ago", "minutes": "{n} min", "hours": "{n} h", "days": ("{n} day", "{n} days"), "incomplete": "incomplete",
           "stale": "stale", "other": "not the target version"},
}
HEADERS = {
    "de": ("Server", "Version", "Dienst", "Letztes Update", "Ergebnis", "Zeitpunkt (Ortszeit)", "Bereitgestellt"),
    "en": ("Host", "Version", "Service", "Last update", "Outcome", "When (local time)", "Staged"),
}


@dataclasses.dataclass(frozen=True)
class HostState:
    """One host of the fleet as the report shows it."""

    host: str
    #: Why its state could not be read (unreachable, a failed info task); None when it was read.
    error: str | None
    version: str | None
    service_state: str
    control_state: str | None
    zone: HostZone
    #: The newest history record (dict as info returns it), None when no update ran yet.
    last: dict[str, t.Any] | None
    #: The run journal shows an update that has not ended (a later run finishes it).
    unfinished: bool
    unfinished_version: str | None = None
    #: The error is that the host could not be reached at all.
    unreachable: bool = False
    #: What is staged in the temporary folder (``staged`` as info returns it), None when nothing is.
    staged: dict[str, t.Any] | None = None

    @property
    def reachable(self) -> bool:
        return self.error is None


def _error_of(result: t.Mapping[str, t.Any]) -> str | None:
    if result.get("unreachable") or result.get("failed") or "installed_version" not in result:
        return str(result.get("msg") or "no state returned")
    return None


def host_state(host: str, result: t.Mapping[str, t.Any] | None) -> HostState:
    """What one host's registered info result says (``None``: the host never ran the task, e.g. it was unreachable before)."""
    result = result or {"failed": True, "msg": "the status task did not run on this host"}
    error = _error_of(result)
    if error is not None:
        return HostState(host=host, error=error.strip(), version=None, service_state="unknown", control_state=None,
                         zone=HostZone(), last=None, unfinished=False, unreachable=bool(result.get("unreachable")))
    # The last update is the newest run that was one: a staging run ahead of the window is shown as the staging, not as an update.
    updates = [record for record in result.get("history") or [] if record.get("outcome") != "staged"]
    journal = result.get("run_journal") or {}
    return HostState(host=host, error=None, version=result.get("installed_version"), service_state=str(result.get("service_state") or "unknown"),
                     control_state=result.get("control_state"), zone=from_dict(result.get("time_zone")), last=updates[-1] if updates else None,
                     unfinished=bool(journal.get("unfinished")), unfinished_version=journal.get("version"), staged=result.get("staged") or None)


def fleet_rows(results: t.Mapping[str, t.Mapping[str, t.Any] | None]) -> list[HostState]:
    """Every host of ``results`` (inventory name -> registered info result), in inventory order."""
    if not isinstance(results, t.Mapping):
        raise TypeError(f"expected a mapping of host -> info result, got {type(results).__name__}")
    return [host_state(str(host), result) for host, result in results.items()]


def outcome_label(state: HostState, language: str) -> str:
    """The last update's outcome as people read it; an unfinished update and an unreachable host say so."""
    words = _WORDS[check_language(language)]
    if not state.reachable:
        return words["unreachable"] if state.unreachable else words["unreadable"]
    if state.unfinished:
        return f"{words['unfinished']} ({state.unfinished_version or '?'})"
    if state.last is None:
        return words["never"]
    outcome = str(state.last.get("outcome") or "unknown")
    return OUTCOME_LABELS[language].get(outcome, outcome)


def last_update(state: HostState) -> str:
    """``1.0.0 -> 2.0.0`` of the newest record, ``-`` without one."""
    if not state.last:
        return "-"
    return f"{state.last.get('from_version') or '?'} -> {state.last.get('to_version') or '?'}"


def when(state: HostState) -> str:
    """When the newest record ended (else began), as the host's local time with its zone."""
    if not state.last:
        return "-"
    return local_time(state.last.get("finished") or state.last.get("started"), state.zone) or "-"


def service_label(state: HostState, language: str) -> str:
    if not state.reachable:
        return "-"
    return SERVICE_LABELS[check_language(language)].get(state.service_state, state.service_state)


def age_text(days: float | None, language: str) -> str | None:
    """How long ago, as people read it: "vor 40 Min.", "vor 5 Std.", "vor 3 Tagen" / "40 min ago", "5 h ago", "3 days ago"."""
    if days is None:
        return None
    words = _WORDS[check_language(language)]
    minutes = max(0, round(float(days) * 1440))
    if minutes < 60:
        age = words["minutes"].format(n=minutes)
    elif minutes < 48 * 60:
        age = words["hours"].format(n=round(minutes / 60))
    else:
        whole = round(minutes / 1440)
        age = words["days"][whole != 1].format(n=whole)
    return words["ago"].format(age=age)


def staged_label(staged: t.Mapping[str, t.Any] | None, language: str) -> str:
    """What is staged: "2.0.0, vor 5 Std." with "unvollständig", "veraltet" or "nicht die Zielversion" where it is; "-" for nothing."""
    if not staged:
        return "-"
    words = _WORDS[check_language(language)]
    parts = [str(staged.get("version") or words["unknown"])]
    age = age_text(staged.get("age_days"), language)
    if age:
        parts.append(age)
    if not staged.get("complete", True):
        parts.append(words["incomplete"])
    if staged.get("stale"):
        parts.append(words["stale"])
    if staged.get("for_target") is False:
        parts.append(words["other"])
    return ", ".join(parts)


def table_cells(state: HostState, language: str) -> tuple[str, str, str, str, str, str, str]:
    """The cells of one line of the text table and of the HTML table."""
    return (state.host, state.version or "-", service_label(state, language), last_update(state), outcome_label(state, language), when(state),
            staged_label(state.staged, language) if state.reachable else "-")


def versions(states: list[HostState], language: str | None = None) -> list[tuple[str, list[str]]]:
    """Each installed version with its hosts, the most common first; with ``language``, the hosts whose state could not be read
    and those without a version under headings of their own (without, they are left out)."""
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for state in states:
        if state.reachable and state.version:
            groups[state.version].append(state.host)
        elif language:
            words = _WORDS[check_language(language)]
            groups[words["unreadable"] if not state.reachable else words["no_version"]].append(state.host)
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))


def summary_line(states: list[HostState], language: str) -> str:
    """"3 Server: 2 auf 2.0.0, 1 nicht erreichbar" / "3 hosts: 2 on 2.0.0, 1 unreachable"."""
    words = _WORDS[check_language(language)]
    count = len(states)
    parts = [f"{len(hosts)} {words['on']} {version}" for version, hosts in versions(states)]
    parts += [f"{count} {words[key]}" for key, count in (("no_version", sum(1 for s in states if s.reachable and not s.version)),
                                                         ("unreadable", sum(1 for s in states if not s.reachable))) if count]
    return f"{count} {words['hosts'][count != 1]}: " + ", ".join(parts) if parts else f"0 {words['hosts'][1]}"


class PhaseBar(t.NamedTuple):
    """One phase on the timeline: seconds from the record's start, its length in seconds, its outcome."""

    name: str
    offset: float
    length: float
    outcome: str

    @property
    def end(self) -> float:
        return self.offset + self.length


def phase_bars(record: dict[str, t.Any]) -> list[PhaseBar]:
    """The phases of a record, for the timeline; a phase without a start follows the one before it."""
    start = parse_moment(record.get("started"))
    bars: list[PhaseBar] = []
    for phase in record.get("phases") or []:
        begun = parse_moment(phase.get("started")) if phase.get("started") else None
        offset = (begun - start).total_seconds() if begun and start else (bars[-1].end if bars else 0.0)
        bars.append(PhaseBar(str(phase.get("name")), max(0.0, offset), max(0.0, float(phase.get("duration_s") or 0)), str(phase.get("outcome") or "")))
    return bars


def downtime_bar(record: dict[str, t.Any]) -> tuple[float, float] | None:
    """(offset, length) of the downtime: it ends when the (new or previous) version's start phase ends."""
    downtime = record.get("downtime_s")
    if downtime is None:
        return None
    bars = phase_bars(record)
    starts = [phase for phase in bars if phase.name in ("start", "rollback_start") and phase.outcome != "failed"] or \
        [phase for phase in bars if phase.name in ("start", "rollback_start")]
    end = starts[-1].end if starts else sum(phase.length for phase in bars)
    return max(0.0, end - float(downtime)), float(downtime)


def duration_text(seconds: float | None) -> str:
    return "-" if seconds is None else format_duration(float(seconds))
