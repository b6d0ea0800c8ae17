# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done by the action plugin plugins/action/history.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: history
short_description: Append one run's record to the ConAktiv update history (the Updateverlauf) on the host
description:
  - Appends O(record) as one JSON line to the update history file beside the server folder
    (C(conaktiv-update-history.jsonl)), or to O(history_path). The file format is documented in the collection's
    R(docs/docsite/rst/history.rst,ansible_collections.conaktiv.server.docsite.history); M(conaktiv.server.info) reads it back and the
    C(conaktiv.server.status) playbook shows it as a table.
  - The record is validated first (versions, outcome, phases with start, duration and outcome, downtime, backups,
    error, failed phase). Every string listed in O(redact) is replaced by C(********) anywhere in the record, also
    URL-encoded, so passwords and tokens never reach the history.
  - Idempotent. A record that is already in the file (same line) is not appended again.
  - "Round trips: with O(journal) 2 module calls on Linux/macOS (the journal read, then the records and the journal lines in
    one write), about 4 on Windows; with O(record) 2 (the file's access, then M(ansible.builtin.lineinfile) or
    M(community.windows.win_lineinfile))."
version_added: 0.1.0
author:
  - conaktiv.server developers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - conaktiv.server.common
  - conaktiv.server.common.journal
options:
  record:
    description:
      - A record to append, as built by the C(conaktiv.server.run_record) filter.
      - Without it, O(journal) must be given, and the records are built from the run journal, one per update (an update that a
        later run finished lists every run in C(runs)), for the current update and every earlier one the journal holds that is not in
        the history yet (for example one interrupted before the stop). Each record is written by its C(run_id), so writing it again
        replaces it and a run that is resumed never leaves two records of one update.
      - One of O(record) and O(journal) is required.
    type: dict
  redact:
    description:
      - Secrets to remove from the record before it is written (passwords, tokens). Empty items are ignored.
    type: list
    elements: str
    default: []
  group:
    description:
      - POSIX hosts. The group (the administrators) that may read the history besides its owner (mode C(0640)); empty keeps it
        to its owner (C(0600)). The mode is set each time records are written. Windows hosts ignore it (the file inherits its
        folder's access control list).
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
  diff_mode:
    support: none
  platform:
    platforms: [posix, windows]
seealso:
  - module: conaktiv.server.info
  - module: conaktiv.server.notify
"""

EXAMPLES = r"""
- name: Record this run in the update history
  conaktiv.server.history:
    server_path: 'D:\ConAktiv\ConAktiv Server'
    record: "{{ conaktiv_run_record }}"
    redact:
      - "{{ conaktiv_ftp_password }}"
"""

RETURN = r"""
history_path:
  description: The history file.
  returned: always
  type: str
summary:
  description: The record (with O(journal), the current update's) as one readable line.
  returned: when a record was written or given
  type: str
  sample: "2026-11-23 22:01 updated 9.0.12 -> 9.1.0 in 84 s (downtime 31 s)"
run_id:
  description: The record's run identifier (with O(journal), the current update's).
  returned: when a record was written or given
  type: str
record:
  description: With O(journal), the record of the current update as written.
  returned: with O(journal), when a record was written
  type: dict
records:
  description: With O(journal), every record written, oldest first (earlier updates the history lacked, then the current one).
  returned: with O(journal)
  type: list
  elements: dict
run_ids:
  description: With O(journal), the run identifiers of the records written.
  returned: with O(journal)
  type: list
  elements: str
started:
  description: When the task started (UTC, ISO 8601).
  returned: always
  type: str
duration_s:
  description: How long the task took, in seconds.
  returned: always
  type: float
remote_calls:
  description: Number of module round trips this task made.
  returned: always
  type: int
"""
