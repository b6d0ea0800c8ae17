"""The fleet report of playbooks/status.yml: after a real rolling update of two servers (one updated, one rolled back), the
status playbook over those two and one unreachable server prints one table in the hosts' local time, writes HTML, CSV and
JSON, hands the state to AWX (set_stats), fails the job for the unreachable server, and the HTML page renders in Chromium
without a console error and shows every host."""

from __future__ import annotations

import csv
import io
import json
import re
import socket

import pytest
import yaml

import browser
from playbook import REPO, run_playbook
from roleargs import role_vars, write_inventory

# The servers' zone: the modules of a local connection inherit the controller's environment, so TZ is what `date` there sees.
BERLIN = {"TZ": "Europe/Berlin"}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(name="fleet")
def fixture_fleet(tmp_path, sim_site_factory, sim_package):
    """Two servers after a rolling update to 2.0.0 (crm1 updated, crm2 rolled back) and the inventory with an unreachable crm3."""
    package = sim_package("2.0.0")
    sites = [sim_site_factory(f"site{number}", faults={"migration_seconds": 1}) for number in (1, 2)]
    sites[1].set_faults({"migration_seconds": 1, "fail_start": {"versions": ["2.0.0"]}})
    for site in sites:
        site.start()
    hosts = {f"crm{number}": role_vars(site, package, conaktiv_update_backup={"method": "none"}) for number, site in enumerate(sites, start=1)}
    update = run_playbook(REPO / "playbooks" / "update.yml", tmp_path / "update.jsonl", inventory=write_inventory(tmp_path / "update.yml", hosts),
                          extra_args=["-e", "conaktiv_update_serial=1"], env_extra=BERLIN)
    assert update.rc != 0 and [site.server_status()["version"] for site in sites] == ["2.0.0", "1.0.0"], update.output
    inventory = tmp_path / "inventory.yml"
    write_inventory(inventory, hosts)
    document = yaml.safe_load(inventory.read_text())
    # Nothing listens there: ssh is refused at once, as for a server that is switched off.
    document["conaktiv_servers"]["hosts"]["crm3"] = {
        "ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": closed_port(), "ansible_ssh_common_args": "-o ConnectTimeout=5",
        "conaktiv_update_server_path": "/srv/none"}
    inventory.write_text(yaml.safe_dump(document, sort_keys=False))
    return sites, str(inventory), [site.token for site in sites]


def test_the_status_playbook_reports_the_fleet_in_local_time_as_table_html_csv_and_json(tmp_path, fleet):
    sites, inventory, tokens = fleet
    reports = tmp_path / "reports"
    run = run_playbook(REPO / "playbooks" / "status.yml", tmp_path / "status.jsonl", inventory=inventory,
                       extra_args=["-e", f"conaktiv_status_report_dir={reports}"], env_extra=BERLIN)
    # The unreachable server fails the job, after the report.
    assert run.rc != 0
    assert "Der Zustand von crm3 ließ sich nicht lesen" in run.output
    table = run.task("Show the fleet as one table")["msg"]
    assert table[0].split() == ["Server", "Version", "Dienst", "Letztes", "Update", "Ergebnis", "Zeitpunkt", "(Ortszeit)", "Bereitgestellt"]
    rows = {line.split()[0]: line for line in table[2:5]}
    assert set(rows) == {"crm1", "crm2", "crm3"}
    # November in Berlin is CET; the history holds UTC, the report the server's local time with the zone.
    assert re.search(r"crm1\s+2\.0\.0\s+läuft\s+1\.0\.0 -> 2\.0\.0\s+aktualisiert\s+\d{4}-\d\d-\d\d \d\d:\d\d CET", rows["crm1"]), rows["crm1"]
    assert re.search(r"crm2\s+1\.0\.0\s+läuft\s+1\.0\.0 -> 2\.0\.0\s+zurückgerollt\s+\d{4}-\d\d-\d\d \d\d:\d\d CET", rows["crm2"]), rows["crm2"]
    assert re.search(r"crm3\s+-\s+-\s+-\s+nicht erreichbar", rows["crm3"]), rows["crm3"]
    assert "3 Server: 1 auf 1.0.0, 1 auf 2.0.0, 1 Zustand nicht lesbar" in table

    finished = json.loads((sites[0].root / "conaktiv-update-history.jsonl").read_text().splitlines()[-1])["finished"]
    report = json.loads((reports / "conaktiv-status.json").read_text(encoding="utf-8"))
    hosts = {entry["host"]: entry for entry in report["hosts"]}
    assert hosts["crm1"]["last_finished_utc"] == finished and hosts["crm1"]["time_zone"] == "Europe/Berlin"
    assert hosts["crm2"]["last_update"]["failed_phase"] == "start" and hosts["crm3"]["error"]
    assert report["versions"] == {"1.0.0": ["crm2"], "2.0.0": ["crm1"]} and report["unreadable"] == ["crm3"]

    text = (reports / "conaktiv-status.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert [line["host"] for line in lines] == ["crm1", "crm2", "crm3"] and lines[1]["last_outcome"] == "rolled_back"

    # AWX shows the fleet in the job's artifacts.
    stats = run.task("Give the fleet's state to AWX (artifact conaktiv_status)")
    assert stats["ansible_stats"]["data"]["conaktiv_status"]["unreadable"] == ["crm3"]

    page = reports / "conaktiv-status.html"
    rendered = browser.render(page, screenshot=tmp_path / "report.png")
    assert rendered.console == [], rendered.console
    for host in ("crm1", "crm2", "crm3"):
        assert f'<tr data-host="{host}">' in rendered.dom
    # The timeline: each updated server's phases as bars, the rolled back one with a red (failed) start.
    assert rendered.dom.count('class="host-timeline"') == 2
    # Wide bars carry their label in a nested <svg>, so crm2's timeline ends at the outer svg's "</svg></div>".
    timeline = re.search(r'class="host-timeline" data-host="crm2">(.*?)</svg></div>', rendered.dom, re.S)
    assert timeline and "#d64545" in timeline.group(1), rendered.dom
    assert not re.search(r'(src|href)="(https?:)?//', page.read_text()), "the page must not load anything"
    for token in tokens:
        assert token not in run.output and token not in page.read_text() and token not in text


def test_the_status_playbook_speaks_english_on_request(tmp_path, sim_site, sim_package):
    sim_site.start()
    inventory = write_inventory(tmp_path / "inventory.yml", {"crm1": role_vars(sim_site, sim_package("2.0.0"))})
    run = run_playbook(REPO / "playbooks" / "status.yml", tmp_path / "status.jsonl", inventory=inventory,
                       extra_args=["-e", "conaktiv_update_language=en", "-e", "conaktiv_status_report_dir="], env_extra={"TZ": "America/New_York"})
    assert run.rc == 0, run.output
    lines = run.task("Show the server's state and its update history")["msg"]
    assert "version:     1.0.0 (control interface)" in lines and "time zone:   America/New_York" in lines
    assert run.task("Show the fleet as one table")["msg"][0].split()[:3] == ["Host", "Version", "Service"]
    assert run.status("Write the fleet report as HTML, CSV and JSON") == "skipped"
    assert not (REPO / "conaktiv-status").exists()


def test_the_browser_check_sees_a_page_that_loads_something(tmp_path):
    """The console check can fail: a page that fetches an image is reported (the report forbids it with its CSP)."""
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\"></head>"
                    '<body><img src="http://192.0.2.1/logo.png"></body></html>')
    assert any("Content Security Policy" in line for line in browser.render(page).console)
