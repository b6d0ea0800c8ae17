# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.notify: e-mail the administrator from the controller."""

from __future__ import annotations

import typing as t

from ansible_collections.conaktiv.server.plugins.plugin_utils._history import from_dict, summary_line
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Host
from ansible_collections.conaktiv.server.plugins.plugin_utils._mail import (
    DEFAULT_BODY, DEFAULT_SUBJECT, MailError, compose, mail_values, render, send)
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction, PhaseFailed

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
    "record": {"type": "dict", "required": True},
    "history": {"type": "list", "elements": "dict", "default": []},
    "subject": {"type": "str", "default": DEFAULT_SUBJECT},
    "body": {"type": "str", "default": DEFAULT_BODY},
    "fail_on_error": {"type": "bool", "default": True},
}


class ActionModule(PhaseAction):
    """Send the update report; an SMTP failure is reported, never mistaken for the update's outcome."""

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        del host  # mail goes out from the controller
        if not args["to"]:
            raise PhaseFailed("to needs at least one address (the administrator for server messages)")
        record = args["record"]
        history_lines = []
        for item in args["history"]:
            try:
                history_lines.append(summary_line(from_dict(item)))
            except (KeyError, TypeError, ValueError):
                continue
        values = mail_values(str(task_vars.get("inventory_hostname", "")), record, history_lines)
        subject, body = render(args["subject"], values), render(args["body"], values)
        result: dict[str, t.Any] = {"subject": subject, "to": args["to"], "update_outcome": values["outcome"]}
        if self._task.check_mode:
            return {**result, "changed": True, "msg": f"would send the update mail to {', '.join(args['to'])}"}
        message = compose(args["sender"], args["to"], subject, body)
        try:
            send(message, args["smtp"])
        except MailError as exc:
            text = f"{exc} (the update itself: {values['outcome']})"
            if args["fail_on_error"]:
                raise PhaseFailed(text, **result) from exc
            return {**result, "changed": False, "mail_error": str(exc), "warnings": [text], "msg": text}
        return {**result, "changed": True, "message_id": message["Message-ID"], "msg": f"mail sent to {', '.join(args['to'])}"}
