# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One server's state as the status playbook prints it: lines in German or English, times in the host's local time."""

from __future__ import annotations

import typing as t

from ._fleet import SERVICE_LABELS, staged_label
from ._history import from_dict as record_from_dict
from ._history import summary_table
from ._i18n import OUTCOME_LABELS, check_language
from ._time_zone import from_dict as zone_from_dict
from ._time_zone import local_time

_LINES = {
    "de": {
        "version": "Version:          {version} ({source})", "service": "Dienst:           {service}; Server meldet: {control}",
        "users": "Benutzer:         {users}", "staged": "Bereitgestellt:   {staged}", "old": "Alte Ordner:      {old}",
        "journal": "Laufjournal:      {journal}", "lock": "Update-Sperre:    {lock}", "disk": "Freier Speicher:  {free} GiB",
        "zone": "Zeitzone:         {zone}", "history": "Verlauf ({path}):",
        "unfinished": "UNVOLLENDETES Update {run} auf {version}, letzte Phase {phase} ({status}); das Update erneut ausführen, um es abzuschließen",
        "last": "letztes Update {run}: {outcome}", "empty": "leer", "held": "gehalten von {run} (Controller {controller}, PID {pid}, bis {until})",
        "free": "frei", "nothing": "nichts", "none": "keine", "unknown": "unbekannt", "control": "Steuerschnittstelle", "file": "Versionsdatei",
        "utc": "UTC (nicht ermittelt)",
    },
    "en": {
        "version": "version:     {version} ({source})", "service": "service:     {service}; server reports: {control}",
        "users": "users:       {users}", "staged": "staged:      {staged}", "old": "old folders: {old}", "journal": "run journal: {journal}",
        "lock": "update lock: {lock}", "disk": "free disk:   {free} GiB", "zone": "time zone:   {zone}", "history": "history ({path}):",
        "unfinished": "UNFINISHED update {run} to {version}, last phase {phase} ({status}); run the update again to finish it",
        "last": "last update {run}: {outcome}", "empty": "empty", "held": "held by {run} (controller {controller}, pid {pid}, lease until {until})",
        "free": "free", "nothing": "nothing", "none": "none", "unknown": "unknown", "control": "control interface", "file": "version file",
        "utc": "UTC (not found out)",
    },
}


def _local(moment: t.Any, zone: t.Any) -> str:
    """A moment as the host's local time; a text that is no ISO moment as it is."""
    try:
        return local_time(str(moment), zone) or "-"
    except ValueError:
        return str(moment)


def _staged_text(staged: t.Mapping[str, t.Any], zone: t.Any, language: str, words: t.Mapping[str, str]) -> str:
    """The staged version, how old, its state, and when it was staged in the host's local time."""
    if not staged:
        return words["nothing"]
    text = staged_label(staged, language)
    return f"{text} ({_local(staged['staged_at'], zone)})" if staged.get("staged_at") else text


def status_lines(result: t.Mapping[str, t.Any], language: str = "de") -> list[str]:
    """The lines for one server from what conaktiv.server.info returned, its update history as a table at the end."""
    words = _LINES[check_language(language)]
    zone = zone_from_dict(result.get("time_zone"))
    journal = result.get("run_journal") or {}
    holder = journal.get("holder")
    sessions = result.get("sessions")
    staged = result.get("staged") or {}
    if journal.get("unfinished"):
        journal_text = words["unfinished"].format(run=journal.get("last_run"), version=journal.get("version"), phase=journal.get("phase"),
                                                  status=journal.get("phase_status"))
    elif journal.get("last_run"):
        outcome = str(journal.get("outcome") or "-")
        journal_text = words["last"].format(run=journal["last_run"], outcome=OUTCOME_LABELS[language].get(outcome, outcome))
    else:
        journal_text = words["empty"]
    lines = [
        words["version"].format(version=result.get("installed_version") or words["unknown"],
                                source=words.get(str(result.get("version_source")), "-")),
        words["service"].format(service=SERVICE_LABELS[language].get(str(result.get("service_state")), str(result.get("service_state"))),
                                control=result.get("control_state")),
        words["users"].format(users=(", ".join(sessions) or words["none"]) if sessions is not None else words["unknown"]),
        words["staged"].format(staged=_staged_text(staged, zone, language, words)),
        words["old"].format(old=", ".join(result.get("old_folders") or []) or words["none"]),
        words["journal"].format(journal=journal_text),
        words["lock"].format(lock=words["held"].format(run=holder.get("run"), controller=holder.get("controller"), pid=holder.get("pid"),
                                                       until=_local(holder.get("lease_until"), zone))
                             if holder else words["free"]),
        words["disk"].format(free=round(float(result.get("free_bytes") or 0) / 1024 ** 3, 1)),
        words["zone"].format(zone=zone.name or (f"UTC{zone.offset}" if zone.offset else None) or words["utc"]),
        words["history"].format(path=result.get("history_path")),
    ]
    records = [record_from_dict(record) for record in result.get("history") or []]
    return lines + summary_table(records, language, zone).splitlines()
