# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter conaktiv.server.history_table: update history records as a plain-text table."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.conaktiv.server.plugins.plugin_utils._history import from_dict, summary_table

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
    description: The history records (see the collection's docs/history.md).
    type: list
    elements: dict
    required: true
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
"""

RETURN = r"""
_value:
  description: The table, a header line and one line per record; V(no update runs recorded) without records.
  type: str
"""


def history_table(records: list[dict[str, t.Any]]) -> str:
    """The records as an aligned plain-text table."""
    try:
        return summary_table([from_dict(record) for record in records or []])
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"history_table: {exc}") from exc


class FilterModule:
    """conaktiv.server history table filter."""

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"history_table": history_table}
