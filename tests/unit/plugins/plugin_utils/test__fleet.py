# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: rows from info results (also failed and unreachable ones), table, CSV, JSON and the HTML page."""

from __future__ import annotations

import csv
import html.parser
import io
import json

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._fleet import age_text, downtime_bar, fleet_rows, phase_bars, staged_label, summary_line
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
    assert "aktualisiert" in lines[2] and lines[2].endswith("2026-11-23 22:07 CET  -")
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


STAGED = {"version": "2.1.0", "checksum": "sha256:ab", "staged_at": "2026-11-30T13:00:00+00:00", "age_days": 1.2, "valid": True, "complete": True,
          "for_target": True, "stale": False}
STAGING = {"run_id": "r2", "host": "crm1", "outcome": "staged", "from_version": "2.0.0", "to_version": "2.1.0", "started": "2026-11-30T12:59:00+00:00",
           "finished": "2026-11-30T13:00:00+00:00", "downtime_s": None, "phases": []}


AGES = [(0.01, "vor 14 Min.", "14 min ago"), (1.2, "vor 29 Std.", "29 h ago"), (2.0, "vor 2 Tagen", "2 days ago"),
        (1 / 1440 / 2, "vor 0 Min.", "0 min ago")]


@pytest.mark.parametrize("days, german, english", AGES)
def test_ages_read_as_people_say_them(days, german, english):
    assert age_text(days, "de") == german and age_text(days, "en") == english
    assert age_text(None, "de") is None


def test_a_staging_is_shown_with_its_age_and_what_is_wrong_with_it():
    assert staged_label(STAGED, "de") == "2.1.0, vor 29 Std."
    assert staged_label({**STAGED, "age_days": 20, "stale": True, "for_target": False}, "de") == "2.1.0, vor 20 Tagen, veraltet, nicht die Zielversion"
    assert staged_label({**STAGED, "complete": False, "age_days": None, "version": None}, "en") == "unknown, incomplete"
    assert staged_label(None, "de") == "-"


def test_the_fleet_shows_the_staging_beside_the_last_update_which_a_staging_run_is_not():
    results = {"crm1": {**RESULTS["crm1"], "history": [RECORD, STAGING], "staged": STAGED}}
    states = fleet_rows(results)
    assert states[0].last == RECORD, "a staging run is no update: the last update and its timeline stay the rollout"
    lines = render(states, "table", "de", "x").splitlines()
    assert lines[0].split()[-1] == "Bereitgestellt" and lines[2].endswith("2026-11-23 22:07 CET  2.1.0, vor 29 Std.")
    row = next(csv.DictReader(io.StringIO(render(states, "csv", "en", "x")[1:])))
    assert (row["staged_version"], row["staged_at_utc"], row["staged_age_days"], row["staged_stale"]) == ("2.1.0", STAGED["staged_at"], "1.2", "False")
    document = json.loads(render(states, "json", "de", "x"))
    assert document["hosts"][0]["staged"] == STAGED and document["hosts"][0]["last_outcome"] == "updated"
    page = render(states, "html", "en", "x")
    assert "<th>Staged</th>" in page and "<td>2.1.0, 29 h ago</td>" in page


def test_status_lines_show_the_staging_in_local_time():
    result = {**RESULTS["crm1"], "version_source": "control", "sessions": [], "staged": STAGED, "old_folders": [], "free_bytes": 0,
              "history_path": "/h", "run_journal": {"unfinished": False}, "history": [RECORD, STAGING]}
    assert "Bereitgestellt:   2.1.0, vor 29 Std. (2026-11-30 14:00 CET)" in status_lines(result, "de")
    assert "staged:      2.1.0, 29 h ago (2026-11-30 14:00 CET)" in status_lines(result, "en")
    assert "Bereitgestellt:   nichts" in status_lines({**result, "staged": None}, "de")
