# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the update mail: its fields, the message, and how SMTP problems are reported.

The SMTP dialogue is driven against a fake ``smtplib`` client (real servers are covered by the
integration tests); connection refusal uses a real closed port on 127.0.0.1.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import typing as t

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils import _mail
from ansible_collections.conaktiv.server.plugins.plugin_utils._mail import (
    BODIES, SUBJECTS, MailError, compose, html_body, mail_values, render, send)

PASSWORD = "pw-93ab"
RECORD = {"outcome": "updated", "from_version": "9.0.11", "to_version": "9.0.12", "downtime_s": 95.4, "run_id": "r-1",
          "phases": [{"name": "stage", "outcome": "changed", "duration_s": 12.5},
                     {"name": "swap", "outcome": "changed", "duration_s": 3.0, "detail": "old version in _old0001"}]}


# -- content --------------------------------------------------------------------------------------


def test_mail_values_of_a_full_record():
    values = mail_values("srv1", RECORD, ["2026-11-23 22:01 updated 9.0.11 -> 9.0.12"])
    assert values["host"] == "srv1"
    assert values["outcome"] == "updated" and values["outcome_label"] == "aktualisiert"
    assert values["downtime"] == "95 s"
    assert values["failed_phase"] == "-" and values["error"] == "-"
    assert values["phases"].splitlines()[1].split() == ["Austausch", "geändert", "3", "s", "old", "version", "in", "_old0001"]
    assert mail_values("srv1", RECORD, [], "en")["phases"].splitlines()[1].split()[:2] == ["swap", "changed"]
    assert values["history"] == "  2026-11-23 22:01 updated 9.0.11 -> 9.0.12"
    assert values["run_id"] == "r-1"


def test_mail_values_of_an_empty_record():
    values = mail_values("srv1", {}, [])
    assert values["outcome"] == "unknown"
    assert values["from_version"] == values["to_version"] == "?"
    assert values["downtime"] == "keine"
    assert values["phases"] == "  (keine)" and values["history"] == "  (keine)"


def test_default_templates_render():
    values = mail_values("srv1", {**RECORD, "outcome": "rolled_back", "failed_phase": "structure_update", "error": "timeout"}, [])
    # The marker says at a glance in the inbox that this is no success.
    assert render(SUBJECTS["de"], values) == "[ZURÜCKGEROLLT] ConAktiv-Update auf srv1: zurückgerollt (9.0.11 -> 9.0.12)"
    english = mail_values("srv1", {**RECORD, "outcome": "failed"}, [], "en")
    assert render(SUBJECTS["en"], english).startswith("[FAILED] ConAktiv update on srv1: failed")
    assert render(SUBJECTS["de"], mail_values("srv1", {**RECORD, "outcome": "updated"}, [])).startswith("ConAktiv-Update auf srv1: aktualisiert")
    body = render(BODIES["de"], values)
    assert "Phase:         structure_update" in body and "Fehler:        timeout" in body
    record = {**RECORD, "outcome": "rolled_back", "failed_phase": "structure_update", "error": "<b>Tabelle gesperrt</b>"}
    page = html_body(mail_values("srv1", record, []), record, [], "de")
    assert "Strukturaktualisierung" in page and "&lt;b&gt;Tabelle gesperrt&lt;/b&gt;" in page and "<b>Tabelle" not in page


def test_an_unknown_template_field_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown field.*hostname"):
        render("Update on {hostname}", mail_values("srv1", RECORD, []))


def test_compose_makes_a_plain_utf8_message():
    message = compose("updates@example.com", ["admin@example.com", "ops@example.com"], "Größe", "Umlaute: äöü\n")
    assert message["To"] == "admin@example.com, ops@example.com"
    assert message["Subject"] == "Größe"
    assert message["Message-ID"].endswith("@conaktiv.update>")
    assert message.get_content() == "Umlaute: äöü\n"


# -- sending --------------------------------------------------------------------------------------


class FakeSMTP:
    """A ``smtplib.SMTP`` stand-in that logs the dialogue; ``failures`` maps a step to the exception it raises."""

    sessions: list[FakeSMTP] = []
    failures: dict[str, BaseException] = {}

    def __init__(self, host: str, port: int, timeout: float = 30, context: ssl.SSLContext | None = None) -> None:
        self.log: list[tuple[t.Any, ...]] = [(type(self).__name__, host, port, timeout)]
        FakeSMTP.sessions.append(self)
        self._step("connect")

    def _step(self, name: str, *args: t.Any) -> None:
        if name != "connect":
            self.log.append((name, *args))
        if name in self.failures:
            raise self.failures[name]

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *exc: t.Any) -> None:
        self.log.append(("quit",))

    def ehlo(self) -> None:
        self._step("ehlo")

    def starttls(self, context: ssl.SSLContext | None = None) -> None:
        self._step("starttls")

    def login(self, user: str, password: str) -> None:
        self._step("login", user, password)

    def send_message(self, message: t.Any) -> None:
        self._step("send_message", message["To"])


class FakeSMTPSSL(FakeSMTP):
    """Implicit TLS."""


@pytest.fixture
def fake_smtp(monkeypatch: pytest.MonkeyPatch) -> type[FakeSMTP]:
    FakeSMTP.sessions, FakeSMTP.failures = [], {}
    monkeypatch.setattr(_mail.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(_mail.smtplib, "SMTP_SSL", FakeSMTPSSL)
    return FakeSMTP


def message() -> t.Any:
    return compose("updates@example.com", ["admin@example.com"], "s", "b")


@pytest.mark.parametrize(("settings", "dialogue"), [
    ({"host": "mail", "security": "none"}, [("FakeSMTP", "mail", 25, 30), ("ehlo",), ("send_message", "admin@example.com"), ("quit",)]),
    ({"host": "mail"}, [("FakeSMTP", "mail", 587, 30), ("ehlo",), ("starttls",), ("ehlo",), ("send_message", "admin@example.com"), ("quit",)]),
    ({"host": "mail", "security": "ssl", "username": "mailer", "password": PASSWORD, "timeout": 5},
     [("FakeSMTPSSL", "mail", 465, 5), ("ehlo",), ("login", "mailer", PASSWORD), ("send_message", "admin@example.com"), ("quit",)]),
    ({"host": "mail", "port": 2525, "security": "starttls", "username": "mailer", "password": PASSWORD, "validate_certs": False},
     [("FakeSMTP", "mail", 2525, 30), ("ehlo",), ("starttls",), ("ehlo",), ("login", "mailer", PASSWORD),
      ("send_message", "admin@example.com"), ("quit",)]),
])
def test_the_smtp_dialogue(settings: dict[str, t.Any], dialogue: list[tuple[t.Any, ...]], fake_smtp: type[FakeSMTP]):
    send(message(), settings)
    assert fake_smtp.sessions[0].log == dialogue


def tls_error(reason: str) -> ssl.SSLError:
    """An SSLError as the ssl module raises it (with ``reason`` set, which only its C code does)."""
    error = ssl.SSLCertVerificationError(1, f"[SSL: {reason}] certificate verify failed")
    error.reason = reason
    return error


SETTINGS = {"host": "mail", "security": "starttls", "username": "mailer", "password": PASSWORD}


@pytest.mark.parametrize(("step", "error", "text"), [
    ("login", smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid"),
     "the SMTP server mail:587 refused the login of 'mailer': 535"),
    ("starttls", smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."),
     "the SMTP server mail:587 does not support STARTTLS"),
    ("send_message", smtplib.SMTPRecipientsRefused({"admin@example.com": (550, b"no such user")}),
     "the SMTP server mail:587 refused the recipients admin@example.com"),
    ("send_message", smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
     "sending the mail via mail:587 failed: Connection unexpectedly closed"),
    ("starttls", tls_error("CERTIFICATE_VERIFY_FAILED"), "TLS with the SMTP server mail:587 failed: CERTIFICATE_VERIFY_FAILED"),
    ("connect", socket.timeout("timed out"), "cannot connect to the SMTP server mail:587: timed out"),
])
def test_smtp_errors_are_clear_and_never_show_the_password(step: str, error: BaseException, text: str, fake_smtp: type[FakeSMTP]):
    fake_smtp.failures = {step: error}
    with pytest.raises(MailError) as raised:
        send(message(), SETTINGS)
    assert str(raised.value).startswith(text)
    assert PASSWORD not in str(raised.value)


def test_missing_auth_without_tls_names_auth(fake_smtp: type[FakeSMTP]):
    fake_smtp.failures = {"login": smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")}
    with pytest.raises(MailError, match="does not support AUTH"):
        send(message(), {**SETTINGS, "security": "none"})


def test_missing_auth_after_starttls_names_auth(fake_smtp: type[FakeSMTP]):
    fake_smtp.failures = {"login": smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")}
    with pytest.raises(MailError) as raised:
        send(message(), SETTINGS)
    assert "does not support AUTH" in str(raised.value)


def test_a_closed_port_is_reported_as_connection_refused():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(MailError, match=f"cannot connect to the SMTP server 127.0.0.1:{port}: Connection refused"):
        send(message(), {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5})
