# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done by the action plugin plugins/action/notify.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: notify
short_description: E-mail the ConAktiv administrator the outcome of an update
description:
  - Sends the administrator for server messages a plain-text mail about the update run (the vendor's updater step
    10) with the outcome, versions, downtime, each phase with its duration, the failed phase and error if any, and a summary
    of the last runs from the update history.
  - The mail is sent from the B(controller) (or the execution environment under AWX / Automation Platform) over SMTP,
    with STARTTLS, implicit TLS (SMTPS) or plain, and with a login when O(smtp.username) is set. The controller
    needs to reach the mail server; the host does not.
  - Subject and body are templates with named fields in braces, filled from O(record), O(history) and the inventory
    host name; see O(subject). An unknown field fails the task (also in check mode).
  - A mail that cannot be sent (connection, TLS, login, refused recipients) fails the task with the SMTP server's
    reason and the update's outcome, so the error is never mistaken for a failed update. With
    O(fail_on_error=false) it is a warning instead.
  - "Round trips: none; the task makes no module call on the host, so it can also report on a host whose server is down."
version_added: 0.1.0
author:
  - conaktiv.server developers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - conaktiv.server.common.journal
options:
  smtp:
    description:
      - How to reach the mail server.
    type: dict
    required: true
    suboptions:
      host:
        description: Name or address of the SMTP server.
        type: str
        required: true
      port:
        description: Port of the SMTP server. Defaults to V(587) with O(smtp.security=starttls), V(465) with V(ssl) and V(25) with V(none).
        type: int
      security:
        description:
          - V(starttls) connects in plain text and switches to TLS before the login (fails when the server does not offer it).
          - V(ssl) uses TLS from the start (SMTPS).
          - V(none) sends without encryption; use it only inside a trusted network.
        type: str
        choices: [starttls, ssl, none]
        default: starttls
      username:
        description: User for the SMTP login; without it no login is made.
        type: str
      password:
        description: Password for the SMTP login. Never shown in output.
        type: str
      timeout:
        description: Seconds the SMTP server may stay silent.
        type: int
        default: 30
      validate_certs:
        description: Whether the TLS certificate of the SMTP server is verified. Set to V(false) only for test systems.
        type: bool
        default: true
      ca_path:
        description: CA bundle file on the controller used to verify the SMTP server (for an in-house CA).
        type: path
  sender:
    description:
      - The sender address (C(From)), for example V(ConAktiv Update <conaktiv-update@example.com>).
    type: str
    required: true
  to:
    description:
      - The recipients, at least one; usually the user flagged as "administrator for server messages".
    type: list
    elements: str
    required: true
  record:
    description:
      - The record of this update run, as the role writes it to the update history. Used keys C(outcome)
        (C(updated), C(up_to_date), C(skipped), C(failed), C(rolled_back)), C(from_version), C(to_version),
        C(downtime_s), C(failed_phase), C(error), C(run_id) and C(phases), a list of dicts with C(name), C(outcome),
        C(duration_s) and C(detail). Missing keys are shown as C(?), C(-) or C(none).
      - Without it, O(journal) must be given and the record of the update is built from the run journal. One of them is required.
    type: dict
  history:
    description:
      - Earlier records of the update history, for example RV(conaktiv.server.info#module:history) of
        M(conaktiv.server.info), listed one line each in the mail. Records that cannot be read are left out.
    type: list
    elements: dict
    default: []
  subject:
    description:
      - The subject template. Fields C({host}), C({outcome}) (V(updated), V(rolled_back), ...), C({outcome_label}) (the same in
        O(language), for example V(aktualisiert), V(zurückgerollt)), C({from_version}), C({to_version}), C({downtime}),
        C({failed_phase}), C({error}), C({phases}), C({history}), C({run_id}) and C({marker}) - V([ZURÜCKGEROLLT] ),
        V([FEHLGESCHLAGEN] ), V([UNTERBROCHEN] ) (in English V([ROLLED BACK] ), ...) for an update that did not succeed, empty
        otherwise; write a literal brace as C({{) or C(}}).
      - Without it, the subject in O(language), in German C({marker}ConAktiv-Update auf {host}) followed by the outcome label and
        the versions.
    type: str
  body:
    description:
      - The body template (plain text), with the same fields as O(subject). Without it, in O(language) - outcome, versions,
        downtime, failed phase, error, the phases and the history.
    type: str
  html:
    description:
      - Whether the mail also carries an HTML alternative with the same facts and the phases as a table (self-contained, in
        O(language)).
    type: bool
    default: true
  language:
    description:
      - The language of the default O(subject) and O(body), the labels of outcome and phases, C({marker}) and the HTML part.
    type: str
    choices: [de, en]
    default: de
  fail_on_error:
    description:
      - Whether a mail that cannot be sent fails the task. V(false) returns the reason in RV(mail_error) and as a warning.
    type: bool
    default: true
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
      - Subject and body are rendered (template errors fail as in a real run) but no mail is sent; C(changed) is
        predicted as V(true). The SMTP server is not contacted.
  diff_mode:
    support: none
  platform:
    platforms: [posix, windows]
    details: Runs on the controller; the host's platform does not matter.
seealso:
  - module: conaktiv.server.info
  - module: conaktiv.server.structure_update
notes:
  - Put the task in the C(always) section of the update's C(block), so the administrator also hears about failed runs.
"""

EXAMPLES = r"""
- name: Tell the administrator how the update went (STARTTLS with login)
  conaktiv.server.notify:
    smtp:
      host: mail.example.com
      username: conaktiv-update@example.com
      password: "{{ vault_smtp_password }}"
    sender: ConAktiv Update <conaktiv-update@example.com>
    to:
      - it-admin@example.com
    record: "{{ conaktiv_update_record }}"
    history: "{{ conaktiv.history }}"

- name: Internal relay over SMTPS with an in-house CA, never failing the play
  conaktiv.server.notify:
    smtp:
      host: relay.intern.example.com
      security: ssl
      ca_path: /etc/pki/ca-trust/source/anchors/example-ca.pem
    sender: conaktiv@example.com
    to: "{{ conaktiv_admin_mails }}"
    record: "{{ conaktiv_update_record }}"
    subject: "[ConAktiv] {host}: {outcome} ({to_version})"
    fail_on_error: false
  register: mail

- name: Short German mail on failure only
  conaktiv.server.notify:
    smtp:
      host: mail.example.com
      port: 25
      security: none
    sender: conaktiv@example.com
    to: [it-admin@example.com]
    record: "{{ conaktiv_update_record }}"
    subject: "ConAktiv-Update auf {host} fehlgeschlagen"
    body: |
      Das Update von {from_version} auf {to_version} ist in der Phase {failed_phase} fehlgeschlagen:
      {error}
  when: conaktiv_update_record.outcome in ['failed', 'rolled_back']

- name: Warn when the mail could not be sent
  ansible.builtin.debug:
    msg: "No mail sent: {{ mail.mail_error }}"
  when: mail.mail_error is defined
"""

RETURN = r"""
subject:
  description: The rendered subject.
  returned: success, and on failure to send
  type: str
  sample: "ConAktiv update on crm01: updated (9.0.12 -> 9.1.0)"
to:
  description: The recipients.
  returned: success, and on failure to send
  type: list
  elements: str
  sample: [it-admin@example.com]
update_outcome:
  description: The outcome of the update run from O(record) (not of the mail).
  returned: success, and on failure to send
  type: str
  sample: updated
message_id:
  description: The C(Message-ID) of the sent mail.
  returned: when the mail was sent
  type: str
  sample: <176395321234.4711.123456789@conaktiv.update>
mail_error:
  description: Why the mail could not be sent.
  returned: when sending failed and O(fail_on_error=false)
  type: str
  sample: "cannot connect to the SMTP server mail.example.com:587: Connection refused"
msg:
  description: What was done.
  returned: always
  type: str
  sample: mail sent to it-admin@example.com
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
  description: Number of module round trips this task made (always 0).
  returned: always
  type: int
  sample: 0
"""
