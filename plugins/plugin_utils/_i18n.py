# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What users and administrators read, in German (the default) or English: phrases with their plurals.

Users and admins of ConAktiv read German; ``language`` ``en`` is on request. Every text an action shows to a person goes
through :func:`text`; the durations and "in N minutes" phrases carry their own plurals.
"""

from __future__ import annotations

import math
import typing as t

LANGUAGES = ("de", "en")

# The users' stop message (the role's default; {in_minutes} is the phrase below, {minutes} the bare number).
DEFAULT_STOP_MESSAGE = {
    "de": "Der ConAktiv-Server wird {in_minutes} für das Update auf Version {version} beendet. "
          "Bitte speichern Sie Ihre Arbeit und melden Sie sich ab.",
    "en": "The ConAktiv server will be stopped {in_minutes} for the update to version {version}. Please save your work and log off.",
}

# The outcome of an update, its phases and a phase's result, as the mail, the reports and the history table name them.
OUTCOME_LABELS = {
    "de": {"updated": "aktualisiert", "up_to_date": "bereits aktuell", "skipped": "übersprungen", "failed": "fehlgeschlagen",
           "rolled_back": "zurückgerollt", "interrupted": "unterbrochen", "staged": "bereitgestellt"},
    "en": {"updated": "updated", "up_to_date": "up to date", "skipped": "skipped", "failed": "failed", "rolled_back": "rolled back",
           "interrupted": "interrupted", "staged": "staged"},
}
PHASE_LABELS = {
    "de": {"stage": "Bereitstellen", "backup_pre": "Sicherung vorher", "stop": "Stopp", "swap": "Austausch", "start": "Start",
           "structure_update": "Strukturaktualisierung", "backup_post": "Sicherung nachher", "cleanup": "Aufräumen",
           "rollback_stop": "Rollback: Stopp", "rollback_swap": "Rollback: Austausch", "rollback_restore": "Rollback: Daten zurück",
           "rollback_start": "Rollback: Start"},
    "en": {"stage": "stage", "backup_pre": "backup before", "stop": "stop", "swap": "swap", "start": "start",
           "structure_update": "structure update", "backup_post": "backup after", "cleanup": "cleanup", "rollback_stop": "rollback: stop",
           "rollback_swap": "rollback: swap", "rollback_restore": "rollback: restore", "rollback_start": "rollback: start"},
}

RESULT_LABELS = {"de": {"ok": "ok", "changed": "geändert", "skipped": "übersprungen", "failed": "fehlgeschlagen"},
                 "en": {"ok": "ok", "changed": "changed", "skipped": "skipped", "failed": "failed"}}

_TEXTS: dict[str, dict[str, str]] = {
    "drain_start": {"de": "{host}: Warte, bis sich {users} abgemeldet {have} (höchstens {limit}).",
                    "en": "{host}: waiting for {users} to log off (at most {limit})."},
    "drain_unknown": {"de": "{host}: Wer angemeldet ist, lässt sich nicht abfragen: Warte die volle Zeit ({limit}).",
                      "en": "{host}: who is logged in cannot be read: waiting the whole time ({limit})."},
    "drain_reminder": {"de": "{host}: Erinnerung gesendet; noch angemeldet: {users}; noch {left}.",
                       "en": "{host}: reminder sent; still logged in: {users}; {left} left."},
    "drain_done": {"de": "{host}: Alle Benutzer haben sich nach {waited} abgemeldet.", "en": "{host}: every user logged off after {waited}."},
    "drain_timeout": {"de": "{host}: Wartezeit ({limit}) abgelaufen; der Server wird trotzdem beendet, noch angemeldet: {users}.",
                      "en": "{host}: the wait ({limit}) is over; the server is stopped anyway, still logged in: {users}."},
    "stop_kill": {"de": "{host}: Der Server hat sich nach {seconds} Sekunden nicht beendet ({problem}); er wird jetzt zwangsweise beendet.",
                  "en": "{host}: the server did not stop within {seconds} s ({problem}); it is now ended by force."},
    "migration_start": {"de": "{host}: Warte auf die Strukturaktualisierung auf Version {version} (höchstens {limit}).",
                        "en": "{host}: waiting for the structure update to version {version} (at most {limit})."},
    "migration_progress": {"de": "{host}: Strukturaktualisierung läuft seit {waited} ({state}).",
                           "en": "{host}: the structure update has been running for {waited} ({state})."},
    "migration_done": {"de": "{host}: Strukturaktualisierung nach {waited} abgeschlossen: Version {version} ist bereit.",
                       "en": "{host}: structure update done after {waited}: version {version} is ready."},
    "stage_reused": {"de": "{host}: Version {version}, bereitgestellt am {when}, wird verwendet ({files} Dateien geprüft); kein Download.",
                     "en": "{host}: version {version}, staged on {when}, is reused ({files} files verified); no download."},
    "stage_again": {"de": "{host}: Die bereitgestellte Version {version} ist nicht verwendbar ({why}); sie wird neu bereitgestellt.",
                    "en": "{host}: the staged version {version} cannot be used ({why}); it is staged again."},
}


def check_language(language: str) -> str:
    """``language`` when it is one we speak; ValueError naming them otherwise."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return language


def text(key: str, language: str, **values: t.Any) -> str:
    """The text ``key`` in ``language`` with ``values`` filled in."""
    return _TEXTS[key][check_language(language)].format(**values)


def minutes_until(seconds: float) -> int:
    """Whole minutes until something ``seconds`` from now happens, rounded up: 30 s is within the first minute, 90 s the second."""
    return max(0, math.ceil(max(0.0, seconds) / 60))


def in_minutes(seconds: float, language: str) -> str:
    """"in 5 Minuten" / "in einer Minute" / "in wenigen Sekunden" (de); "in 5 minutes" / "in 1 minute" / "in a few seconds" (en)."""
    minutes = math.ceil(max(0.0, seconds) / 60) if seconds >= 45 else 0
    if check_language(language) == "de":
        return "in wenigen Sekunden" if minutes == 0 else "in einer Minute" if minutes == 1 else f"in {minutes} Minuten"
    return "in a few seconds" if minutes == 0 else "in 1 minute" if minutes == 1 else f"in {minutes} minutes"


def duration(seconds: float, language: str) -> str:
    """A duration spelled out: "2 Minuten 5 Sekunden", "1 Stunde", "45 Sekunden" (de); "2 minutes 5 seconds" (en)."""
    whole = int(round(max(0.0, seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    names = {"de": (("Stunde", "Stunden"), ("Minute", "Minuten"), ("Sekunde", "Sekunden")),
             "en": (("hour", "hours"), ("minute", "minutes"), ("second", "seconds"))}[check_language(language)]
    parts = [f"{count} {names[index][count != 1]}" for index, count in enumerate((hours, minutes, secs)) if count]
    if hours:
        parts = parts[:2]  # hours and minutes are enough
    return " ".join(parts) if parts else f"0 {names[2][1]}"


def people(names: list[str], language: str) -> str:
    """"anna, ben und 3 weitere" / "1 Benutzer (anna)": who is meant, at most five names."""
    shown = ", ".join(names[:5])
    more = len(names) - 5
    if check_language(language) == "de":
        return f"{len(names)} Benutzer ({shown}{f' und {more} weitere' if more > 0 else ''})"
    return f"{len(names)} user{'s' if len(names) != 1 else ''} ({shown}{f' and {more} more' if more > 0 else ''})"
