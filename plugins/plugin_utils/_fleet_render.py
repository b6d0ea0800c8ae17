# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report in its four forms: a text table for the job output, CSV, JSON, and a self-contained HTML page.

The HTML page loads nothing (inline CSS and SVG, no scripts; its Content-Security-Policy forbids every fetch), so it can be
mailed or archived as one file. CSV uses ";" in German (what German spreadsheet programs expect) and "," in English, UTF-8
with a byte order mark so that umlauts survive a double click.
"""

from __future__ import annotations

import csv
import html
import io
import json
import typing as t

from ._fleet import HEADERS, HostState, downtime_bar, duration_text, last_update, outcome_label, phase_bars, summary_line, table_cells, versions, when
from ._i18n import PHASE_LABELS, check_language
from ._time_zone import local_time

FORMATS = ("table", "csv", "json", "html")
CSV_COLUMNS = ("host", "version", "service_state", "control_state", "last_outcome", "last_from", "last_to", "last_finished_utc",
               "last_finished_local", "time_zone", "downtime_s", "unfinished", "staged_version", "staged_at_utc", "staged_age_days",
               "staged_stale", "staged_complete", "error")
_TITLE = {"de": "ConAktiv-Server: Übersicht", "en": "ConAktiv servers: overview"}
_LABELS = {
    "de": {"generated": "Erstellt", "versions": "Versionen", "hosts": "Server", "timeline": "Letztes Update je Server",
           "downtime": "Ausfallzeit", "failed": "fehlgeschlagen", "none": "Noch kein Update aufgezeichnet.", "error": "Fehler", "total": "Dauer"},
    "en": {"generated": "Generated", "versions": "Versions", "hosts": "Hosts", "timeline": "Last update per host", "downtime": "Downtime", "failed": "failed",
           "none": "No update recorded yet.", "error": "Error", "total": "Duration"},
}


def render(states: list[HostState], form: str, language: str, generated: str) -> str:
    """The report of ``states`` as ``form`` (table, csv, json, html); ``generated`` is the moment it was made (ISO, UTC)."""
    check_language(language)
    if form not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {form!r}")
    return {"table": table, "csv": csv_text, "json": json_text, "html": html_page}[form](states, language, generated)


def table(states: list[HostState], language: str, generated: str) -> str:
    """An aligned text table, a summary line below it; the errors of unreadable hosts after that."""
    del generated
    rows = [HEADERS[language]] + [table_cells(state, language) for state in states]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append(summary_line(states, language))
    lines.extend(f"{state.host}: {outcome_label(state, language)}: {state.error}" for state in states if not state.reachable)
    return "\n".join(lines)


def _record_fields(state: HostState) -> dict[str, t.Any]:
    last = state.last or {}
    staged = state.staged or {}
    return {"host": state.host, "version": state.version, "service_state": state.service_state if state.reachable else None,
            "control_state": state.control_state, "last_outcome": last.get("outcome"), "last_from": last.get("from_version"),
            "last_to": last.get("to_version"), "last_finished_utc": last.get("finished") or last.get("started"),
            "last_finished_local": when(state) if state.last else None, "time_zone": state.zone.name or state.zone.label or state.zone.offset,
            "downtime_s": last.get("downtime_s"), "unfinished": state.unfinished, "staged_version": staged.get("version"),
            "staged_at_utc": staged.get("staged_at"), "staged_age_days": staged.get("age_days"), "staged_stale": staged.get("stale"),
            "staged_complete": staged.get("complete"), "error": state.error}


def csv_text(states: list[HostState], language: str, generated: str) -> str:
    del generated
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, delimiter=";" if language == "de" else ",", lineterminator="\r\n")
    writer.writeheader()
    for state in states:
        writer.writerow({key: "" if value is None else value for key, value in _record_fields(state).items()})
    return "\ufeff" + out.getvalue()


def json_text(states: list[HostState], language: str, generated: str) -> str:
    hosts = [{**_record_fields(state), "last_update": state.last, "staged": state.staged} for state in states]
    document = {"generated": generated, "language": language, "summary": summary_line(states, language),
                "versions": dict(versions(states)),
                "unreadable": [state.host for state in states if not state.reachable], "hosts": hosts}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d2733}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#5b6673}
table{border-collapse:collapse;margin-top:8px}th,td{text-align:left;padding:4px 10px;border-bottom:1px solid #dde2e8}
th{background:#f1f4f7}td.bad{color:#a4161a;font-weight:600}td.warn{color:#8a5a00;font-weight:600}
ul.versions{margin:0;padding-left:18px}
.host-timeline{margin:12px 0}.host-timeline .name{font-weight:600}
svg text{font:11px system-ui,sans-serif}
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
"""
# One colour per phase (the rollback's phases share the shade of the phase they undo); a failed phase is red whatever it is.
_PHASE_COLOURS = {"stage": "#8fb8e8", "backup_pre": "#6c9fd6", "stop": "#4b7fc0", "swap": "#2f5f9e", "start": "#3f8f6b",
                  "structure_update": "#5aab7f", "backup_post": "#6c9fd6", "cleanup": "#a9b6c4", "rollback_stop": "#4b7fc0",
                  "rollback_swap": "#2f5f9e", "rollback_restore": "#7d5ba6", "rollback_start": "#3f8f6b"}
_FAILED_COLOUR = "#d64545"
_DOWNTIME_COLOUR = "#f0a202"


def _cell_class(state: HostState) -> str:
    if not state.reachable or (state.last and state.last.get("outcome") in ("failed", "rolled_back")):
        return "bad"
    return "warn" if state.unfinished else ""


def _timeline(state: HostState, language: str) -> str:
    """One host's last update: its phases as bars on a scale of their own, the downtime as a bar below them."""
    record = state.last or {}
    bars = phase_bars(record)
    if not bars:
        return ""
    total = max([phase.end for phase in bars] + [1e-9])
    words = _LABELS[language]
    width = 640.0
    scale = width / total
    items = []
    for name, offset, length, outcome in bars:
        x, bar_width = offset * scale, max(1.0, length * scale)
        title = f"{PHASE_LABELS[language].get(name, name)}: {duration_text(length)} ({outcome})"
        colour = _FAILED_COLOUR if outcome == "failed" else _PHASE_COLOURS.get(name, "#7a8794")
        items.append(f'<rect x="{x:.1f}" y="4" width="{bar_width:.1f}" height="18" fill="{colour}" stroke="#fff" stroke-width="0.5">'
                     f"<title>{html.escape(title)}</title></rect>")
        label = PHASE_LABELS[language].get(name, name)
        if bar_width > 40:  # the name inside the bar, cut off at its end (a nested svg clips); the tooltip has it whole
            items.append(f'<svg x="{x:.1f}" y="4" width="{bar_width:.1f}" height="18"><text x="4" y="13" fill="#fff">{html.escape(label)}</text></svg>')
    down = downtime_bar(record)
    if down:
        x, bar_width = down[0] * scale, max(1.0, down[1] * scale)
        title = f"{words['downtime']}: {duration_text(down[1])}"
        items.append(f'<rect x="{x:.1f}" y="26" width="{bar_width:.1f}" height="8" fill="{_DOWNTIME_COLOUR}"><title>{html.escape(title)}</title></rect>')
    started = local_time(record.get("started"), state.zone) or "-"
    caption = (f'<span class="name">{html.escape(state.host)}</span> {html.escape(last_update(state))}, '
               f"{html.escape(outcome_label(state, language))}, {html.escape(started)}, {words['total']} {html.escape(duration_text(total))}, "
               f"{words['downtime']} {html.escape(duration_text(record.get('downtime_s')))}")
    svg = f'<svg role="img" width="{width:.0f}" height="38" viewBox="0 0 {width:.0f} 38" aria-label="{html.escape(state.host)}">{"".join(items)}</svg>'
    return f'<div class="host-timeline" data-host="{html.escape(state.host)}"><div>{caption}</div>{svg}</div>'


def html_page(states: list[HostState], language: str, generated: str) -> str:
    words = _LABELS[language]
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in HEADERS[language])
    rows = []
    for state in states:
        cells = list(table_cells(state, language))
        klass = _cell_class(state)
        cells_html = "".join(f'<td class="{klass}">{html.escape(cell)}</td>' if index == 4 and klass else f"<td>{html.escape(cell)}</td>"
                             for index, cell in enumerate(cells))
        rows.append(f'<tr data-host="{html.escape(state.host)}">{cells_html}</tr>')
    version_items = "".join(f"<li><b>{html.escape(version)}</b>: {html.escape(', '.join(hosts))}</li>" for version, hosts in versions(states, language))
    timelines = "".join(_timeline(state, language) for state in states) or f"<p>{words['none']}</p>"
    errors = "".join(f"<li>{html.escape(state.host)}: {html.escape(outcome_label(state, language))}: {html.escape(state.error or '')}</li>"
                     for state in states if not state.reachable)
    shown = dict.fromkeys(phase.name for state in states for phase in phase_bars(state.last or {}))
    legend = "".join(f'<span><i style="background:{colour}"></i>{html.escape(label)}</span>' for label, colour in
                     [(PHASE_LABELS[language].get(name, name), _PHASE_COLOURS.get(name, "#7a8794")) for name in shown]
                     + [(words["failed"], _FAILED_COLOUR), (words["downtime"], _DOWNTIME_COLOUR)])
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{language}"><head><meta charset="utf-8">'
        # The page is one file: it may fetch nothing (no fonts, images, scripts), and a browser enforces that.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f'<meta name="viewport" content="width=device-width"><title>{html.escape(_TITLE[language])}</title><style>{_CSS}</style></head><body>'
        f"<h1>{html.escape(_TITLE[language])}</h1>"
        f'<p class="meta">{words["generated"]}: {html.escape(generated)} (UTC). {html.escape(summary_line(states, language))}</p>'
        f'<h2>{words["hosts"]}</h2><table id="hosts"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        + (f'<h2>{words["error"]}</h2><ul class="errors">{errors}</ul>' if errors else "")
        + f'<h2>{words["versions"]}</h2><ul class="versions">{version_items}</ul>'
        f'<h2>{words["timeline"]}</h2><p class="legend">{legend}</p><div id="timeline">{timelines}</div>'
        "</body></html>\n"
    )
