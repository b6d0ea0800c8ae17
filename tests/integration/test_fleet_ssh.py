"""The update playbook over real ssh to test hosts in their own network namespaces (serial rollout)."""

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


def test_rolling_update_of_two_ssh_hosts(tmp_path, test_hosts, sim_package):
    from conaktiv_sim.testing import Site  # pylint: disable=import-outside-toplevel

    package = sim_package("2.0.0")
    inventory_hosts, sites = {}, []
    for name in ("crm-a", "crm-b"):
        host = test_hosts.add(name)
        site = Site.install(host.base / "site", version="1.0.0", faults={"migration_seconds": 1})
        sites.append((host, site))
        started = host.run(str(site.wrapper), "start")  # inside the host: its server listens on the host's own loopback
        assert started.returncode == 0, started.stderr
        inventory_hosts[name] = {**host.inventory_vars(test_hosts.key, test_hosts.control_dir, sys.executable),
                                 **role_vars(site, package, conaktiv_update_backup={"method": "none"})}
        del inventory_hosts[name]["ansible_connection"]  # role_vars is for local runs; these hosts are reached over ssh
        inventory_hosts[name]["ansible_connection"] = "ssh"
    try:
        inventory = write_inventory(tmp_path / "inventory.yml", inventory_hosts)
        run = run_playbook(REPO / "playbooks" / "update.yml", tmp_path / "fleet.jsonl", inventory=inventory,
                           extra_args=["-e", "conaktiv_update_serial=1"])
        assert run.rc == 0, run.output[-5000:]
        for host, site in sites:
            assert (site.server_dir / "version.txt").read_text().strip() == "2.0.0"
            (record,) = [json.loads(line) for line in (site.root / "conaktiv-update-history.jsonl").read_text().splitlines()]
            assert record["outcome"] == "updated" and record["host"] == host.name
            status = host.run(str(site.wrapper), "status")
            assert status.returncode == 0, status.stdout + status.stderr
            # The server runs inside the host's namespace: not reachable on this machine's loopback.
            assert site.server_status() is None
        # serial 1: crm-a finished (history written) before crm-b was stopped.
        first = json.loads((sites[0][1].root / "conaktiv-update-history.jsonl").read_text())
        second = json.loads((sites[1][1].root / "conaktiv-update-history.jsonl").read_text())
        assert first["finished"] <= second["phases"][0]["started"]
    finally:
        for _host, site in sites:
            site.cleanup()
