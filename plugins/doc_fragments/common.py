# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation shared by the conaktiv.server phase modules."""

from __future__ import annotations


class ModuleDocFragment:
    """Options every phase takes (C(server_path) and the folder names beside it)."""

    DOCUMENTATION = r"""
options:
  server_path:
    description:
      - Absolute path of the ConAktiv server folder on the host, for example V(D:\\ConAktiv\\ConAktiv Server)
        or V(/opt/conaktiv/ConAktiv Server).
      - The temporary folder, the C(_oldNNNN) folders and the update history live beside it, in its parent folder.
    type: str
    required: true
  temp_folder_name:
    description:
      - Name of the temporary folder created beside the server folder, as the vendor's updater names it.
    type: str
    default: Temp_Updateordner
  history_path:
    description:
      - Path of the update history (JSON lines, one record per run) on the host.
      - Defaults to C(conaktiv-update-history.jsonl) beside the server folder.
    type: str
"""

    CONTROL = r"""
options:
  control:
    description:
      - How to reach the server's own admin functions (status, logged-in users, broadcast message, online backup).
    type: dict
    suboptions:
      type:
        description:
          - V(http) uses the server's JSON control interface, called on the host (see the collection's
            R(docs/docsite/rst/control-interface.rst,ansible_collections.conaktiv.server.docsite.control-interface)).
          - V(command) runs the admin-supplied commands below on the host.
          - V(none) makes no queries; phases that need them wait or fail with a clear message.
        type: str
        choices: [http, command, none]
        default: none
      url:
        description: Base URL of the control interface as seen from the host, for example V(http://127.0.0.1:2049).
        type: str
      token:
        description: The control interface token, sent as C(X-ConAktiv-Token). Never shown in output.
        type: str
      timeout:
        description: Seconds one request may take.
        type: int
        default: 30
      status_command:
        description: With O(control.type=command), argv printing the status as JSON (C(version), C(structure_version), C(state)).
        type: list
        elements: str
      sessions_command:
        description: With O(control.type=command), argv printing the logged-in users as JSON (a list of names, or C({"sessions":[{"user":...}]})).
        type: list
        elements: str
      message_command:
        description: With O(control.type=command), argv broadcasting a message; C({text}) in an item is replaced by the message.
        type: list
        elements: str
      backup_command:
        description: With O(control.type=command), argv running the online backup; C({label}) is replaced; prints JSON with C(path).
        type: list
        elements: str
"""

    SERVICE = r"""
options:
  service:
    description:
      - How the server is started and stopped.
    type: dict
    suboptions:
      manager:
        description:
          - V(windows) a Windows service, V(systemd) a systemd unit, V(command) the start/stop/status commands below,
            V(none) no service (states cannot be changed).
        type: str
        choices: [windows, systemd, command, none]
        default: none
      name:
        description: Name of the Windows service or systemd unit.
        type: str
      start_command:
        description: With O(service.manager=command), argv that starts the server and exits 0 once it runs.
        type: list
        elements: str
      stop_command:
        description: With O(service.manager=command), argv that stops the server and exits 0 once it stopped.
        type: list
        elements: str
      status_command:
        description:
          - With O(service.manager=command), argv whose exit code tells the state, as LSB init scripts do
            (0 running, 1 to 3 stopped); any other exit code fails the task.
        type: list
        elements: str
"""

    JOURNAL = r"""
options:
  journal:
    description:
      - The run journal this task records itself in, the C(journal) value that M(conaktiv.server.journal) returns
        with O(conaktiv.server.journal#module:state=opened), with the phase name added.
      - The role C(conaktiv.server.conaktiv_update) passes it; leave it out when running the module by hand.
      - The phase writes C(begin) (with the lease of the update lock) before it changes anything, C(done) with its result after,
        C(failed) with the reason; a run that is interrupted is finished or rolled back by the next one from these entries.
        Nothing is written under check mode.
      - Where the order allows, the entries go with the host operation of the change itself (one round trip); see
        R(docs/docsite/rst/journal.rst,ansible_collections.conaktiv.server.docsite.journal).
    type: dict
    suboptions:
      path:
        description: The journal file on the host, C(conaktiv-update-journal.jsonl) beside the server folder.
        type: str
        required: true
      run:
        description: The id of the run that holds the update lock.
        type: str
        required: true
      phase:
        description: The phase name to record (V(stage), V(backup_pre), V(stop), V(swap), V(start), V(structure_update), V(backup_post),
          V(cleanup), V(rollback_stop), V(rollback_swap), V(rollback_restore), V(rollback_start), V(history), V(mail)); default the module's.
        type: str
      begun:
        description:
          - The task before (a phase of the same run) wrote this phase's C(begin) with its own C(done); the phase writes none.
        type: bool
        default: false
      then:
        description:
          - The phase that follows in this run; its C(begin) is written with this phase's C(done) (the lease refreshed at the
            boundary), and that task is given O(journal.begun=true).
        type: dict
        suboptions:
          phase:
            description: The phase name.
            type: str
            required: true
          lease_s:
            description: Seconds that phase may take (its lease).
            type: int
            default: 3600
"""
