# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter conaktiv.server.fleet_report: the state of many ConAktiv servers as one table, CSV, JSON or HTML page."""

from __future__ import annotations

import datetime
import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.conaktiv.server.plugins.plugin_utils._fleet import fleet_rows
from ansible_collections.conaktiv.server.plugins.plugin_utils._fleet_render import render

DOCUMENTATION = r"""
name: fleet_report
short_description: The state of a fleet of ConAktiv servers as a table, CSV, JSON or a self-contained HTML page
version_added: 0.1.0
author:
  - conaktiv.server developers
description:
  - Takes what M(conaktiv.server.info) returned for each host (registered results; also those of hosts that failed or were
    unreachable) and makes one report of them, with one line per host - host, installed version, service state, the last
    update and its outcome, and when it ended, in the host's local time with the zone's name
    (RV(conaktiv.server.info#module:time_zone)), and what is staged (RV(conaktiv.server.info#module:staged)) with its age and
    whether it is incomplete, stale or not the target version. A staging run is no update; the last update is the newest
    history record of another outcome.
  - V(table) is plain text for the job output (a summary line and the errors of unreadable hosts below it); V(csv) has one
    line per host with machine-readable columns (V(;) as separator in German, V(,) in English, UTF-8 with a byte order mark);
    V(json) holds the same plus each host's last history record and its staging; V(html) is one page that loads nothing from elsewhere
    (inline styles and SVG, a Content-Security-Policy that forbids every fetch) with the table, the versions of the fleet
    and a timeline of each host's last update (its phases and the downtime as bars).
  - The playbook C(conaktiv.server.status) (C(ansible-playbook conaktiv.server.status)) prints the table and writes the other
    three to the controller.
options:
  _input:
    description:
      - Inventory host name to the registered result of M(conaktiv.server.info) for it, in the order to show them. A host
        whose result failed, is unreachable or is null is shown with its error.
    type: dict
    required: true
  format:
    description: What to make.
    type: str
    choices: [table, csv, json, html]
    default: table
  language:
    description: The language of the report; the playbooks pass C(conaktiv_update_language).
    type: str
    choices: [de, en]
    default: de
  generated:
    description: When the report was made (ISO 8601), shown in the HTML page and the JSON; now (UTC) when not given.
    type: str
seealso:
  - module: conaktiv.server.info
  - plugin: conaktiv.server.history_table
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Read the state of every ConAktiv server
  conaktiv.server.info:
    server_path: 'D:\ConAktiv\ConAktiv Server'
  register: conaktiv_status
  ignore_unreachable: true
  ignore_errors: true

- name: Show the fleet as one table
  ansible.builtin.debug:
    msg: "{{ (dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'conaktiv_status')))
             | conaktiv.server.fleet_report).splitlines() }}"
  run_once: true

- name: Write the HTML report on the controller
  ansible.builtin.copy:
    content: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'conaktiv_status')))
                 | conaktiv.server.fleet_report(format='html', language='en') }}"
    dest: /srv/reports/conaktiv.html
    mode: "0644"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
_value:
  description: The report as text in the chosen format.
  type: str
"""


def fleet_report(results: t.Mapping[str, t.Any], format: str = "table", language: str = "de",  # pylint: disable=redefined-builtin
                 generated: str | None = None) -> str:
    """The report of ``results`` (host -> info result) in ``format``."""
    moment = generated or datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    try:
        return render(fleet_rows(results), format, language, moment)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"fleet_report: {exc}") from exc


class FilterModule:
    """conaktiv.server fleet report filter."""

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"fleet_report": fleet_report}
