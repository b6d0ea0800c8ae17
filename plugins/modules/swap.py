# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done by the action plugin plugins/action/swap.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: swap
short_description: Put the staged ConAktiv version in place of the old one, roll it back, or clean up
description:
  - O(state=swapped) does the vendor's updater step 6. The server folder, for example C(ConAktiv Server), is renamed
    to the next free C(_oldNNNN) name (C(ConAktiv Server_old0001), one above the highest existing number), and the tree
    that M(conaktiv.server.stage) unpacked in C(Temp_Updateordner) is moved into its place by renaming, so the downtime
    does not grow with the size of the version. Then the preserved items are B(copied) from the old folder into the
    new one, replacing what the package brought, namely C(Server Database/Preferences) (backup settings and every
    non-default server setting), C(Server Database/cert.pem), C(Server Database/key.pem) and
    C(Server Database/Resources/Hunspell), each where present, plus O(preserve_extra). The old folder stays complete
    for a rollback.
  - Before anything moves, it checks that something is staged (with a stage marker, and of O(version) when given),
    that the server is stopped (service not running, control interface not answering) and that the temporary folder and
    the server folder are on the same volume.
  - Each step is written to the run journal (C(conaktiv-update-journal.jsonl) beside the server folder, see
    M(conaktiv.server.journal)) before it happens, with the C(_oldNNNN) name, so a swap interrupted anywhere (controller
    killed, connection lost) is finished by running the task again (RV(resumed)). Run by hand (without O(journal)),
    the steps are recorded under a run id of their own. A re-run after a completed swap reports C(ok).
  - With O(journal), the swap first checks that the journal still names its run as the holder of the update lock.
  - O(state=rolled_back) puts the previous version back. The current server folder is renamed to
    C(<name>_failedNNNN) (or deleted with O(failed_folder=remove)) and the old folder (from the journal, O(old_folder),
    or the newest C(_oldNNNN)) is renamed back to the server folder's name. The server must be stopped. Changes made to
    the preferences while the new version ran are not carried back. A re-run after a completed rollback reports C(ok).
  - O(state=cleaned) deletes the C(_oldNNNN) folders except the newest O(keep_old) and the whole temporary folder
    (anything staged there), as the vendor's updater does at the end of step 6. It refuses while the journal shows an
    interrupted swap or rollback or another unfinished update, and when the server folder does not exist. C(_failedNNNN) folders
    are never deleted. It does not need the server to be stopped.
  - "Downtime: O(state=swapped) and O(state=rolled_back) fail while the server runs; run them after
    M(conaktiv.server.service) stopped the server and before it starts it again."
  - "Round trips: prepared 1 module call on Linux/macOS (4 on Windows); swapped with its plan 1 on both (the cutover);
    rolled_back about 6; cleaned 2 on Linux/macOS (one look, one write), about 6 on Windows."
version_added: 0.1.0
author:
  - conaktiv.server developers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - conaktiv.server.common
  - conaktiv.server.common.control
  - conaktiv.server.common.service
  - conaktiv.server.common.journal
options:
  state:
    description:
      - V(swapped) moves the staged version into place; V(rolled_back) puts the previous version back; V(cleaned) removes
        old folders and the temporary folder.
      - V(prepared) reads and decides everything the cutover needs while the server still runs (the C(_oldNNNN) name,
        whether an interrupted swap is resumed, the items, the journal lines) and returns it as RV(plan); it changes nothing.
        Give that plan to O(state=swapped) after the stop, and the downtime is one round trip.
    type: str
    choices: [prepared, swapped, rolled_back, cleaned]
    default: swapped
  plan:
    description:
      - With O(state=swapped), the RV(plan) that O(state=prepared) returned. The cutover then reads nothing, and one remote call
        (one C(sh) command on POSIX, one C(win_powershell) snippet on Windows) makes sure the server process is gone (O(pid_file)),
        writes the journal's swap begin, renames the server folder to C(_oldNNNN), renames the staged tree in, carries the
        preserved items over, writes the swap done and, with O(start), the start begin, starts the server and writes the start done.
      - Without it, O(state=swapped) reads and decides first (more round trips while the server is down), as it must when run by hand.
    type: dict
  start:
    description:
      - With O(state=prepared) (and so the cutover), start the server as the cutover's last step, with the start command,
        C(systemctl start) or the Windows service's start request of O(service), and wait until the service manager confirms it
        (the command returned success; on Windows the service reports C(Running)), then write the journal's start done.
      - The start phase is then done; M(conaktiv.server.structure_update) waits for the server to answer and for its structure
        update (a server that dies meanwhile fails that task). A failing start fails this task, recorded in the journal as the
        start's failure.
    type: bool
    default: false
  pid_file:
    description:
      - A file that exists while the server process runs (POSIX); the cutover waits up to O(stop_timeout) seconds for it to go before
        it renames anything.
    type: str
  stop_timeout:
    description: Seconds the cutover waits for O(pid_file) to go.
    type: int
    default: 300
  start_timeout:
    description: With O(start), the seconds the service manager may take to confirm the start (the lease of the update lock covers it).
    type: int
    default: 300
  version:
    description:
      - With O(state=swapped), the version that must be staged; the task fails when the stage marker names another one.
        Without it, whatever is staged is swapped in.
    type: str
  preserve:
    description:
      - With O(state=swapped), replaces the default list of items carried over from the old folder (paths relative to
        the server folder, forward or back slashes). Items that do not exist in the old folder are skipped.
      - The default list is C(Server Database/Preferences), C(Server Database/cert.pem), C(Server Database/key.pem) and
        C(Server Database/Resources/Hunspell).
    type: list
    elements: str
  preserve_extra:
    description:
      - With O(state=swapped), items carried over in addition to the default list (or O(preserve)), for example
        V(Server Database/Templates). Absolute paths and C(..) are refused.
    type: list
    elements: str
    default: []
  keep_old:
    description:
      - With O(state=cleaned), how many of the newest C(_oldNNNN) folders to keep. V(0) removes them all, as the vendor's
        updater does.
    type: int
    default: 0
  failed_folder:
    description:
      - With O(state=rolled_back), what happens to the server folder being replaced. V(keep) renames it to
        C(<name>_failedNNNN) for later analysis; V(remove) deletes it.
    type: str
    choices: [keep, remove]
    default: keep
  old_folder:
    description:
      - With O(state=rolled_back), the name (not path) of the folder beside the server folder to restore, for example
        V(ConAktiv Server_old0003). Without it the folder of the last swap (from the journal) is used, else the newest
        C(_oldNNNN).
      - Given explicitly, the rollback is done even when the journal says the last rollback is complete.
    type: str
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
      - All checks are made except the same-volume check of O(state=swapped); nothing is renamed, copied, deleted or
        written to the journal.
  diff_mode:
    support: full
    details:
      - The diff is a summary of the folders beside the server folder before and after (renames, carried-over items,
        removed folders), not of file contents.
  platform:
    platforms: [posix, windows]
seealso:
  - module: conaktiv.server.stage
  - module: conaktiv.server.service
  - module: conaktiv.server.info
notes:
  - The preserved items are copied, not moved, so the C(_oldNNNN) folder stays usable for a rollback; it needs room for
    one more copy of them.
  - Once O(state=cleaned) removed the temporary folder, the journal is gone too; a later O(state=swapped) without a new
    staging fails with "nothing is staged".
"""

EXAMPLES = r"""
- name: Swap in the staged version 9.1.0 (Windows, service already stopped)
  conaktiv.server.swap:
    server_path: 'D:\ConAktiv\ConAktiv Server'
    version: 9.1.0
    service:
      manager: windows
      name: ConAktivServer
    control:
      type: http
      url: http://127.0.0.1:2049
      token: "{{ vault_conaktiv_control_token }}"
  register: swapped

- name: Also carry over the site's own templates and a licence file
  conaktiv.server.swap:
    server_path: 'D:\ConAktiv\ConAktiv Server'
    version: "{{ conaktiv_target_version }}"
    preserve_extra:
      - Server Database/Templates
      - Server Database/license.dat
    service:
      manager: windows
      name: ConAktivServer

- name: Update and roll back when the new version does not come up (POSIX)
  block:
    - name: Swap
      conaktiv.server.swap:
        server_path: /opt/conaktiv/ConAktiv Server
        service:
          manager: systemd
          name: conaktiv-server
    - name: Start
      conaktiv.server.service:
        state: started
        service:
          manager: systemd
          name: conaktiv-server
        client_port: 2048
  rescue:
    - name: Stop whatever runs
      conaktiv.server.service:
        state: stopped
        wait_for_logoff: false
        service:
          manager: systemd
          name: conaktiv-server
    - name: Put the previous version back and keep the failed one for analysis
      conaktiv.server.swap:
        server_path: /opt/conaktiv/ConAktiv Server
        state: rolled_back
        failed_folder: keep
        service:
          manager: systemd
          name: conaktiv-server
    - name: Start the previous version
      conaktiv.server.service:
        state: started
        service:
          manager: systemd
          name: conaktiv-server

- name: Roll back to a particular old folder
  conaktiv.server.swap:
    server_path: 'D:\ConAktiv\ConAktiv Server'
    state: rolled_back
    old_folder: ConAktiv Server_old0003
    failed_folder: remove
    service:
      manager: windows
      name: ConAktivServer

- name: Once the new version is healthy, remove old folders (keep the newest one) and Temp_Updateordner
  conaktiv.server.swap:
    server_path: 'D:\ConAktiv\ConAktiv Server'
    state: cleaned
    keep_old: 1
"""

RETURN = r"""
plan:
  description: With O(state=prepared), the cutover plan for O(plan); null when the staged version is already in place.
  returned: state is prepared
  type: dict
server_started:
  description: Whether the cutover started the server (O(start)) and the service manager confirmed the start.
  returned: when the cutover ran
  type: bool
steps:
  description: The steps the cutover completed, in order (V(stopped), V(begin), V(renamed_old), V(renamed_new), V(carried), V(done),
    V(start_begin), V(started), V(start_done)); on failure the last one is the step before the one that failed.
  returned: when the cutover ran
  type: list
  elements: str
server_path:
  description: The server folder.
  returned: always
  type: str
  sample: 'D:\ConAktiv\ConAktiv Server'
old_path:
  description: The folder that holds the previous version after the swap.
  returned: O(state=swapped)
  type: str
  sample: 'D:\ConAktiv\ConAktiv Server_old0001'
version:
  description: The version swapped in (from the stage marker, else O(version)).
  returned: O(state=swapped) when it changed something (or would in check mode)
  type: str
  sample: 9.1.0
resumed:
  description: Whether an interrupted swap was finished.
  returned: O(state=swapped) when it changed something (or would in check mode)
  type: bool
  sample: false
carried_over:
  description: The preserved items copied from the old folder into the new one.
  returned: O(state=swapped) when it changed something, not in check mode
  type: list
  elements: str
  sample: ["Server Database/Preferences", "Server Database/cert.pem", "Server Database/key.pem"]
not_present:
  description: The preserved items the old folder did not have (nothing to carry over).
  returned: O(state=swapped) when it changed something, not in check mode
  type: list
  elements: str
  sample: ["Server Database/Resources/Hunspell"]
restored_from:
  description: The old folder the previous version was restored from.
  returned: O(state=rolled_back) when it changed something (or would in check mode)
  type: str
  sample: 'D:\ConAktiv\ConAktiv Server_old0001'
failed_path:
  description: Where the replaced version was kept (O(failed_folder=keep)).
  returned: O(state=rolled_back) when a server folder was replaced and kept, not in check mode
  type: str
  sample: 'D:\ConAktiv\ConAktiv Server_failed0001'
removed:
  description: The folders deleted (or that would be deleted in check mode).
  returned: O(state=cleaned)
  type: list
  elements: str
  sample: ['D:\ConAktiv\ConAktiv Server_old0001', 'D:\ConAktiv\Temp_Updateordner']
msg:
  description: What was done.
  returned: always
  type: str
  sample: 'version 9.1.0 is in place; the old version is in D:\ConAktiv\ConAktiv Server_old0001'
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
  sample: 14
"""
