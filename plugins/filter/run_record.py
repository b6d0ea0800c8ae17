# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter conaktiv.server.run_record: an Updateverlauf record from task results (history_table.py shows records as a table)."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.conaktiv.server.plugins.plugin_utils._history import from_dict, to_dict

DOCUMENTATION = r"""
name: run_record
short_description: Build one update history record from the registered results of the phases
version_added: 0.1.0
author:
  - conaktiv.server developers
description:
  - Takes a mapping of phase name to the registered result of that phase's task (missing or skipped phases are left out)
    and returns the record that M(conaktiv.server.history) appends and M(conaktiv.server.notify) mails.
  - The downtime is the time between the stop (C(stopped_at) of the stop result) and the next successful start.
options:
  _input:
    description: Phase name to registered result, in the order the phases ran.
    type: dict
    required: true
  run_id:
    description: Identifier of this run.
    type: str
    required: true
  host:
    description: The host's inventory name.
    type: str
    required: true
  started:
    description: When the run started (ISO 8601).
    type: str
    required: true
  from_version:
    description: The version before the run.
    type: str
  to_version:
    description: The target version.
    type: str
  outcome:
    description: V(updated), V(up_to_date), V(skipped), V(failed) or V(rolled_back).
    type: str
    required: true
  error:
    description: The error that ended the run, if any.
    type: str
  failed_phase:
    description: The phase that failed, if any.
    type: str
"""

EXAMPLES = r"""
- name: Build the history record
  ansible.builtin.set_fact:
    record: "{{ {'stage': staged, 'swap': swapped} | conaktiv.server.run_record(run_id='r1', host=inventory_hostname,
                started=run_started, from_version='1.0', to_version='2.0', outcome='updated') }}"
"""

RETURN = r"""
_value:
  description: The history record (see the collection's R(docs/docsite/rst/history.rst,ansible_collections.conaktiv.server.docsite.history)).
  type: dict
"""


def _outcome(result: dict[str, t.Any]) -> str:
    if result.get("failed"):
        return "failed"
    if result.get("skipped"):
        return "skipped"
    return "changed" if result.get("changed") else "ok"


def _detail(result: dict[str, t.Any]) -> str:
    return str(result.get("msg") or "")[:500]


def _downtime(phases: dict[str, t.Any]) -> float | None:
    stopped = next((r.get("stopped_at") for name, r in phases.items() if "stop" in name and isinstance(r, dict) and r.get("stopped_at")), None)
    if stopped is None:
        return None
    started = [r.get("started_at") for name, r in phases.items() if "start" in name and isinstance(r, dict) and r.get("started_at")]
    return round(max(started) - stopped, 1) if started else None


def run_record(phases: dict[str, t.Any], run_id: str, host: str, started: str, outcome: str, from_version: str | None = None,
               to_version: str | None = None, error: str | None = None, failed_phase: str | None = None,
               finished: str | None = None) -> dict[str, t.Any]:
    """The history record of one run."""
    if not isinstance(phases, dict):
        raise AnsibleFilterError("run_record: the input must map phase names to registered results")
    entries = []
    backups = []
    for name, result in phases.items():
        if not isinstance(result, dict) or not result or (result.get("skipped") and not result.get("started")):
            continue
        entries.append({"name": name, "started": str(result.get("started") or started),
                        "duration_s": float(result.get("duration_s") or 0.0), "outcome": _outcome(result), "detail": _detail(result)})
        if name.startswith("backup") and result.get("path") and not result.get("failed"):
            backups.append({"label": result.get("label"), "path": result["path"], "sha256": result.get("sha256"), "size": result.get("size")})
    record = {"run_id": run_id, "host": host, "started": started, "finished": finished, "from_version": from_version or None,
              "to_version": to_version or None, "outcome": outcome, "phases": entries, "downtime_s": _downtime(phases),
              "backups": backups, "error": error or None, "failed_phase": failed_phase or None}
    try:
        return to_dict(from_dict(record))
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"run_record: {exc}") from exc


class FilterModule:
    """conaktiv.server history filters."""

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"run_record": run_record}
