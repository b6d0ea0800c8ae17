# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done by the action plugin plugins/action/structure_update.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: structure_update
short_description: Wait until the ConAktiv server finished the structure update of its user data
description:
  - After a new version starts for the first time, the ConAktiv server runs the structure update of the user data
    (the vendor's updater step 8). This task waits until it finished and the server runs O(version), and fails
    cleanly when it fails, hangs or the server goes away. It does not start the update itself; the server does.
  - It looks at the server every O(poll_interval) seconds (more often at first). With a control interface (O(control))
    the server must report the state C(ready) and the version O(version); the state C(failed), or C(ready) with another
    version, fails the task. With O(log_file) the newest line of the server's log that matches one of O(start_pattern),
    O(success_pattern) or O(failure_pattern) decides; a new failure line fails the task at once, a success line is
    enough when there is no control interface. With both, a success line in the log still needs the control interface
    to report C(ready).
  - A failure line that is already in the log at the first look may be left from an earlier attempt. With a control
    interface its answer decides; without one the task waits up to O(unreachable_grace) seconds for a newer start line
    (a new attempt) and fails with that old failure otherwise.
  - Fails when the update does not finish within O(timeout) seconds, when the control interface gives no answer
    for more than O(unreachable_grace) seconds (the server crashed or was stopped) - at once when O(service) is given and its
    manager reports the server stopped (a crash during the structure update) - and when a pattern is not a valid
    regular expression. On failure the result holds the
    last lines of O(log_file) (RV(log_tail)).
  - Never changes anything, so it always reports C(ok) on success.
  - "Server up or down: the server must have been started (M(conaktiv.server.service)); a short restart during the
    update is tolerated for O(unreachable_grace) seconds."
  - "Round trips: 1 or 2 module calls per look (log file, status), about one look every O(poll_interval) seconds."
version_added: 0.1.0
author:
  - conaktiv.server developers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - conaktiv.server.common.control
  - conaktiv.server.common.service
  - conaktiv.server.common.journal
options:
  version:
    description:
      - The version the server must run when the structure update is done, for example V(9.1.0). In the patterns,
        C({version}) stands for it.
    type: str
    required: true
  timeout:
    description:
      - Seconds the structure update may take in total. Large data sets may need hours.
    type: int
    default: 3600
  poll_interval:
    description:
      - Longest pause in seconds between two looks at the server; the first looks come sooner (0.5 s, doubling).
    type: int
    default: 5
  unreachable_grace:
    description:
      - Seconds the control interface may stay silent before the task fails.
      - Without a control interface, also the time a failure line found in the log at the first look is given before it
        counts, in case a new attempt starts.
    type: int
    default: 30
  log_file:
    description:
      - The server's structure update log on the host, for example V(D:\\ConAktiv\\Daten\\Logs\\structure-update.log).
      - Needed when O(control) is not set; with it the task can report the log and detect a failure early.
    type: str
  success_pattern:
    description:
      - Regular expression for the log line that reports the finished update; C({version}) is replaced by O(version).
    type: str
    default: "structure update .* -> {version} finished"
  failure_pattern:
    description:
      - Regular expression for the log line that reports a failed or aborted update; C({version}) is replaced by
        O(version).
    type: str
    default: "structure update .* -> {version} (failed|aborted)"
  start_pattern:
    description:
      - Regular expression for the log line that reports the start of an update attempt; C({version}) is replaced by
        O(version). A start line newer than a failure line means a new attempt is running.
    type: str
    default: "structure update .* -> {version} started"
  log_lines:
    description:
      - How many of the last lines of O(log_file) to return in RV(log_tail).
    type: int
    default: 20
  language:
    description:
      - The language of the progress lines shown while the structure update runs (when it starts, every 5 minutes, when
        it ends).
    type: str
    choices: [de, en]
    default: de
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: partial
    details:
      - Looks once and reports what it sees (RV(outcome), RV(state)); it neither waits nor fails because of the outcome.
  diff_mode:
    support: none
  platform:
    platforms: [posix, windows]
seealso:
  - module: conaktiv.server.service
  - module: conaktiv.server.backup
  - module: conaktiv.server.info
notes:
  - Needs O(control) (type V(http) or V(command)) or O(log_file); with neither the task fails at once.
  - Progress is shown on the controller with C(-v).
"""

EXAMPLES = r"""
- name: Wait up to two hours for the structure update to 9.1.0 (Windows)
  conaktiv.server.structure_update:
    version: 9.1.0
    timeout: 7200
    control:
      type: http
      url: http://127.0.0.1:2049
      token: "{{ vault_conaktiv_control_token }}"
    log_file: 'D:\ConAktiv\Daten\Logs\structure-update.log'
  register: structure

- name: Wait by the log file only (POSIX, no control interface)
  conaktiv.server.structure_update:
    version: "{{ conaktiv_target_version }}"
    log_file: /srv/conaktiv/data/Logs/structure-update.log
    success_pattern: "Strukturupdate .* auf {version} beendet"
    failure_pattern: "Strukturupdate .* auf {version} (fehlgeschlagen|abgebrochen)"
    start_pattern: "Strukturupdate .* auf {version} gestartet"

- name: Show how long it took
  ansible.builtin.debug:
    msg: "Structure {{ structure.structure_version }} ready after {{ structure.duration_s }} s"
"""

RETURN = r"""
outcome:
  description: What the last look found, V(finished), V(failed), V(running) or V(unreachable).
  returned: always, also on failure
  type: str
  sample: finished
state:
  description: The server's state (V(starting), V(migrating), V(ready), V(failed)), or V(unreachable).
  returned: always, also on failure
  type: str
  sample: ready
server_version:
  description: The version the control interface reports.
  returned: when the control interface answered
  type: str
  sample: 9.1.0
structure_version:
  description: The structure version of the user data, as the control interface reports it.
  returned: when the control interface answered
  type: str
  sample: "9.1"
error:
  description: Why the update failed (the matching log line or the server's error).
  returned: when the outcome is V(failed)
  type: str
  sample: 2026-11-23 22:04:11 structure update 9.0 -> 9.1.0 failed
log_tail:
  description: The last O(log_lines) lines of O(log_file).
  returned: when O(log_file) is set and exists
  type: list
  elements: str
msg:
  description: What was found.
  returned: always
  type: str
  sample: version 9.1.0 is ready
started:
  description: When the task started, in UTC (ISO 8601).
  returned: always
  type: str
  sample: "2026-11-23T22:01:15+00:00"
duration_s:
  description: Seconds the task took, that is, mostly the wait for the structure update.
  returned: always
  type: float
  sample: 184.5
remote_calls:
  description: Number of module round trips this task made.
  returned: always
  type: int
  sample: 12
"""
