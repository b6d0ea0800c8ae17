# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter conaktiv.server.history_table: update history records as a plain-text table."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.conaktiv.server.plugins.plugin_utils._history import from_dict, summary_table
from ansible_collections.conaktiv.server.plugins.plugin_utils._time_zone import from_dict as zone_from_dict

DOCUMENTATION = r"""
name: history_table
short_description: The update history as an aligned plain-text table
version_added: 0.1.0
author:
  - conaktiv.server developers
description:
  - Turns history records - what M(conaktiv.server.info) returns as RV(conaktiv.server.info#module:history), or the lines of
    the history file parsed as JSON - into a table with one line per update, newest last.
  - Columns are C(started), C(outcome), C(from), C(to), C(duration), C(downtime) and C(problem) (the failed phase and the
    beginning of the error).
  - Records written by a newer version of the collection are read as far as they are understood; a record that is no history
    record fails with a message naming what is wrong.
options:
  _input:
    description: The history records (see the collection's R(docs/docsite/rst/history.rst,ansible_collections.conaktiv.server.docsite.history)).
    type: list
    elements: dict
    required: true
  language:
    description: The language of the header, the outcomes and V(unfinished); the playbooks pass C(conaktiv_update_language).
    type: str
    choices: [de, en]
    default: en
  time_zone:
    description:
      - The host's time zone as M(conaktiv.server.info) returns it (RV(conaktiv.server.info#module:time_zone)); the start is then
        shown as the host's local time with the zone's name (V(2026-11-23 22:01 CET)). Without it, UTC without a name.
    type: dict
seealso:
  - module: conaktiv.server.info
  - module: conaktiv.server.history
  - plugin: conaktiv.server.run_record
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Read the update history of the server
  conaktiv.server.info:
    server_path: 'D:\ConAktiv\ConAktiv Server'
  register: conaktiv

- name: Show it as a table
  ansible.builtin.debug:
    msg: "{{ (conaktiv.history | conaktiv.server.history_table).splitlines() }}"

- name: Show it in German, in the host's local time
  ansible.builtin.debug:
    msg: "{{ (conaktiv.history | conaktiv.server.history_table(language='de', time_zone=conaktiv.time_zone)).splitlines() }}"
"""

RETURN = r"""
_value:
  description: The table, a header line and one line per record; V(no update runs recorded) without records.
  type: str
"""


def history_table(records: list[dict[str, t.Any]], language: str = "en", time_zone: dict[str, t.Any] | None = None) -> str:
    """The records as an aligned plain-text table."""
    try:
        return summary_table([from_dict(record) for record in records or []], language, zone_from_dict(time_zone) if time_zone else None)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"history_table: {exc}") from exc


class FilterModule:
    """conaktiv.server history table filter."""

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"history_table": history_table}
