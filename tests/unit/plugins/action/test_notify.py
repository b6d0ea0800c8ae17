# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decision logic of conaktiv.server.notify: the mail it sends, and SMTP failures that never hide the update's outcome."""

from __future__ import annotations

import socket
import typing as t

import pytest

from ansible_collections.conaktiv.server.plugins.action import notify
from ansible_collections.conaktiv.server.plugins.plugin_utils._mail import MailError

RECORD = {"run_id": "r-1", "host": "srv1", "started": "2026-11-23T22:00:00+00:00", "finished": "2026-11-23T22:09:00+00:00",
          "outcome": "updated", "from_version": "9.0.11", "to_version": "9.0.12", "downtime_s": 95,
          "phases": [{"name": "swap", "started": "2026-11-23T22:05:00+00:00", "duration_s": 3.0, "outcome": "changed"}]}
HISTORY = [{**RECORD, "run_id": "r-0", "started": "2026-10-23T22:00:00+00:00", "finished": "2026-10-23T22:05:00+00:00",
            "from_version": "9.0.10", "to_version": "9.0.11"}, {"broken": True}]


class Outbox:
    """Stands in for _mail.send: keeps the messages, or raises ``error``."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.sent: list[tuple[t.Any, dict[str, t.Any]]] = []

    def __call__(self, message: t.Any, settings: dict[str, t.Any]) -> None:
        if self.error:
            raise self.error
        self.sent.append((message, settings))


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> Outbox:
    box = Outbox()
    monkeypatch.setattr(notify, "send", box)
    return box


def run(make_action: t.Callable[..., t.Any], check_mode: bool = False, **args: t.Any) -> dict[str, t.Any]:
    args = {"smtp": {"host": "mail.example.com"}, "sender": "updates@example.com", "to": ["admin@example.com"], "record": RECORD, **args}
    return make_action(notify, args, check_mode=check_mode).run(task_vars={"inventory_hostname": "srv1"})


def test_the_mail_tells_outcome_versions_and_history(outbox: Outbox, make_action: t.Callable[..., t.Any]):
    result = run(make_action, history=HISTORY)
    assert result["changed"] is True and result["msg"] == "mail sent to admin@example.com"
    message, settings = outbox.sent[0]
    assert settings["host"] == "mail.example.com" and settings["security"] == "starttls"
    assert message["Subject"] == result["subject"] == "ConAktiv-Update auf srv1: aktualisiert (9.0.11 -> 9.0.12)"
    assert message["To"] == "admin@example.com"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Version:       9.0.11 -> 9.0.12" in body and "Ausfallzeit:   95 s" in body
    page = message.get_body(preferencelist=("html",)).get_content()
    assert "<table" in page and "aktualisiert" in page and "http" not in page, "self-contained HTML"
    assert "updated 9.0.10 -> 9.0.11" in body  # the readable history line; the broken item is left out
    assert result["message_id"] == message["Message-ID"]
    assert result["remote_calls"] == 0


def test_custom_templates(outbox: Outbox, make_action: t.Callable[..., t.Any]):
    result = run(make_action, subject="[{outcome}] {host}", body="run {run_id}")
    assert result["subject"] == "[updated] srv1"
    assert outbox.sent[0][0].get_body(preferencelist=("plain",)).get_content() == "run r-1\n"


def test_english_on_request_and_no_html_when_not_wanted(outbox: Outbox, make_action: t.Callable[..., t.Any]):
    result = run(make_action, language="en", html=False)
    message = outbox.sent[0][0]
    assert result["subject"] == "ConAktiv update on srv1: updated (9.0.11 -> 9.0.12)" and not message.is_multipart()
    assert "Outcome:      updated" in message.get_content()


def test_a_wrong_template_field_fails_before_sending(outbox: Outbox, make_action: t.Callable[..., t.Any]):
    result = run(make_action, subject="{hostname}")
    assert result["failed"] is True and "unknown field(s) hostname" in result["msg"]
    assert outbox.sent == []


def test_check_mode_sends_nothing(outbox: Outbox, make_action: t.Callable[..., t.Any]):
    result = run(make_action, check_mode=True)
    assert result["changed"] is True and result["msg"] == "would send the update mail to admin@example.com"
    assert outbox.sent == []


def test_an_empty_recipient_list_is_refused(outbox: Outbox, make_action: t.Callable[..., t.Any]):
    assert run(make_action, to=[])["msg"] == "to needs at least one address (the administrator for server messages)"


def test_an_smtp_failure_fails_the_task_but_names_the_update_outcome(outbox: Outbox, make_action: t.Callable[..., t.Any]):
    outbox.error = MailError("the SMTP server mail.example.com:587 refused the login of 'mailer': 535")
    result = run(make_action)
    assert result["failed"] is True
    assert result["msg"].startswith("the SMTP server mail.example.com:587 refused the login of 'mailer': 535 (the update itself: updated)")
    assert result["update_outcome"] == "updated"


def test_without_fail_on_error_an_smtp_failure_is_a_warning(outbox: Outbox, make_action: t.Callable[..., t.Any]):
    outbox.error = MailError("cannot connect to the SMTP server mail.example.com:587: Connection refused")
    result = run(make_action, fail_on_error=False, record={**RECORD, "outcome": "rolled_back"})
    assert "failed" not in result
    assert result["changed"] is False
    assert result["update_outcome"] == "rolled_back"
    assert result["mail_error"] == "cannot connect to the SMTP server mail.example.com:587: Connection refused"
    assert result["warnings"] == ["cannot connect to the SMTP server mail.example.com:587: Connection refused (the update itself: rolled_back)"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_real_connection_refusal(make_action: t.Callable[..., t.Any]):
    port = closed_port()
    result = run(make_action, smtp={"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5}, fail_on_error=False)
    assert result["mail_error"] == f"cannot connect to the SMTP server 127.0.0.1:{port}: Connection refused"


def test_the_failure_message_names_the_smtp_error_once(make_action: t.Callable[..., t.Any]):
    port = closed_port()
    result = run(make_action, smtp={"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5})
    assert result["msg"] == f"cannot connect to the SMTP server 127.0.0.1:{port}: Connection refused (the update itself: updated)"
