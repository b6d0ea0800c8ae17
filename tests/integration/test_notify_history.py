"""conaktiv.server.notify (mail to the admin) and conaktiv.server.history (the Updateverlauf), through ansible-playbook."""

from __future__ import annotations

import json

from playbook import run_tasks

NOTIFY = "Tell the administrator"
HISTORY = "Record the run in the update history"
INFO = "Read the history"

RECORD = {
    "run_id": "run-0001", "host": "localhost", "started": "2026-11-23T22:00:00+00:00", "finished": "2026-11-23T22:02:10+00:00",
    "from_version": "1.0.0", "to_version": "2.0.0", "outcome": "updated", "downtime_s": 31.2, "error": None, "failed_phase": None,
    "backups": [{"label": "pre", "path": "/b/pre.zip"}],
    "phases": [{"name": "stage", "started": "2026-11-23T22:00:00+00:00", "duration_s": 12.0, "outcome": "changed", "detail": ""},
               {"name": "swap", "started": "2026-11-23T22:01:00+00:00", "duration_s": 3.2, "outcome": "changed", "detail": ""}],
}


def notify_task(smtp: dict, **extra):
    args = {"smtp": smtp, "sender": "conaktiv@example.test", "to": ["admin@example.test"], "record": RECORD, **extra}
    return {"name": NOTIFY, "conaktiv.server.notify": args}


def test_plain_mail_reaches_the_admin_with_versions_phases_and_downtime(tmp_path, smtp_server):
    run = run_tasks(tmp_path / "play", [notify_task({"host": "127.0.0.1", "port": smtp_server.port, "security": "none"})])
    assert run.rc == 0, run.output
    (mail,) = smtp_server.wait_for_messages(1)
    assert mail.rcpt_tos == ["admin@example.test"]
    assert mail.message["Subject"] == "ConAktiv-Update auf localhost: aktualisiert (1.0.0 -> 2.0.0)"
    body = mail.message.get_body(preferencelist=("plain",)).get_content()
    assert "1.0.0 -> 2.0.0" in body and "31 s" in body and "Austausch" in body
    page = mail.message.get_body(preferencelist=("html",)).get_content()
    assert "<table" in page and "Austausch" in page


def test_starttls_mail(tmp_path, smtp_starttls_server):
    smtp = {"host": "127.0.0.1", "port": smtp_starttls_server.port, "security": "starttls",
            "ca_path": str(smtp_starttls_server.ca_file)}
    run = run_tasks(tmp_path / "tls", [notify_task(smtp)])
    assert run.rc == 0, run.output
    assert smtp_starttls_server.wait_for_messages(1)[0].starttls is True


def test_auth_keeps_the_password_secret(tmp_path, smtp_auth_server):
    auth = {"host": "127.0.0.1", "port": smtp_auth_server.port, "security": "none",
            "username": smtp_auth_server.config.user, "password": smtp_auth_server.config.password}
    run = run_tasks(tmp_path / "auth", [notify_task(auth)], extra_args=["-vvv"])
    assert run.rc == 0, run.output
    assert smtp_auth_server.wait_for_messages(1)[0].auth_login == smtp_auth_server.config.user
    assert smtp_auth_server.config.password not in run.output


def test_ssl_mail(tmp_path, smtp_ssl_server):
    smtp = {"host": "127.0.0.1", "port": smtp_ssl_server.port, "security": "ssl", "ca_path": str(smtp_ssl_server.ca_file)}
    run = run_tasks(tmp_path / "ssl", [notify_task(smtp)])
    assert run.rc == 0, run.output
    assert smtp_ssl_server.wait_for_messages(1)[0].tls is True


def test_wrong_password_and_unreachable_server_are_clear_and_keep_the_outcome(tmp_path, smtp_auth_server):
    wrong = {"host": "127.0.0.1", "port": smtp_auth_server.port, "security": "none",
             "username": smtp_auth_server.config.user, "password": "Totally-Wrong-99"}
    run = run_tasks(tmp_path / "wrong", [notify_task(wrong)], extra_args=["-vvv"])
    assert run.rc != 0
    msg = run.task(NOTIFY)["msg"]
    assert "refused the login" in msg and "(the update itself: updated)" in msg
    assert "Totally-Wrong-99" not in run.output
    down = {"host": "127.0.0.1", "port": 1, "security": "none"}
    soft = run_tasks(tmp_path / "down", [notify_task(down, fail_on_error=False)])
    assert soft.rc == 0, soft.output
    assert "cannot connect to the SMTP server 127.0.0.1:1" in soft.task(NOTIFY)["mail_error"]


def test_check_mode_sends_nothing(tmp_path, smtp_server):
    run = run_tasks(tmp_path / "check", [notify_task({"host": "127.0.0.1", "port": smtp_server.port, "security": "none"})],
                    extra_args=["--check"])
    assert run.rc == 0 and run.task(NOTIFY)["changed"] is True
    assert smtp_server.messages() == []


def test_history_is_appended_once_redacted_and_read_back_by_info(tmp_path, sim_site):
    record = dict(RECORD, error="ftp login with Secret-Pass-1 failed")
    args = {"server_path": str(sim_site.server_dir), "record": record, "redact": ["Secret-Pass-1"]}
    task = {"name": HISTORY, "conaktiv.server.history": args}
    run = run_tasks(tmp_path / "h1", [task])
    assert run.rc == 0, run.output
    assert run.task(HISTORY)["changed"] is True
    history = sim_site.root / "conaktiv-update-history.jsonl"
    lines = history.read_text().splitlines()
    assert len(lines) == 1 and "Secret-Pass-1" not in lines[0]
    assert json.loads(lines[0])["to_version"] == "2.0.0"
    again = run_tasks(tmp_path / "h2", [task])
    assert again.rc == 0 and again.task(HISTORY)["changed"] is False
    assert len(history.read_text().splitlines()) == 1
    info = run_tasks(tmp_path / "info", [{"name": INFO, "conaktiv.server.info": {"server_path": str(sim_site.server_dir)}}])
    assert info.rc == 0, info.output
    (read,) = info.task(INFO)["history"]
    assert read["run_id"] == "run-0001" and read["outcome"] == "updated"
