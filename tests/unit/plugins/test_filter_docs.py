"""Every filter of the collection has documentation of its own, as ansible-doc shows it, and the history table renders."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest
import yaml

from ansible_collections.conaktiv.server.plugins.filter.history_table import history_table

BIN = pathlib.Path(sys.executable).parent


@pytest.mark.parametrize("name", ["run_record", "history_table", "update_window", "window_rrule", "fleet_report", "status_lines"])
def test_each_filter_is_documented_on_its_own(name: str):
    done = subprocess.run([str(BIN / "ansible-doc"), "-t", "filter", "--json", f"conaktiv.server.{name}"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    entry = json.loads(done.stdout)[f"conaktiv.server.{name}"]
    assert entry["doc"]["name"] == name and entry["doc"]["short_description"]
    assert yaml.safe_load(entry["examples"]), "the examples are YAML"


def test_the_history_table_has_a_line_per_record():
    record = {"run_id": "r1", "host": "crm1", "started": "2026-11-23T22:01:00+00:00", "finished": "2026-11-23T22:03:00+00:00",
              "from_version": "9.0.12", "to_version": "9.1.0", "outcome": "rolled_back", "failed_phase": "start", "error": "did not start"}
    lines = history_table([record]).splitlines()
    assert len(lines) >= 2 and "rolled_back" in lines[-1] and "9.1.0" in lines[-1]
    assert history_table([]) == "no update runs recorded"
