# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done by the action plugin plugins/action/service.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: service
short_description: Announce, drain and stop the ConAktiv server, or start it and wait until it is healthy
description:
  - Stops and starts the ConAktiv server through its Windows service, a systemd unit or start/stop commands
    (O(service)), the way the vendor's updater does in its steps 5 and 7, and makes sure the stop and the start
    really happened.
  - B(Stopping) (O(state=stopped), or O(state=restarted) on a running server) first drains it. With a control
    interface (O(control)) a O(message) goes to the server console and every ConAktiv client, and is repeated every
    O(reminder_interval) seconds. With O(wait_for_logoff) the task then waits until every user logged off or
    O(max_wait) seconds passed, showing who is still logged in on the controller (with C(-v)). When
    O(max_wait) is over the server is stopped even if users are still logged in. When the logged-in users cannot be
    queried (no control interface and no O(client_port), or the query fails), the whole O(max_wait) is waited, as the
    vendor's updater does.
  - After the service manager reports the stop, the task waits up to O(stop_timeout) seconds until O(pid_file) is
    gone and O(client_port) is closed, and fails when the control interface still answers, so that the server
    folder is really free for M(conaktiv.server.swap).
  - B(Starting) (O(state=started) or O(state=restarted)) starts the service, waits up to O(start_timeout) seconds for
    O(client_port) to open and, with a control interface, until the server reports the state C(ready) or C(migrating)
    (its structure update is running; wait for it with M(conaktiv.server.structure_update)). A server that reports
    C(failed) fails the task at once.
  - Idempotent. A stopped server with O(state=stopped) and a running one with O(state=started) report C(ok); for the
    latter the health is checked once and returned in RV(healthy) without failing the task (unless the server reports
    C(failed)). O(state=restarted) always stops (if running) and starts.
  - Fails when O(service.manager=none), when the Windows service or systemd unit does not exist, when the state cannot
    be told (a O(service.status_command) exit code other than 0 to 3), when the start or stop command exits non-zero,
    and when a wait above times out. A state other than running or stopped (for example a pending Windows service) is
    stopped without draining.
  - "Downtime: begins with the stop of this task; users get the message before. While the server is down no client
    can connect."
  - "Round trips on Linux/macOS: stopped 3 module calls when nobody is logged on (the state, the sessions, the stop with its
    checks and journal lines), on Windows about 10; plus 1 or 2 per O(poll_interval) while draining and while waiting for
    the server to become healthy."
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
  state:
    description:
      - V(stopped) drains and stops the server; V(started) starts it and waits until it is healthy; V(restarted) does
        both, draining first when it runs.
    type: str
    choices: [started, stopped, restarted]
    required: true
  client_port:
    description:
      - The TCP port ConAktiv clients connect to, checked on the host's loopback (127.0.0.1).
      - When stopping, the port must be closed within O(stop_timeout); without a control interface an open connection
        on it counts as a logged-in user while draining. When starting, the port must open within O(start_timeout).
    type: int
  pid_file:
    description:
      - A file the server process keeps while it runs. After the stop, the task waits until it is gone, because the
        service manager may report C(stopped) while the process still holds its files.
    type: str
  wait_for_logoff:
    description:
      - Whether to wait for users to log off (at most O(max_wait) seconds) before stopping. V(false) announces and stops at
        once.
    type: bool
    default: true
  max_wait:
    description:
      - Longest wait in seconds for users to log off; then the server is stopped anyway. V(0) does not wait.
    type: int
    default: 900
  message:
    description:
      - The message shown on the server and on all ConAktiv clients before the stop (needs O(control)).
      - C({in_minutes}) is replaced by when the stop comes, with its plural ("in 15 Minuten", "in einer Minute", "in wenigen
        Sekunden"; in English "in 15 minutes", "in 1 minute", "in a few seconds"), C({minutes}) by the bare number of
        minutes left (rounded up), C({version}) by O(version). Any other field in braces fails the task before anything
        happens, also in check mode; write a literal brace as C({{) or C(}}).
      - Without it, the message in O(language) - German "Der ConAktiv-Server wird {in_minutes} für das Update auf Version
        {version} beendet. Bitte speichern Sie Ihre Arbeit und melden Sie sich ab."
    type: str
  language:
    description:
      - The language of the default O(message) and of the progress lines shown while users log off.
    type: str
    choices: [de, en]
    default: de
  version:
    description:
      - The version named in O(message).
    type: str
    default: (new)
  reminder_interval:
    description:
      - Seconds between repetitions of O(message) while users are still logged in.
    type: int
    default: 300
  poll_interval:
    description:
      - Seconds between two looks at the logged-in users while draining.
    type: int
    default: 5
  stop_timeout:
    description:
      - Seconds the server may take, after the service manager reported the stop, until O(pid_file) is gone and
        O(client_port) is closed.
    type: int
    default: 300
  verify_stop:
    description:
      - After the stop, make sure the process is gone with one more look - O(pid_file) gone, else O(client_port) closed, else the control
        interface silent - before the task ends.
      - V(false) leaves that to the next step, e.g. the cutover of M(conaktiv.server.swap), which waits for O(pid_file) itself (one round
        trip less while the server is down).
    type: bool
    default: true
  kill_after:
    description:
      - Seconds the server gets to stop when asked before its process is ended by force; V(0) (the default) never ends it by
        force, and a server that does not stop within O(stop_timeout) fails the task.
      - Ending by force - C(taskkill /PID <pid> /F) of the service's process on Windows, C(systemctl kill --signal=SIGKILL) of the
        unit, or C(kill -KILL) of the process in O(pid_file) with the C(command) manager (then O(pid_file) is required and removed once the
        process is gone) - loses what the server had not written yet; the update's backup before the stop is the way back.
      - Must be less than O(stop_timeout); the rest of O(stop_timeout) is left for the process to end. When even that fails the
        task fails (the update's rollback then starts the old version again).
    type: int
    default: 0
  start_timeout:
    description:
      - Seconds the server may take after the start to open O(client_port) and report C(ready) or C(migrating) on its
        control interface.
      - With the C(command) or C(windows) managers, a server that the manager reports as stopped while the task waits
        for its health fails the task at once instead of after the timeout.
    type: int
    default: 300
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details:
      - Reads the service state and predicts C(changed) and RV(state); nobody is messaged, drained, stopped or started.
      - For a server that already runs with O(state=started), its health is checked as in a real run.
  diff_mode:
    support: none
  platform:
    platforms: [posix, windows]
seealso:
  - module: conaktiv.server.swap
  - module: conaktiv.server.structure_update
  - module: conaktiv.server.info
  - module: ansible.windows.win_service
  - module: ansible.builtin.systemd_service
notes:
  - The message needs a control interface of type V(http), or V(command) with O(control.message_command); with V(none)
    users get no message and the task only waits.
  - Progress of the drain is shown on the controller with C(-v); the task itself gives no output until it is done.
"""

EXAMPLES = r"""
- name: Announce, wait up to 15 minutes for users to log off, stop the Windows service
  conaktiv.server.service:
    state: stopped
    version: 9.1.0
    service:
      manager: windows
      name: ConAktivServer
    control:
      type: http
      url: http://127.0.0.1:2049
      token: "{{ vault_conaktiv_control_token }}"
    client_port: 2048
    max_wait: 900
    reminder_interval: 300
  register: stopped

- name: Stop at once with a German message, no waiting for logoff
  conaktiv.server.service:
    state: stopped
    wait_for_logoff: false
    message: "Der ConAktiv-Server wird jetzt für das Update auf {version} beendet."
    version: "{{ conaktiv_target_version }}"
    service:
      manager: windows
      name: ConAktivServer
    control:
      type: http
      url: http://127.0.0.1:2049
      token: "{{ vault_conaktiv_control_token }}"

- name: Start the server and wait until it is ready (POSIX, service script)
  conaktiv.server.service:
    state: started
    service:
      manager: command
      start_command: [/opt/conaktiv/service/conaktiv-service, start]
      stop_command: [/opt/conaktiv/service/conaktiv-service, stop]
      status_command: [/opt/conaktiv/service/conaktiv-service, status]
    client_port: 2048
    start_timeout: 600

- name: Restart a systemd unit without a control interface, waiting for the client port to drain
  conaktiv.server.service:
    state: restarted
    service:
      manager: systemd
      name: conaktiv-server
    client_port: 2048
    pid_file: /var/lib/conaktiv/server.pid
    max_wait: 300

- name: Report who was still logged in when the server was stopped
  ansible.builtin.debug:
    msg: "Waited {{ stopped.drain.waited_s }} s; still logged in: {{ stopped.drain.remaining_users | join(', ') }}"
  when: stopped.drain is defined
"""

RETURN = r"""
state:
  description: The state of the server after the task (V(running) or V(stopped)), predicted in check mode.
  returned: success
  type: str
  sample: stopped
state_before:
  description: The state before the task, as the service manager reported it (V(running), V(stopped), or another state of the manager).
  returned: success
  type: str
  sample: running
drain:
  description: How the drain went.
  returned: when a running server was stopped
  type: dict
  contains:
    waited_s:
      description: Seconds waited for users to log off.
      type: float
      sample: 312.4
    remaining_users:
      description: Users still logged in when the server was stopped (empty when unknown).
      type: list
      elements: str
      sample: [mueller]
    messages:
      description: The messages sent to the users, in order.
      type: list
      elements: str
    timed_out:
      description: Whether O(max_wait) ran out with users still logged in (or unknown). Missing when nothing was waited for.
      type: bool
      sample: true
stopped_at:
  description: When the stop was complete, in seconds since the epoch (start of the downtime).
  returned: when a server that was not stopped was stopped
  type: float
  sample: 1795471315.27
killed:
  description: What ended the server by force because it did not stop within O(kill_after); also in RV(msg).
  returned: when the server was ended by force
  type: str
  sample: taskkill /PID 4100 /F
started_at:
  description: When the server was healthy after the start, in seconds since the epoch.
  returned: when the server was started
  type: float
  sample: 1795471346.91
healthy:
  description: Whether the client port is open and the control interface reports C(ready) or C(migrating).
  returned: when the server was started, or already ran with O(state=started)
  type: bool
  sample: true
server_status:
  description: The last status from the control interface (C(version), C(structure_version), C(state), ...); null without one.
  returned: when the server was started, or already ran with O(state=started) and its client port was open
  type: dict
  sample: {"version": "9.1.0", "structure_version": "9.1", "state": "migrating"}
msg:
  description: What was done.
  returned: always
  type: str
  sample: the server was stopped
started:
  description: When the task started, in UTC (ISO 8601).
  returned: always
  type: str
  sample: "2026-11-23T22:01:15+00:00"
duration_s:
  description: Seconds the task took.
  returned: always
  type: float
  sample: 4.21
remote_calls:
  description: Number of module round trips this task made.
  returned: always
  type: int
  sample: 9
"""
