"""A fleet: the update playbook with serial and max_fail_percentage over several servers."""

from __future__ import annotations

import json

from playbook import REPO, run_playbook
from roleargs import role_vars, write_inventory


def history(site) -> list[dict]:
    path = site.root / "conaktiv-update-history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_rolling_update_stops_at_the_first_failed_server(tmp_path, sim_site_factory, sim_package):
    package = sim_package("2.0.0")
    sites = [sim_site_factory(f"site{number}", faults={"migration_seconds": 1}) for number in (1, 2, 3)]
    sites[1].set_faults({"migration_seconds": 1, "fail_start": {"versions": ["2.0.0"]}})
    for site in sites:
        site.start()
    hosts = {f"crm{number}": role_vars(site, package, conaktiv_update_backup={"method": "none"})
             for number, site in enumerate(sites, start=1)}
    inventory = write_inventory(tmp_path / "inventory.yml", hosts)
    run = run_playbook(REPO / "playbooks" / "update.yml", tmp_path / "fleet.jsonl", inventory=inventory,
                       extra_args=["-e", "conaktiv_update_serial=1", "-e", "conaktiv_update_max_fail_percentage=0"])
    assert run.rc != 0
    versions = [site.server_status()["version"] for site in sites]
    assert versions == ["2.0.0", "1.0.0", "1.0.0"], versions
    assert history(sites[0])[0]["outcome"] == "updated"
    assert history(sites[1])[0]["outcome"] == "rolled_back" and history(sites[1])[0]["failed_phase"] == "start"
    assert history(sites[2]) == [], "the third server must not be touched after the second failed"
    assert not {entry["host"] for entry in run.results} & {"crm3"}
