# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter conaktiv.server.status_lines: one ConAktiv server's state as lines to read."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.conaktiv.server.plugins.plugin_utils._status import status_lines as lines_of

DOCUMENTATION = r"""
name: status_lines
short_description: One ConAktiv server's state as lines to read, in German or English
version_added: 0.1.0
author:
  - conaktiv.server developers
description:
  - Turns what M(conaktiv.server.info) returned into the lines the status playbook prints for a server - version, service,
    users, staged package, old folders, run journal, update lock, free disk, time zone - followed by its update history as a
    table (P(conaktiv.server.history_table#filter)), the times in the host's local time with the zone's name.
options:
  _input:
    description: The registered result of M(conaktiv.server.info).
    type: dict
    required: true
  language:
    description: The language of the lines; the playbooks pass C(conaktiv_update_language).
    type: str
    choices: [de, en]
    default: de
seealso:
  - module: conaktiv.server.info
  - plugin: conaktiv.server.fleet_report
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Read the state of the ConAktiv server
  conaktiv.server.info:
    server_path: /opt/conaktiv/ConAktiv Server
  register: conaktiv_status

- name: Show it
  ansible.builtin.debug:
    msg: "{{ conaktiv_status | conaktiv.server.status_lines(language='en') }}"
"""

RETURN = r"""
_value:
  description: The lines, the history table's lines at the end.
  type: list
  elements: str
"""


def status_lines(result: t.Mapping[str, t.Any], language: str = "de") -> list[str]:
    """The lines for one server."""
    if not isinstance(result, t.Mapping):
        raise AnsibleFilterError(f"status_lines: expected the result of conaktiv.server.info, got {type(result).__name__}")
    try:
        return lines_of(result, language)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"status_lines: {exc}") from exc


class FilterModule:
    """conaktiv.server status lines filter."""

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"status_lines": status_lines}
