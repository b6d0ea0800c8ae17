"""The update playbook over real ssh to test hosts in their own network namespaces: rolling updates in waves."""

from __future__ import annotations

import json
import sys

import pytest

from playbook import REPO, run_playbook
from roleargs import role_vars, write_inventory
from testhosts import FleetHosts


@pytest.fixture
def test_hosts(tmp_path):
    hosts = FleetHosts(tmp_path / "hosts")
    try:
        yield hosts
    finally:
        hosts.close()


def _fleet(tmp_path, test_hosts, package, names, faults=None):
    """Servers of 1.0.0 on ssh test hosts, each started inside its host; the inventory for them and the sites."""
    from conaktiv_sim.testing import Site  # pylint: disable=import-outside-toplevel

    inventory_hosts, sites = {}, []
    for name in names:
        host = test_hosts.add(name)
        site = Site.install(host.base / "site", version="1.0.0", faults={"migration_seconds": 1, **(faults or {}).get(name, {})})
        sites.append((host, site))
        started = host.run(str(site.wrapper), "start")  # inside the host: its server listens on the host's own loopback
        assert started.returncode == 0, started.stderr
        inventory_hosts[name] = {**host.inventory_vars(test_hosts.key, test_hosts.control_dir, sys.executable),
                                 **role_vars(site, package, conaktiv_update_backup={"method": "none"})}
        inventory_hosts[name]["ansible_connection"] = "ssh"  # role_vars is for local runs; these hosts are reached over ssh
    return write_inventory(tmp_path / "inventory.yml", inventory_hosts), sites


def _history(site):
    path = site.root / "conaktiv-update-history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_waves_update_one_canary_then_the_next_wave_together(tmp_path, test_hosts, sim_package):
    inventory, sites = _fleet(tmp_path, test_hosts, sim_package("2.0.0"), ("crm-a", "crm-b", "crm-c"))
    try:
        # A list as YAML/JSON gives it: one canary, then the rest together.
        run = run_playbook(REPO / "playbooks" / "update.yml", tmp_path / "fleet.jsonl", inventory=inventory,
                           extra_args=["-e", json.dumps({"conaktiv_update_serial": [1, "100%"]})])
        assert run.rc == 0, run.output[-5000:]
        records = []
        for host, site in sites:
            assert (site.server_dir / "version.txt").read_text().strip() == "2.0.0"
            (record,) = _history(site)
            assert record["outcome"] == "updated" and record["host"] == host.name
            records.append(record)
            status = host.run(str(site.wrapper), "status")
            assert status.returncode == 0, status.stdout + status.stderr
            # The server runs inside the host's namespace: not reachable on this machine's loopback.
            assert site.server_status() is None
        # The canary's update finished (history written) before the second wave began; that wave's two servers went together.
        canary, second, third = records
        assert canary["finished"] <= min(second["phases"][0]["started"], third["phases"][0]["started"]), records
        assert second["phases"][0]["started"] < third["finished"] and third["phases"][0]["started"] < second["finished"], records
    finally:
        for _host, site in sites:
            site.cleanup()


def test_a_failed_canary_stops_the_rollout_before_the_second_wave(tmp_path, test_hosts, sim_package):
    inventory, sites = _fleet(tmp_path, test_hosts, sim_package("2.0.0"), ("crm-a", "crm-b", "crm-c"),
                              faults={"crm-a": {"fail_start": {"versions": ["2.0.0"]}}})
    try:
        # The text form (key=value extra vars, an AWX text answer), and no max_fail_percentage: a wave whose every host
        # failed ends the rollout whatever the percentage.
        run = run_playbook(REPO / "playbooks" / "update.yml", tmp_path / "fleet.jsonl", inventory=inventory,
                           extra_args=["-e", "conaktiv_update_serial=1,100%"])
        assert run.rc == 2, run.output[-5000:]
        (canary, canary_site), *rest = sites
        (record,) = _history(canary_site)
        assert record["outcome"] == "rolled_back" and record["failed_phase"] == "start"
        assert canary_site.version_on_disk() == "1.0.0"
        assert canary.run(str(canary_site.wrapper), "status").returncode == 0, "the canary runs its old version again"
        for host, site in rest:
            # The second wave never began: no task ran on these hosts, their servers kept running untouched.
            assert host.name not in run.hosts(), run.output[-3000:]
            assert _history(site) == [] and not (site.root / "conaktiv-update-journal.jsonl").exists()
            assert site.version_on_disk() == "1.0.0"
            assert host.run(str(site.wrapper), "status").returncode == 0
    finally:
        for _host, site in sites:
            site.cleanup()


def test_a_list_that_is_no_list_of_waves_stops_before_any_host_is_touched(tmp_path, sim_site, sim_package):
    inventory = write_inventory(tmp_path / "inventory.yml", {"crm1": role_vars(sim_site, sim_package("2.0.0"))})
    run = run_playbook(REPO / "playbooks" / "update.yml", tmp_path / "bad.jsonl", inventory=inventory,
                       extra_args=["-e", json.dumps({"conaktiv_update_serial": [1, "0%", "all"]})])
    assert run.rc != 0
    assert 'conaktiv_update_serial: [1, "0%", "all"] is no list of waves' in run.output
    assert run.hosts() == [] and not (sim_site.root / "conaktiv-update-journal.jsonl").exists()
