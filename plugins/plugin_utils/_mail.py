# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Composing and sending the admin's update mail with :mod:`smtplib` and :mod:`email`."""

from __future__ import annotations

import email.message
import email.utils
import smtplib
import ssl
import typing as t

from ._report import MARKERS
from ._text import format_duration, render_message

DEFAULT_SUBJECT = "{marker}ConAktiv update on {host}: {outcome} ({from_version} -> {to_version})"
DEFAULT_BODY = """ConAktiv server update on {host}

Outcome:      {outcome}
Version:      {from_version} -> {to_version}
Downtime:     {downtime}
Failed phase: {failed_phase}
Error:        {error}

Phases:
{phases}

Update history (newest last):
{history}
"""


class MailError(ValueError):
    """The mail could not be sent; the message names server and reason, never the password."""


def mail_values(host: str, record: dict[str, t.Any], history_lines: list[str], language: str = "de") -> dict[str, str]:
    """The fields the subject and body templates can use; ``marker`` ("[ZURÜCKGEROLLT] ", "[FAILED] ", empty on success) makes
    an update that did not succeed stand out in the inbox."""
    phases = record.get("phases") or []
    phase_lines = [f"  {p.get('name', '?'):<18} {p.get('outcome', '?'):<8} {format_duration(float(p.get('duration_s') or 0)):>10}"
                   + (f"  {p['detail']}" if p.get("detail") else "") for p in phases]
    downtime = record.get("downtime_s")
    return {
        "host": host,
        "outcome": str(record.get("outcome") or "unknown"),
        "from_version": str(record.get("from_version") or "?"),
        "to_version": str(record.get("to_version") or "?"),
        "downtime": format_duration(float(downtime)) if downtime is not None else "none",
        "failed_phase": str(record.get("failed_phase") or "-"),
        "error": str(record.get("error") or "-"),
        "phases": "\n".join(phase_lines) or "  (none)",
        "history": "\n".join(f"  {line}" for line in history_lines) or "  (none)",
        "run_id": str(record.get("run_id") or ""),
        "marker": f"[{MARKERS[language][record.get('outcome')]}] " if record.get("outcome") in MARKERS[language] else "",
    }


def compose(sender: str, recipients: list[str], subject: str, body: str) -> email.message.EmailMessage:
    """A plain-text UTF-8 message."""
    message = email.message.EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(domain="conaktiv.update")
    message.set_content(body)
    return message


def render(template: str, values: dict[str, str]) -> str:
    """Fill a subject/body template; a wrong field name is a clear error."""
    return render_message(template, **values)


def send(message: email.message.EmailMessage, settings: dict[str, t.Any]) -> None:
    """Send ``message`` with the ``smtp`` settings (host, port, security, username, password, ...)."""
    host, security = settings["host"], settings.get("security") or "starttls"
    port = int(settings.get("port") or {"ssl": 465, "starttls": 587, "none": 25}[security])
    timeout = int(settings.get("timeout") or 30)
    context = ssl.create_default_context(cafile=settings.get("ca_path")) if settings.get("validate_certs", True) \
        else ssl._create_unverified_context()  # pylint: disable=protected-access
    where = f"{host}:{port}"
    try:
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context) if security == "ssl" else smtplib.SMTP(host, port, timeout=timeout)
        with client:
            client.ehlo()
            if security == "starttls":
                try:
                    client.starttls(context=context)
                except smtplib.SMTPNotSupportedError as exc:
                    raise MailError(f"the SMTP server {where} does not support STARTTLS: {exc}") from exc
                client.ehlo()
            if settings.get("username"):
                try:
                    client.login(settings["username"], settings.get("password") or "")
                except smtplib.SMTPNotSupportedError as exc:
                    raise MailError(f"the SMTP server {where} does not support AUTH: {exc}") from exc
            client.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"the SMTP server {where} refused the login of {settings['username']!r}: {exc.smtp_code}") from exc
    except MailError:
        raise
    except smtplib.SMTPNotSupportedError as exc:
        raise MailError(f"the SMTP server {where} refused a command: {exc}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"the SMTP server {where} refused the recipients {', '.join(exc.recipients)}") from exc
    except smtplib.SMTPException as exc:
        raise MailError(f"sending the mail via {where} failed: {exc}") from exc
    except ssl.SSLError as exc:
        raise MailError(f"TLS with the SMTP server {where} failed: {exc.reason or exc}") from exc
    except OSError as exc:
        raise MailError(f"cannot connect to the SMTP server {where}: {exc.strerror or exc}") from exc
