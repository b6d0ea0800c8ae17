# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.notify: e-mail the administrator from the controller."""

from __future__ import annotations

import typing as t

from ansible_collections.conaktiv.server.plugins.plugin_utils._history import from_dict, summary_line, to_dict
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Host
from ansible_collections.conaktiv.server.plugins.plugin_utils._i18n import LANGUAGES
from ansible_collections.conaktiv.server.plugins.plugin_utils._journal import history_record, iso, utc_now
from ansible_collections.conaktiv.server.plugins.plugin_utils._mail import (
    BODIES, SUBJECTS, MailError, compose, html_body, mail_values, render, send)
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction, PhaseFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._run_journal import JOURNAL_OPTION, RunJournal

SMTP_SPEC: dict[str, t.Any] = {
    "host": {"type": "str", "required": True},
    "port": {"type": "int"},
    "security": {"type": "str", "choices": ["starttls", "ssl", "none"], "default": "starttls"},
    "username": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "timeout": {"type": "int", "default": 30},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
}

ARGUMENT_SPEC: dict[str, t.Any] = {
    "smtp": {"type": "dict", "required": True, "options": SMTP_SPEC},
    "sender": {"type": "str", "required": True},
    "to": {"type": "list", "elements": "str", "required": True},
    "record": {"type": "dict"},
    **JOURNAL_OPTION,
    "history": {"type": "list", "elements": "dict", "default": []},
    "language": {"type": "str", "choices": list(LANGUAGES), "default": "de"},
    "subject": {"type": "str"},
    "body": {"type": "str"},
    "html": {"type": "bool", "default": True},
    "fail_on_error": {"type": "bool", "default": True},
}


class ActionModule(PhaseAction):
    """Send the update report; an SMTP failure is reported, never mistaken for the update's outcome."""

    ARGUMENT_SPEC = ARGUMENT_SPEC
    REQUIRED_ONE_OF = [["record", "journal"]]
    JOURNAL_PHASE = "mail"
    # The admin must hear of a failed update also when the host's disk is full.
    JOURNAL_BEST_EFFORT = True
    JOURNAL_KEYS = ("message_id", "subject", "mail_error", "to")
    # Nothing changes on the host: the begin is written with the done, in one round trip.
    JOURNAL_BEGIN_WITH_CHANGE = True
    LEASE_S = 600.0

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        if not args["to"]:
            raise PhaseFailed("to needs at least one address (the administrator for server messages)")
        # Mail goes out from the controller; the host is only read for the run journal.
        record = args.get("record") or self._journal_record(host, args, task_vars)
        history_lines = []
        for item in args["history"]:
            try:
                history_lines.append(summary_line(from_dict(item)))
            except (KeyError, TypeError, ValueError):
                continue
        values = mail_values(str(task_vars.get("inventory_hostname", "")), record, history_lines, args["language"])
        subject = render(args.get("subject") or SUBJECTS[args["language"]], values)
        body = render(args.get("body") or BODIES[args["language"]], values)
        result: dict[str, t.Any] = {"subject": subject, "to": args["to"], "update_outcome": values["outcome"]}
        if self._task.check_mode:
            return {**result, "changed": True, "msg": f"would send the update mail to {', '.join(args['to'])}"}
        message = compose(args["sender"], args["to"], subject, body,
                          html_body(values, record, history_lines, args["language"]) if args["html"] else None)
        try:
            send(message, args["smtp"])
        except MailError as exc:
            text = f"{exc} (the update itself: {values['outcome']})"
            if args["fail_on_error"]:
                raise PhaseFailed(text, **result) from exc
            return {**result, "changed": False, "mail_error": str(exc), "warnings": [text], "msg": text}
        return {**result, "changed": True, "message_id": message["Message-ID"], "msg": f"mail sent to {', '.join(args['to'])}"}

    def _journal_record(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        """The history record of the update this run belongs to, built from the run journal."""
        option = args["journal"]
        reader = self.journal or RunJournal(host, option["path"], option["run"])
        chain = reader.read().chain(option["run"])
        if chain is None:
            raise PhaseFailed(f"the run {option['run']} is not in the run journal {option['path']}")
        return to_dict(history_record(chain, str(task_vars.get("inventory_hostname", "")), iso(utc_now())))
