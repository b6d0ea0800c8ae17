# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one block an administrator reads when an update did not succeed: what failed and why, what runs now, what
happened to the data, where the folders are, and what to do next - in German or English."""

from __future__ import annotations

import typing as t

from ._i18n import check_language

#: The marker a mail subject or a headline starts with, by outcome (none for a success).
MARKERS = {"de": {"failed": "FEHLGESCHLAGEN", "rolled_back": "ZURÜCKGEROLLT", "interrupted": "UNTERBROCHEN"},
           "en": {"failed": "FAILED", "rolled_back": "ROLLED BACK", "interrupted": "INTERRUPTED"}}

_WORDS = {
    "de": {
        "headline": "ConAktiv-Update auf {to} {marker} (Phase {phase})",
        "reason": "Grund: {error}",
        "log": "Protokoll des Servers (letzte Zeilen):",
        "runs": "Jetzt läuft: Version {version}, {answers}",
        "answers": "antwortet",
        "silent": "antwortet NICHT",
        "unknown": "Jetzt läuft: unbekannt - der Server muss von Hand geprüft werden",
        "restored": "Daten: aus der Sicherung {backup} wiederhergestellt",
        "untouched": "Daten: nicht angetastet (die neue Version hat sie nicht verändert)",
        "not_restored": "Daten: NICHT wiederhergestellt - prüfen, ob die neue Version sie schon umgebaut hat",
        "kept": "Ordner: {folders}",
        "next_rolled_back": "Nächster Schritt: die Ursache beheben (siehe Grund und Protokoll), dann das Update erneut starten.",
        "next_failed": ("Nächster Schritt: das Update erneut starten - es beendet den Rollback aus dem Run-Journal; hilft das nicht, "
                        "den Server von Hand prüfen."),
    },
    "en": {
        "headline": "ConAktiv update to {to} {marker} (phase {phase})",
        "reason": "Reason: {error}",
        "log": "Server log (last lines):",
        "runs": "Running now: version {version}, {answers}",
        "answers": "answering",
        "silent": "NOT answering",
        "unknown": "Running now: unknown - check the server by hand",
        "restored": "Data: restored from the backup {backup}",
        "untouched": "Data: untouched (the new version did not change it)",
        "not_restored": "Data: NOT restored - check whether the new version already converted it",
        "kept": "Folders: {folders}",
        "next_rolled_back": "Next step: fix the cause (see reason and log), then run the update again.",
        "next_failed": "Next step: run the update again - it finishes the rollback from the run journal; if that does not help, check the server by hand.",
    },
}


def failure_report(result: dict[str, t.Any], language: str) -> list[str]:
    """The lines of the failure block for the closed run ``result`` (empty for an outcome that is no failure)."""
    words = _WORDS[check_language(language)]
    outcome = str(result.get("outcome") or "")
    marker = MARKERS[language].get(outcome)
    if not marker:
        return []
    lines = [words["headline"].format(to=result.get("to_version") or "?", marker=marker, phase=result.get("failed_phase") or "?"),
             "  " + words["reason"].format(error=result.get("error") or "?")]
    tail = [str(line) for line in result.get("log_tail") or []]
    if tail:
        lines.append("  " + words["log"])
        lines += [f"    {line}" for line in tail[-20:]]
    if result.get("running_version"):
        lines.append("  " + words["runs"].format(version=result["running_version"], answers=words["answers" if result.get("answers") else "silent"]))
    else:
        lines.append("  " + words["unknown"])
    if result.get("restored_from"):
        lines.append("  " + words["restored"].format(backup=result["restored_from"]))
    elif result.get("data_touched"):
        lines.append("  " + words["not_restored"])
    else:
        lines.append("  " + words["untouched"])
    if result.get("kept"):
        lines.append("  " + words["kept"].format(folders=", ".join(result["kept"])))
    lines.append("  " + words["next_rolled_back" if outcome == "rolled_back" else "next_failed"])
    return lines
