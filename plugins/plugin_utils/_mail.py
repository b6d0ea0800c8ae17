# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Composing and sending the admin's update mail with :mod:`smtplib` and :mod:`email`."""

from __future__ import annotations

import email.message
import html
import email.utils
import smtplib
import ssl
import typing as t

from ._i18n import OUTCOME_LABELS, PHASE_LABELS, RESULT_LABELS
from ._report import MARKERS
from ._text import format_duration, render_message

#: The default subject and body by language; {marker} is empty for a success.
SUBJECTS = {"de": "{marker}ConAktiv-Update auf {host}: {outcome_label} ({from_version} -> {to_version})",
            "en": "{marker}ConAktiv update on {host}: {outcome_label} ({from_version} -> {to_version})"}
BODIES = {
    "de": """ConAktiv-Update auf {host}

Ergebnis:      {outcome_label}
Version:       {from_version} -> {to_version}
Ausfallzeit:   {downtime}
Phase:         {failed_phase}
Fehler:        {error}

Phasen:
{phases}

Update-Verlauf (neuester zuletzt):
{history}
""",
    "en": """ConAktiv server update on {host}

Outcome:      {outcome_label}
Version:      {from_version} -> {to_version}
Downtime:     {downtime}
Failed phase: {failed_phase}
Error:        {error}

Phases:
{phases}

Update history (newest last):
{history}
""",
}
DEFAULT_SUBJECT, DEFAULT_BODY = SUBJECTS["en"], BODIES["en"]

_NONE = {"de": "keine", "en": "none"}


class MailError(ValueError):
    """The mail could not be sent; the message names server and reason, never the password."""


def mail_values(host: str, record: dict[str, t.Any], history_lines: list[str], language: str = "de") -> dict[str, str]:
    """The fields the subject and body templates can use; ``marker`` ("[ZURÜCKGEROLLT] ", "[FAILED] ", empty on success) makes
    an update that did not succeed stand out in the inbox."""
    phases = record.get("phases") or []
    phase_lines = [f"  {phase_label(p.get('name'), language):<24} {RESULT_LABELS[language].get(p.get('outcome'), p.get('outcome', '?')):<14} "
                   f"{format_duration(float(p.get('duration_s') or 0)):>10}" + (f"  {p['detail']}" if p.get("detail") else "") for p in phases]
    downtime = record.get("downtime_s")
    outcome = str(record.get("outcome") or "unknown")
    return {
        "host": host,
        "outcome": outcome,
        "outcome_label": OUTCOME_LABELS[language].get(outcome, outcome),
        "from_version": str(record.get("from_version") or "?"),
        "to_version": str(record.get("to_version") or "?"),
        "downtime": format_duration(float(downtime)) if downtime is not None else _NONE[language],
        "failed_phase": str(record.get("failed_phase") or "-"),
        "error": str(record.get("error") or "-"),
        "phases": "\n".join(phase_lines) or f"  ({_NONE[language]})",
        "history": "\n".join(f"  {line}" for line in history_lines) or f"  ({_NONE[language]})",
        "run_id": str(record.get("run_id") or ""),
        "marker": f"[{MARKERS[language][record.get('outcome')]}] " if record.get("outcome") in MARKERS[language] else "",
    }


def phase_label(name: t.Any, language: str) -> str:
    """A phase as the admin reads it ("Strukturaktualisierung"); an unknown name as it is."""
    return PHASE_LABELS[language].get(str(name), str(name))


def html_body(values: dict[str, str], record: dict[str, t.Any], history_lines: list[str], language: str) -> str:
    """The HTML alternative of the mail: the same facts, the phases as a table; self-contained (no external resources)."""
    de = language == "de"
    outcome = str(record.get("outcome") or "")
    colour = {"updated": "#1a7f37", "up_to_date": "#1a7f37", "rolled_back": "#b35900", "failed": "#b00020", "interrupted": "#b35900"}
    rows = "".join(
        f"<tr><td>{html.escape(phase_label(p.get('name'), language))}</td>"
        f"<td>{html.escape(RESULT_LABELS[language].get(p.get('outcome'), str(p.get('outcome', '?'))))}</td>"
        f"<td style=\"text-align:right\">{html.escape(format_duration(float(p.get('duration_s') or 0)))}</td>"
        f"<td>{html.escape(str(p.get('detail') or ''))}</td></tr>" for p in record.get("phases") or [])
    facts = [("Ergebnis" if de else "Outcome", values["outcome_label"]), ("Version", f"{values['from_version']} -> {values['to_version']}"),
             ("Ausfallzeit" if de else "Downtime", values["downtime"])]
    if record.get("failed_phase"):
        facts += [("Phase", phase_label(record.get("failed_phase"), language)), ("Fehler" if de else "Error", values["error"])]
    fact_rows = "".join(f"<tr><th style=\"text-align:left;padding-right:1em\">{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in facts)
    history = "".join(f"<li>{html.escape(line)}</li>" for line in history_lines)
    headers = ("Phase", "Ergebnis", "Dauer", "Hinweis") if de else ("Phase", "Result", "Duration", "Detail")
    return (f"<!DOCTYPE html><html lang=\"{language}\"><head><meta charset=\"utf-8\"><title>{html.escape(values['host'])}</title></head>"
            f"<body style=\"font-family:sans-serif\"><h2 style=\"color:{colour.get(outcome, '#333')}\">{html.escape(values['marker'])}"
            f"ConAktiv{'-Update auf' if de else ' update on'} {html.escape(values['host'])}: {html.escape(values['outcome_label'])}</h2>"
            f"<table>{fact_rows}</table><h3>{'Phasen' if de else 'Phases'}</h3>"
            f"<table border=\"1\" cellspacing=\"0\" cellpadding=\"4\"><tr>{''.join(f'<th>{h}</th>' for h in headers)}</tr>{rows}</table>"
            + (f"<h3>{'Update-Verlauf' if de else 'Update history'}</h3><ul>{history}</ul>" if history else "") + "</body></html>")


def compose(sender: str, recipients: list[str], subject: str, body: str, html_text: str | None = None) -> email.message.EmailMessage:
    """A UTF-8 message: the text, and ``html_text`` as its HTML alternative when given."""
    message = email.message.EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(domain="conaktiv.update")
    message.set_content(body)
    if html_text is not None:
        message.add_alternative(html_text, subtype="html")
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
