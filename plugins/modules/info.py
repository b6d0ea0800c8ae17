# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done by the action plugin plugins/action/info.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: info
short_description: Facts about a ConAktiv server installation, without changing anything
description:
  - Reports the installed version (from the control interface, else the version file), the service state,
    the logged-in users, which preserved items exist, a staged package, free disk space beside the server
    folder, the C(_oldNNNN) folders and the last records of the update history.
  - Runs unchanged under C(--check).
  - "Round trips: about 10 module calls (stat, version, status, sessions, service state, one listing, stage marker,
    free disk, history, run journal, time zone)."
version_added: 0.1.0
author:
  - conaktiv.server developers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - conaktiv.server.common
  - conaktiv.server.common.control
  - conaktiv.server.common.service
options:
  version_file:
    description:
      - File in the server folder that holds the version, used when the control interface does not answer.
    type: str
    default: version.txt
  preserve_extra:
    description:
      - Items (relative to the server folder) checked besides the default preserve list.
    type: list
    elements: str
    default: []
  history_count:
    description:
      - How many of the newest update history records to return.
    type: int
    default: 5
  version:
    description:
      - The target version; when given, RV(up_to_date) tells whether the server already runs it
        (a build number missing on either side still matches).
    type: str
  stage_max_age_days:
    description:
      - A staging older than this many days is reported as C(stale) in RV(staged) (the next staging run replaces it). V(0) means never.
    type: float
    default: 14
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: [posix, windows]
seealso:
  - module: conaktiv.server.stage
  - module: conaktiv.server.swap
"""

EXAMPLES = r"""
- name: Read the state of the ConAktiv server
  conaktiv.server.info:
    server_path: /opt/conaktiv/ConAktiv Server
    control:
      type: http
      url: http://127.0.0.1:2049
      token: "{{ conaktiv_control_token }}"
    service:
      manager: command
      start_command: [/opt/conaktiv/service/conaktiv-service, start]
      stop_command: [/opt/conaktiv/service/conaktiv-service, stop]
      status_command: [/opt/conaktiv/service/conaktiv-service, status]
  register: conaktiv

- name: Show the installed version
  ansible.builtin.debug:
    msg: "{{ conaktiv.installed_version }} ({{ conaktiv.service_state }}), {{ conaktiv.sessions | length }} users logged in"
"""

RETURN = r"""
server_path:
  description: The server folder.
  returned: always
  type: str
server_exists:
  description: Whether the server folder exists.
  returned: always
  type: bool
installed_version:
  description: The installed version, or null when neither the control interface nor the version file tell it.
  returned: always
  type: str
  sample: 2.0.0
version_source:
  description: Where the version came from, V(control) or V(file).
  returned: always
  type: str
structure_version:
  description: The structure version of the user data, when the control interface reports it.
  returned: always
  type: str
control_state:
  description: The server's own state (V(starting), V(migrating), V(ready), V(failed)), or V(unreachable) / V(not configured).
  returned: always
  type: str
service_state:
  description: V(running), V(stopped), V(absent) (no such service) or V(unknown) (no service manager configured).
  returned: always
  type: str
sessions:
  description: Names of the logged-in users; null when they cannot be queried.
  returned: always
  type: list
  elements: str
preserved:
  description: For each item of the preserve list, whether it exists in the server folder.
  returned: always
  type: dict
  sample: {"Server Database/Preferences": true, "Server Database/cert.pem": true}
staged:
  description:
    - What is staged in the temporary folder, or null when no staged tree is there (also after a swap moved it into place) -
      C(version), C(checksum), C(staged_at) (UTC), C(age_days), C(valid) (the stage marker is readable), C(complete) (the marker and
      the manifest are there beside the tree, which a staging that was interrupted or damaged is not), C(for_target) (the version
      is O(version); null without O(version)) and C(stale) (older than O(stage_max_age_days)).
    - Whether the staged files are still what was verified is checked by M(conaktiv.server.stage) before it reuses them.
  returned: always
  type: dict
  sample: {"version": "9.1.0", "checksum": "sha256:0a1b...", "staged_at": "2026-11-30T14:02:11+00:00", "age_days": 1.3, "valid": true,
           "complete": true, "for_target": true, "stale": false}
temp_path:
  description: The temporary folder beside the server folder.
  returned: always
  type: str
old_folders:
  description: The C(_oldNNNN) folders beside the server folder, oldest first.
  returned: always
  type: list
  elements: str
free_bytes:
  description: Free bytes on the volume of the server folder's parent.
  returned: always
  type: int
history:
  description: The newest update history records, oldest first.
  returned: always
  type: list
  elements: dict
history_path:
  description: The update history file.
  returned: always
  type: str
history_warnings:
  description: Lines of the history file that could not be read.
  returned: always
  type: list
  elements: str
target_version:
  description: The O(version) asked for.
  returned: when O(version) is given
  type: str
up_to_date:
  description:
    - Whether the installed version is the target version and nothing is left to do (never while the run journal shows an
      unfinished update, nor while the server reports V(failed), V(migrating) or V(starting)).
  returned: when O(version) is given
  type: bool
run_journal:
  description:
    - Where the newest update of the run journal (C(conaktiv-update-journal.jsonl) beside the server folder) stands, see
      M(conaktiv.server.journal) with O(conaktiv.server.journal#module:state=read).
  returned: always
  type: dict
  sample: {"unfinished": false, "last_run": "20261123T220100Z-crm1-0a1b2c", "runs": ["20261123T220100Z-crm1-0a1b2c"], "version": "9.1.0",
           "phase": "mail", "phase_status": "done", "holder": null, "outcome": "updated", "warnings": []}
time_zone:
  description:
    - The host's time zone, to show the history's UTC times as the host's local time (the update window is local time too).
    - C(name) is the IANA name (from C(TZ), C(/etc/localtime) or C(/etc/timezone); on Windows the registry's zone id, which C(tzutil /g) prints,
      mapped with the CLDR table), null when the host does not tell one; C(offset) the UTC offset now (POSIX, V(+0100));
      C(label) what the host called it when that is no IANA name (a Windows id). All null when it could not be read.
  returned: always
  type: dict
  sample: {"name": "Europe/Berlin", "offset": "+0100", "label": null}
started:
  description: When the task started, in UTC (ISO 8601).
  returned: always
  type: str
  sample: "2026-11-23T22:01:15+00:00"
duration_s:
  description: Seconds the task took.
  returned: always
  type: float
  sample: 2.73
remote_calls:
  description: Number of module round trips this task made.
  returned: always
  type: int
"""
