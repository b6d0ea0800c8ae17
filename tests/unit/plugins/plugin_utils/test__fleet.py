# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: rows from info results (also failed and unreachable ones), table, CSV, JSON and the HTML page."""

from __future__ import annotations

import csv
import html.parser
import io
import json

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._fleet import downtime_bar, fleet_rows, phase_bars, summary_line
from ansible_collections.conaktiv.server.plugins.plugin_utils._fleet_render import CSV_COLUMNS, render
from ansible_collections.conaktiv.server.plugins.plugin_utils._status import status_lines

PHASES = [{"name": "stage", "started": "2026-11-23T21:05:00+00:00", "duration_s": 30, "outcome": "changed"},
          {"name": "stop", "started": "2026-11-23T21:05:30+00:00", "duration_s": 20, "outcome": "changed"},
          {"name": "swap", "started": "2026-11-23T21:05:50+00:00", "duration_s": 2, "outcome": "changed"},
          {"name": "start", "started": "2026-11-23T21:05:52+00:00", "duration_s": 8, "outcome": "changed"}]
RECORD = {"run_id": "r1", "host": "crm1", "outcome": "updated", "from_version": "1.0.0", "to_version": "2.0.0", "started": "2026-11-23T21:05:00+00:00",
          "finished": "2026-11-23T21:07:10+00:00", "downtime_s": 12.5, "phases": PHASES}
RESULTS = {
    "crm1": {"installed_version": "2.0.0", "service_state": "running", "control_state": "ready", "history": [RECORD],
             "run_journal": {"unfinished": False}, "time_zone": {"name": "Europe/Berlin", "offset": "+0100"}},
    "crm2": {"unreachable": True, "msg": "Failed to connect to the host via ssh: Connection refused", "changed": False},
    "crm3": {"installed_version": "1.0.0", "service_state": "stopped", "history": [], "run_journal": {"unfinished": True, "version": "2.0.0"},
             "time_zone": {"name": None, "offset": "-0500"}},
    "crm4": {"failed": True, "msg": "server_path /x does not exist"},
}


def test_rows_keep_inventory_order_and_say_why_a_host_could_not_be_read():
    states = fleet_rows(RESULTS)
    assert [state.host for state in states] == ["crm1", "crm2", "crm3", "crm4"]
    assert states[1].unreachable and "Connection refused" in states[1].error
    assert not states[3].unreachable and states[3].error == "server_path /x does not exist"
    assert summary_line(states, "de") == "4 Server: 1 auf 1.0.0, 1 auf 2.0.0, 2 Zustand nicht lesbar"
    assert summary_line(states, "en") == "4 hosts: 1 on 1.0.0, 1 on 2.0.0, 2 state not readable"
    with pytest.raises(TypeError):
        fleet_rows([RESULTS["crm1"]])


def test_the_table_shows_local_time_with_the_zone_and_the_unfinished_update():
    lines = render(fleet_rows(RESULTS), "table", "de", "2026-12-01T11:00:00+00:00").splitlines()
    assert lines[0].split()[:3] == ["Server", "Version", "Dienst"]
    assert "aktualisiert" in lines[2] and lines[2].endswith("2026-11-23 22:07 CET")
    assert "nicht erreichbar" in lines[3] and "UNVOLLENDET (2.0.0)" in lines[4] and "Zustand nicht lesbar" in lines[5]
    assert lines[-2] == "crm2: nicht erreichbar: Failed to connect to the host via ssh: Connection refused"
    english = render(fleet_rows(RESULTS), "table", "en", "x").splitlines()
    assert "updated" in english[2] and "unreachable" in english[3] and "UNFINISHED (2.0.0)" in english[4]


def test_csv_is_what_spreadsheets_expect_in_each_language():
    german = render(fleet_rows(RESULTS), "csv", "de", "x")
    assert german.startswith("\ufeff") and "\r\n" in german
    rows = list(csv.DictReader(io.StringIO(german[1:]), delimiter=";"))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["last_finished_local"] == "2026-11-23 22:07 CET" and rows[0]["downtime_s"] == "12.5"
    assert rows[1]["error"].startswith("Failed to connect") and rows[2]["unfinished"] == "True"
    english = list(csv.DictReader(io.StringIO(render(fleet_rows(RESULTS), "csv", "en", "x")[1:])))
    assert english[0]["host"] == "crm1"


def test_json_holds_the_last_record_and_stable_keys():
    document = json.loads(render(fleet_rows(RESULTS), "json", "de", "2026-12-01T11:00:00+00:00"))
    assert document["versions"] == {"1.0.0": ["crm3"], "2.0.0": ["crm1"]} and document["unreadable"] == ["crm2", "crm4"]
    assert document["hosts"][0]["last_update"]["phases"] == PHASES and document["generated"] == "2026-12-01T11:00:00+00:00"


class _Collector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_the_html_page_is_self_contained_and_escapes_what_the_hosts_say():
    hostile = {**RESULTS, "<b>crm5</b>": {"failed": True, "msg": "<script>alert(1)</script>"}}
    page = render(fleet_rows(hostile), "html", "de", "2026-12-01T11:00:00+00:00")
    collector = _Collector()
    collector.feed(page)
    tags = [tag for tag, _attrs in collector.tags]
    assert "script" not in tags and "link" not in tags and "img" not in tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;crm5&lt;/b&gt;" in page
    csp = [attrs for tag, attrs in collector.tags if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in str(csp[0]["content"])
    rows = [attrs["data-host"] for tag, attrs in collector.tags if tag == "tr" and "data-host" in attrs]
    assert rows == ["crm1", "crm2", "crm3", "crm4", "<b>crm5</b>"]
    assert page.count('class="host-timeline"') == 1 and "Ausfallzeit 12 s" in page


def test_the_timeline_places_phases_and_the_downtime():
    assert [tuple(phase) for phase in phase_bars(RECORD)] == [("stage", 0.0, 30.0, "changed"), ("stop", 30.0, 20.0, "changed"),
                                                              ("swap", 50.0, 2.0, "changed"), ("start", 52.0, 8.0, "changed")]
    # The downtime ends with the start phase.
    assert downtime_bar(RECORD) == (47.5, 12.5)
    assert downtime_bar({**RECORD, "downtime_s": None}) is None


def test_an_unknown_format_or_language_is_refused():
    with pytest.raises(ValueError, match="format must be one of table, csv, json, html"):
        render(fleet_rows(RESULTS), "pdf", "de", "x")
    with pytest.raises(ValueError, match="language must be one of de, en"):
        render(fleet_rows(RESULTS), "table", "fr", "x")


def test_status_lines_in_german_with_local_times():
    result = {**RESULTS["crm1"], "version_source": "control", "sessions": ["anna"], "staged": None, "old_folders": [], "free_bytes": 5 * 1024 ** 3,
              "history_path": "/srv/conaktiv-update-history.jsonl",
              "run_journal": {"unfinished": False, "last_run": "r1", "outcome": "rolled_back", "holder": None}}
    lines = status_lines(result, "de")
    assert lines[:3] == ["Version:          2.0.0 (Steuerschnittstelle)", "Dienst:           läuft; Server meldet: ready", "Benutzer:         anna"]
    assert "Laufjournal:      letztes Update r1: zurückgerollt" in lines and "Update-Sperre:    frei" in lines
    assert "Freier Speicher:  5.0 GiB" in lines and "Zeitzone:         Europe/Berlin" in lines
    assert lines[-3].split()[:2] == ["Beginn", "Ergebnis"] and lines[-1].startswith("2026-11-23 22:05 CET  aktualisiert  1.0.0  2.0.0")
    english = status_lines(result, "en")
    assert english[0] == "version:     2.0.0 (control interface)" and english[-1].startswith("2026-11-23 22:05 CET  updated")
