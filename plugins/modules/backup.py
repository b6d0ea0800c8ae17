# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done by the action plugin plugins/action/backup.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: backup
short_description: Back up a ConAktiv server before or after an update, keeping the newest backups, or restore its data
description:
  - Makes one consistent backup of the ConAktiv data and names it
    C(ConAktiv-backup-<label>-<version>-<YYYYMMDD-HHMMSS>.zip) (time of the controller), for example
    C(ConAktiv-backup-pre-9.0.12-20261123-220115.zip). The vendor's updater makes one before the stop (step 4)
    and one of the new version after the structure update (step 9); use O(label) to tell them apart.
  - O(method=server) triggers the server's own online backup through its control interface (O(control)); the server
    keeps running and users stay logged in. The file the server reports is checked (it must exist and match the
    checksum the server reports) and renamed into O(backup_dir), or beside where the server wrote it.
  - O(method=command) runs an admin-supplied O(command) on the host, for example a backup tool or script, which
    must write the backup to the file it gets as C({path}).
  - O(method=archive) zips the folder C(Server Database) of the server folder together with the data folder
    O(data_path). This is only consistent while the server is stopped, so the task fails when the service runs or the
    control interface still answers (and when neither O(service) nor O(control) is set, as it cannot tell).
  - The backup must exist and not be empty afterwards, else the task fails. Then retention runs in the backup folder;
    of the files named C(ConAktiv-backup-*.zip) (all labels and versions together) only the newest O(keep) stay.
    Other files in the folder are never touched.
  - With O(max_age), a backup with the same O(label) and O(version) that is younger than O(max_age) seconds is reused
    instead of making a new one, so a re-run after a failure does not back up twice.
  - O(state=restored) puts the data folder O(data_path) back from the zip O(path) (as O(method=archive) makes it); the
    zip is unpacked into C(<data folder>.restore) beside it and must contain a folder with the data folder's name; the
    current data folder is renamed to C(<data folder>_failedNNNN) and the restored one takes its place. Only the data
    folder is restored, not C(Server Database). The server must be stopped, as for O(method=archive). Every run
    restores again; it is not idempotent.
  - "Server up or down: O(method=server) needs the server running and fails with 'did not answer' when it is down;
    O(method=archive) and O(state=restored) need it stopped; O(method=command) depends on the command."
  - "Round trips on Linux/macOS (measured by C(bench/update.py)): 2 module calls, the server's online backup (or the
    command) and one script that checks, protects, moves and prunes, with the journal lines; on Windows about 6. The
    online backup itself may take up to an hour. A restore takes about 10."
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
      - V(present) makes a backup; V(restored) restores the data folder from the backup O(path).
    type: str
    choices: [present, restored]
    default: present
  path:
    description:
      - With O(state=restored), the backup zip on the host to restore from. Required then.
    type: str
  method:
    description:
      - V(server) the server's own online backup (needs O(control) with V(http), or O(control.backup_command)).
      - V(command) the admin's O(command) on the host (needs O(backup_dir) and O(command)).
      - V(archive) a zip of C(Server Database) and the data folder, taken while the server is stopped (needs
        O(backup_dir), O(server_path) and O(data_path)).
    type: str
    choices: [server, command, archive]
    default: server
  label:
    description:
      - Tells backups apart in the file name, for example V(pre) before and V(post) after the update.
        Letters, digits and C(_) only.
    type: str
    default: pre
  version:
    description:
      - The ConAktiv version the backed-up data belongs to; part of the file name (characters other than letters,
        digits, C(.) and C(_) become C(_)). Required with O(state=present).
    type: str
  backup_dir:
    description:
      - Folder on the host that receives the backups; created when missing. Required for O(method=command) and
        O(method=archive).
      - With O(method=server) the server's backup is moved here; without it the backup stays (renamed) in the folder
        the server wrote it to.
    type: str
  server_path:
    description:
      - The ConAktiv server folder, for example V(D:\\ConAktiv\\ConAktiv Server). Required for O(method=archive),
        whose zip includes its C(Server Database) folder.
    type: str
  data_path:
    description:
      - The folder with the ConAktiv user data (outside the server folder). Required for O(method=archive) and
        O(state=restored).
    type: str
  command:
    description:
      - With O(method=command), argv of the backup command, run on the host without a shell. In every item
        C({path}) is replaced by the full path of the backup file to write, C({label}) by O(label) and C({version}) by
        O(version).
      - A non-zero exit code fails the task with the end of the command's output.
    type: list
    elements: str
  keep:
    description:
      - How many of the C(ConAktiv-backup-*.zip) files to keep in the backup folder after a new backup; older ones are
        deleted. V(0) keeps all.
    type: int
    default: 5
  max_age:
    description:
      - Seconds during which a backup with the same O(label) and O(version) in O(backup_dir) is reused instead of
        making a new one. V(0) always makes a new backup. Needs O(backup_dir).
    type: int
    default: 0
  owner:
    description:
      - POSIX hosts. The user the backup (and a backup folder this module creates) is given to.
      - Empty gives it to the owner of O(server_path), the server's service user, where the account that runs the module may
        change a file's owner (root, e.g. with C(become)); otherwise the backup stays with that account.
      - A named owner that the account cannot give files to is an error.
      - Windows hosts ignore it; the backup inherits the access control list of its folder.
    type: str
    default: ""
  group:
    description:
      - POSIX hosts. The group (the administrators) that may read the backups as well. The backup gets mode C(0640) and a folder
        this module creates C(0750); empty keeps them to the owner (C(0600), C(0700)).
      - The backup is made private before it is moved into O(backup_dir); older backups of this collection there get the same
        mode. An existing folder keeps its mode; a warning says so when every user may list it.
      - Windows hosts ignore it.
    type: str
    default: ""
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
      - No backup is taken, restored or removed. A recent backup that would be reused is found, and for
        O(method=archive) and O(state=restored) the server is checked to be stopped (and the backup to exist), so the task
        fails in check mode where it would fail for these reasons in a real run.
  diff_mode:
    support: none
  platform:
    platforms: [posix, windows]
seealso:
  - module: conaktiv.server.service
  - module: conaktiv.server.info
  - module: conaktiv.server.structure_update
notes:
  - The time in the file name is the controller's local time.
  - With O(method=server) the file is renamed into O(backup_dir); choose a folder on the same volume as the server's
    own backup folder so this is a rename and not a copy.
  - Retention counts every C(ConAktiv-backup-*.zip) in the folder, whatever its label or version; use separate
    folders if pre- and post-update backups must be kept in different numbers.
"""

EXAMPLES = r"""
- name: Online backup through the server's control interface before the update (Windows)
  conaktiv.server.backup:
    method: server
    label: pre
    version: "{{ conaktiv.installed_version }}"
    backup_dir: 'D:\ConAktiv\Backups'
    keep: 10
    max_age: 3600
    control:
      type: http
      url: http://127.0.0.1:2049
      token: "{{ vault_conaktiv_control_token }}"
  register: pre_backup

- name: Archive backup while the Windows service is stopped
  conaktiv.server.backup:
    method: archive
    label: offline
    version: 9.0.12
    server_path: 'D:\ConAktiv\ConAktiv Server'
    data_path: 'D:\ConAktiv\Daten'
    backup_dir: 'E:\Sicherung\ConAktiv'
    service:
      manager: windows
      name: ConAktivServer

- name: Backup by the site's own tool after the update (POSIX)
  conaktiv.server.backup:
    method: command
    label: post
    version: 9.1.0
    backup_dir: /srv/backup/conaktiv
    command:
      - /usr/local/bin/conaktiv-backup
      - --output
      - "{path}"
      - --comment
      - "after update to {version}"
    keep: 3

- name: Put the data folder back from the backup taken before the update (server stopped)
  conaktiv.server.backup:
    state: restored
    path: 'E:\Sicherung\ConAktiv\ConAktiv-backup-offline-9.0.12-20261123-220115.zip'
    data_path: 'D:\ConAktiv\Daten'
    service:
      manager: windows
      name: ConAktivServer

- name: Record where the backup went
  ansible.builtin.debug:
    msg: "{{ pre_backup.path }} ({{ pre_backup.size }} bytes, sha256 {{ pre_backup.sha256 }}); removed {{ pre_backup.removed | default([]) | length }}"
"""

RETURN = r"""
path:
  description: The backup file on the host (made, reused, or restored from).
  returned: when a backup was made, reused or restored
  type: str
  sample: 'D:\ConAktiv\Backups\ConAktiv-backup-pre-9.0.12-20261123-220115.zip'
size:
  description: Size of the backup in bytes.
  returned: when a backup was made or a recent one reused
  type: int
  sample: 52428800
sha256:
  description: SHA-256 checksum of the backup file.
  returned: when a backup was made or a recent one reused
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
method:
  description: The backup method used (O(method)).
  returned: when a backup was made or a recent one reused
  type: str
  sample: server
label:
  description: The label of the backup (O(label)).
  returned: when a backup was made or a recent one reused
  type: str
  sample: pre
removed:
  description: Older backups deleted by retention (O(keep)).
  returned: when a new backup was made
  type: list
  elements: str
  sample: ['D:\ConAktiv\Backups\ConAktiv-backup-pre-9.0.11-20260901-220003.zip']
access:
  description: Owner, group and mode the new backup has on a POSIX host (C(null) on Windows, where its folder's ACL applies).
  returned: when a new backup was made
  type: dict
  sample: {"owner": "conaktiv", "group": "crm-admins", "mode": "0640"}
  contains:
    owner:
      description: The owner's name (or number when it has none on the host).
      type: str
    group:
      description: The group's name (or number).
      type: str
    mode:
      description: The permission bits, octal.
      type: str
replaced_data:
  description: Where the data folder that was replaced by the restore was kept (C(<data folder>_failedNNNN)).
  returned: O(state=restored), not in check mode
  type: str
  sample: 'D:\ConAktiv\Daten_failed0001'
msg:
  description: What was done, or that a recent backup was reused.
  returned: always
  type: str
  sample: 'backup written to D:\ConAktiv\Backups\ConAktiv-backup-pre-9.0.12-20261123-220115.zip'
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
  sample: 6
"""
