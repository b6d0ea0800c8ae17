# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done by the action plugin plugins/action/journal.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: journal
short_description: The run journal of a ConAktiv update - decide what to do, hold the update lock, record how a run ended
description:
  - Every update has one durable record on the host, the run journal C(conaktiv-update-journal.jsonl) beside the server folder
    (next to the update history). Each phase writes its C(begin) before it acts and C(done) or C(failed) after (see the
    O(conaktiv.server.stage#module:journal) option of the phase modules); a run that is interrupted anywhere (controller killed,
    connection lost) is finished or rolled back by the next run from these entries.
  - O(state=opened) reads the journal and the server, proves the inputs, takes the update lock and decides what this run does,
    following the decision table of the collection's R(docs/docsite/rst/journal.rst,ansible_collections.conaktiv.server.docsite.journal) -
    RV(action) V(fresh) (a new update, RV(todo) lists its
    phases), V(resume) (an update interrupted after the stop is finished, with the versions it recorded, also outside the update
    window), V(rollback) (the rollback of a failed update is finished), V(up_to_date) (nothing, or starting a stopped server and
    removing leftovers), V(await_structure_update), V(outside_window). The task fails, changing nothing, when another run holds the
    lock, when an input is wrong (a server folder that is no ConAktiv server or a symbolic link, a control interface that belongs
    to another server, a data folder inside the server folder, a preserve item leaving the server folder, a downgrade without
    O(allow_downgrade), a server already on the target version that reports V(failed)).
  - "The lock: only the run named in the journal works on the server. It is taken by creating the next lock ticket
    C(conaktiv-update-lock.NNNNNN) beside the server folder exclusively (of two runs starting together exactly one gets it) and
    held while the run's lease lasts; every phase extends the lease by its own length. A run whose lease has expired (a controller
    that died) is taken over with a warning; O(break_lock) takes it over at once."
  - O(state=failed) records the reason of a failure that no phase recorded (a hook, a task of the role) and returns the rollback,
    computed from how far the update got (RV(todo), RV(restore_from)).
  - O(state=closed) records how the run ended, computed from the journal (RV(outcome), RV(converged)), and releases the lock.
  - O(state=read) returns where the newest update stands (also part of M(conaktiv.server.info)).
  - What the decision had to take over or leave behind (an expired lease, an interrupted update) is shown as a warning.
  - Under C(--check), O(state=opened) decides without taking the lock and nothing is written.
  - "Round trips on Linux/macOS (measured by C(bench/update.py)): opened 3 module calls (one look at the host, the control
    interface's status, the lock claim with the opened record); failed and closed 2 (the journal read, one write). On
    Windows, where each read and write is a module call of its own: opened about 11, closed about 3."
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
  state:
    description:
      - V(opened) decides and takes the lock, V(failed) records a failure and returns the rollback, V(closed) ends the run,
        V(read) only reads.
    type: str
    choices: [opened, failed, closed, read]
    default: read
  journal:
    description:
      - With O(state=failed) and O(state=closed), the run, as RV(journal) of O(state=opened) returned it.
    type: dict
    suboptions:
      path:
        description: The journal file on the host.
        type: str
        required: true
      run:
        description: The run id.
        type: str
        required: true
      phase:
        description: Ignored here (the phase modules take it).
        type: str
  version:
    description: With O(state=opened), the target version. Required with O(state=opened) unless O(purpose=rollback).
    type: str
  purpose:
    description:
      - V(update) decides as described above. V(rollback) takes the lock for putting a kept old folder back by hand (the
        C(conaktiv.server.rollback) playbook) - refused while an update is unfinished (run the update again, it finishes the update
        or its rollback); RV(todo) is then V(stop), V(rollback_swap), V(rollback_start), V(history).
      - V(stage) takes the lock for a staging run (the C(conaktiv.server.stage) playbook, any time, outside the window too) - refused
        while an update is unfinished after its stop or another run holds the lock; nothing to do when the target version is
        installed; RV(todo) is then V(stage), V(history), and the run ends with the outcome V(staged).
    type: str
    choices: [update, rollback, stage]
    default: update
  old_folder:
    description: With O(purpose=rollback), the old folder to put back (default the newest C(_oldNNNN)).
    type: str
  backup_dir:
    description:
      - O(state=opened) with O(purpose=update). The folder the backups go to. On Windows hosts its access control list, which every
        backup made in it inherits, is read (of the nearest existing folder when it is not made yet); a warning names the
        accounts of every user (Everyone, Authenticated Users, Users) that may read the files made in it. Empty skips the check.
    type: str
    default: ""
  group:
    description:
      - POSIX hosts, O(state=opened). The group (the administrators) that may read the run journal besides its owner (mode
        C(0640)); empty keeps it to its owner (C(0600)). Set when the run takes the update lock. Windows hosts ignore it (the file
        inherits its folder's access control list).
    type: str
    default: ""
  version_file:
    description: File in the server folder holding the installed version, compared with what the control interface reports.
    type: str
    default: version.txt
  marker:
    description: Items the server folder must contain to be taken for a ConAktiv server.
    type: list
    elements: str
    default: ["Server Database"]
  data_path:
    description: The user data folder; must lie outside the server folder. Needed for a data restore on rollback.
    type: str
    default: ""
  backup_method:
    description: The backup method of the update (an archive backup is taken after the stop, an online one before it; V(none) takes none).
    type: str
    choices: [server, command, archive, none]
    default: server
  mail:
    description: Whether the update mails the administrator (the mail is then one of the phases in RV(todo)).
    type: bool
    default: false
  restore_data:
    description: Whether a rollback after the new version started restores the data from the pre-update backup.
    type: bool
    default: true
  allow_downgrade:
    description: Allow a target version older than the installed one.
    type: bool
    default: false
  break_lock:
    description: Take the lock over from a run whose lease has not expired yet (use only when that run is known to be dead).
    type: bool
    default: false
  window:
    description: Whether the update window is open now, as the C(conaktiv.server.update_window) filter returns it.
    type: dict
    suboptions:
      inside:
        description: The window is open.
        type: bool
        default: true
      reason:
        description: Why it is open or closed, for messages.
        type: str
        default: ""
      opens_at:
        description: When the window opens (for messages; not used to decide).
        type: str
      closes_at:
        description: When the window closes (for messages; not used to decide).
        type: str
  keep_old:
    description: How many C(_oldNNNN) folders are kept after an update (more of them count as leftovers to clean up).
    type: int
    default: 0
  preserve:
    description: Items carried over from the old server folder (empty means the vendor's list); checked to stay inside the server folder.
    type: list
    elements: str
  preserve_extra:
    description: Items carried over in addition; checked like O(preserve).
    type: list
    elements: str
    default: []
  structure_log:
    description: The server's log file that tells when the structure update finished (needed when the control interface is V(none)).
    type: str
    default: ""
  error:
    description: With O(state=failed), the reason of the failure.
    type: str
    default: ""
  log_tail:
    description: With O(state=failed), the server's last log lines (of a failed structure update), recorded for the failure report.
    type: list
    elements: str
    default: []
  language:
    description: With O(state=closed), the language of RV(report).
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
    support: full
    details: O(state=opened) decides without taking the lock; nothing is written.
  diff_mode:
    support: none
  platform:
    platforms: [posix, windows]
seealso:
  - module: conaktiv.server.info
  - module: conaktiv.server.swap
  - module: conaktiv.server.history
"""

EXAMPLES = r"""
- name: Decide what to do and take the update lock
  conaktiv.server.journal:
    state: opened
    server_path: /opt/conaktiv/ConAktiv Server
    version: "9.1.0"
    data_path: /opt/conaktiv/ConAktiv Data
    control:
      type: http
      url: http://127.0.0.1:2049
      token: "{{ vault_conaktiv_token }}"
    service:
      manager: systemd
      name: conaktiv-server
  register: conaktiv_plan

- name: Stop the server as a phase of this run
  conaktiv.server.service:
    state: stopped
    service:
      manager: systemd
      name: conaktiv-server
    journal: "{{ conaktiv_plan.journal | combine({'phase': 'stop'}) }}"
  when: "'stop' in conaktiv_plan.todo"

- name: Release the lock and get the outcome
  conaktiv.server.journal:
    state: closed
    server_path: /opt/conaktiv/ConAktiv Server
    journal: "{{ conaktiv_plan.journal }}"
  when: conaktiv_plan.journal is not none

- name: Where does the newest update stand
  conaktiv.server.journal:
    server_path: /opt/conaktiv/ConAktiv Server
  register: conaktiv_journal
"""

RETURN = r"""
action:
  description: With O(state=opened), what this run does (V(fresh), V(resume), V(rollback), V(up_to_date), V(await_structure_update),
    V(outside_window), V(manual_rollback)); with O(state=failed), V(rollback).
  returned: state is opened or failed
  type: str
  sample: resume
todo:
  description: The phases this run carries out, in order (forward, rollback and report phases).
  returned: state is opened or failed
  type: list
  elements: str
  sample: ["swap", "start", "structure_update", "backup_post", "cleanup", "mail", "history"]
reason:
  description: Why, in one sentence.
  returned: state is opened
  type: str
version:
  description: The version this run updates to (on a resumed update, the one the interrupted run recorded).
  returned: state is opened
  type: str
from_version:
  description: The version before the update (on a resumed update, as the interrupted run found it).
  returned: state is opened or closed
  type: str
resumes:
  description: The interrupted run this run continues, or null.
  returned: state is opened
  type: str
abandons:
  description: An update interrupted before the stop that this run leaves (it is recorded as interrupted), or null.
  returned: state is opened
  type: str
lock:
  description: Whether this run needs the update lock (it took it unless under check mode).
  returned: state is opened
  type: bool
restore_from:
  description: The pre-update backup a rollback restores the data from, when there is one.
  returned: state is opened or failed
  type: str
journal:
  description: The run's handle for the O(conaktiv.server.stage#module:journal) option of the phases; null when no lock was taken.
  returned: state is opened
  type: dict
  sample: {"path": "/opt/conaktiv/conaktiv-update-journal.jsonl", "run": "20261123T220100Z-crm1-0a1b2c"}
run_id:
  description: The id of this run (with O(state=opened) when it took the lock).
  returned: when a lock was taken, and with state closed
  type: str
generation:
  description: The lock generation this run holds.
  returned: when a lock was taken
  type: int
journal_path:
  description: The journal file.
  returned: state is opened or read
  type: str
installed_version:
  description: The installed version (from the control interface, else the version file).
  returned: state is opened
  type: str
version_source:
  description: V(control) or V(file).
  returned: state is opened
  type: str
structure_version:
  description: The structure version of the user data, when the control interface reports it.
  returned: state is opened
  type: str
control_state:
  description: The server's own state, or V(unreachable) / V(not configured).
  returned: state is opened
  type: str
service_state:
  description: V(running), V(stopped), V(absent) or V(unknown).
  returned: state is opened
  type: str
server_exists:
  description: Whether the server folder exists.
  returned: state is opened
  type: bool
leftovers:
  description: Whether old or temporary folders are left to clean up.
  returned: state is opened
  type: bool
temp_entries:
  description: What the temporary folder holds.
  returned: state is opened
  type: list
  elements: str
old_folder:
  description: With O(purpose=rollback), the old folder that is put back.
  returned: purpose is rollback
  type: str
history:
  description: The newest records of the update history (for the admin mail), when the lock was taken.
  returned: state is opened
  type: list
  elements: dict
rollback:
  description: With O(state=failed), the rollback steps the journal asks for.
  returned: state is failed
  type: list
  elements: str
failed_phase:
  description: The phase that failed, or null.
  returned: state is failed or closed
  type: str
error:
  description: Why the update failed (and the rollback, when that failed too), or null.
  returned: state is failed or closed
  type: str
outcome:
  description: V(updated), V(up_to_date), V(failed) (nothing was stopped, or the rollback did not bring the server back), V(rolled_back)
    (the previous version runs again), V(interrupted), or V(staged) (a staging run made the new version ready for the update); with
    O(state=read), that of the newest closed update.
  returned: state is closed or read
  type: str
converged:
  description: Whether the server runs again (new or previous version); false means the next run finishes the rollback.
  returned: state is closed
  type: bool
downtime_s:
  description: Seconds from the stop to the next successful start, from the journal.
  returned: state is closed
  type: float
runs:
  description: The runs that worked on this update, oldest first.
  returned: state is closed or read
  type: list
  elements: str
to_version:
  description: The version the update was for.
  returned: state is closed
  type: str
running_version:
  description: The version that runs now (the new one, or the previous one after a rollback); null when that is not known.
  returned: state is closed
  type: str
answers:
  description: Whether that version answered after its start.
  returned: state is closed
  type: bool
restored_from:
  description: The backup the data was restored from by the rollback, or null.
  returned: state is closed
  type: str
data_touched:
  description: Whether the new version was started (and so may have changed the data).
  returned: state is closed
  type: bool
backups:
  description: The backups of the update (label, path, sha256, size).
  returned: state is closed
  type: list
  elements: dict
kept:
  description: Folders left beside the server on purpose (previous versions kept, a failed version kept).
  returned: state is closed
  type: list
  elements: str
mail:
  description: The mail to the administrators (sent, to, error, message_id), or null when none is configured.
  returned: state is closed
  type: dict
log_tail:
  description: The server's last log lines recorded with the failure.
  returned: state is closed
  type: list
  elements: str
report:
  description:
    - The failure block, one line per element, in O(language) - what failed and why, the log lines, what runs now, the data,
      the folders, the next step; empty when the update did not fail.
  returned: state is closed
  type: list
  elements: str
unfinished:
  description: With O(state=read), whether the newest update is unfinished.
  returned: state is read
  type: bool
last_run:
  description: With O(state=read), the newest run.
  returned: state is read
  type: str
phase:
  description: With O(state=read), the newest phase of the newest update.
  returned: state is read
  type: str
phase_status:
  description: With O(state=read), V(begun), V(done) or V(failed).
  returned: state is read
  type: str
holder:
  description: With O(state=read), the run that holds the lock (C(run), C(controller), C(pid), C(user), C(lease_until)), or null.
  returned: state is read
  type: dict
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
