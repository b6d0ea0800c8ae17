"""The demo: a simulated ConAktiv 1.0.0 server with users logged in is updated to 2.0.0 by the real update playbook.

Everything runs on this machine (loopback only) and is removed afterwards, also after Ctrl-C:
a simulator site, an FTP server serving the 2.0.0 package, an SMTP server catching the admin mail.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import pathlib
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "simulator"), str(ROOT / "tests" / "fixtures")]

# pylint: disable=wrong-import-position
from conaktiv_sim.testing import Site, build_package  # noqa: E402
from testservers import FtpServer, SmtpConfig, SmtpServer  # noqa: E402


def say(text: str) -> None:
    """A headline of the demo."""
    print(f"\n=== {text}", flush=True)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def inventory(site: Site, ftp: FtpServer, smtp: SmtpServer, package: pathlib.Path) -> dict:
    """The role variables of the demo host: the window opens now, on this machine's local time."""
    now = datetime.datetime.now()
    wrapper = str(site.wrapper)
    host = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "conaktiv_update_server_path": str(site.server_dir),
        "conaktiv_update_data_path": str(site.data_dir),
        "conaktiv_update_version": "2.0.0",
        "conaktiv_update_source": f"{ftp.url}{package.name}",
        "conaktiv_update_source_username": ftp.user,
        "conaktiv_update_source_password": ftp.password,
        "conaktiv_update_checksum": "sha256:" + hashlib.sha256(package.read_bytes()).hexdigest(),
        "conaktiv_update_start_date": now.date().isoformat(),
        "conaktiv_update_time_from": (now - datetime.timedelta(minutes=1)).strftime("%H:%M"),
        "conaktiv_update_time_to": (now + datetime.timedelta(minutes=30)).strftime("%H:%M"),
        "conaktiv_update_service_manager": "command",
        "conaktiv_update_start_command": [wrapper, "start"],
        "conaktiv_update_stop_command": [wrapper, "stop"],
        "conaktiv_update_status_command": [wrapper, "status"],
        "conaktiv_update_client_port": site.client_port,
        "conaktiv_update_pid_file": str(site.data_dir / "server.pid"),
        "conaktiv_update_control": {"type": "http", "url": f"http://127.0.0.1:{site.control_port}", "token": site.token},
        "conaktiv_update_max_wait": 20,
        "conaktiv_update_poll_interval": 1,
        "conaktiv_update_backup": {"method": "server", "dir": str(site.root / "Backups"), "keep": 5},
        "conaktiv_update_smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none"},
        "conaktiv_update_admin_email": ["admin@example.test"],
    }
    return {"conaktiv_servers": {"hosts": {"localhost": host}}}


def run_update(work: pathlib.Path, inventory_file: pathlib.Path) -> int:
    """The real update playbook, with its output shown as it runs."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_LOCAL_TEMP=str(work / "ansible-local"), ANSIBLE_REMOTE_TMP=str(work / "ansible-remote"),
               ANSIBLE_RETRY_FILES_ENABLED="false")
    command = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory_file), "conaktiv.server.update"]
    print("$ " + " ".join(command), flush=True)
    # Its own process group, so that an interrupted demo can stop the playbook with all its workers
    # before the work folder is removed.
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        return process.wait()
    except BaseException:
        _stop_group(process)
        raise


def _stop_group(process: subprocess.Popen) -> None:
    """Terminate a process group, then kill what is left after a grace period."""
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; give its workers a moment, then make sure none is left.
        time.sleep(0.5)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return


def _keep_going(action: object) -> None:
    """Run one cleanup step; a failing step must not stop the others."""
    try:
        action()  # type: ignore[operator]
    except Exception as exc:  # pylint: disable=broad-exception-caught
        print(f"cleanup: {exc}", file=sys.stderr)


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    work = pathlib.Path(tempfile.mkdtemp(prefix="conaktiv-demo-"))
    with contextlib.ExitStack() as cleanup:
        # Last registered runs first: processes go before the folder that holds them.
        cleanup.callback(shutil.rmtree, work, ignore_errors=True)
        say("Installing a simulated ConAktiv server 1.0.0 and starting it")
        site = Site.install(work / "site", version="1.0.0", faults={"migration_seconds": 2})
        cleanup.callback(_keep_going, site.cleanup)
        site.start()
        site.wait_state("ready")
        users = site.tcp_users({"anna": 3, "ben": 5})
        cleanup.callback(_keep_going, users.close)
        site.login("carla", logoff_after=4)
        print(f"server folder: {site.server_dir}\nusers logged in: {[s['user'] for s in site.control('GET', '/api/sessions')['sessions']]}")

        say("Serving ConAktiv 2.0.0 over FTP and catching mail over SMTP (both on 127.0.0.1)")
        packages = work / "ftp"
        packages.mkdir()
        package = build_package(packages / "ConAktiv-2.0.0.zip", "2.0.0", files=50)
        ftp = FtpServer(packages, "conaktiv", secrets.token_urlsafe(12), work_dir=work / "ftp-server")
        ftp.start()
        cleanup.callback(_keep_going, ftp.stop)
        smtp = SmtpServer(work / "maildir", work_dir=work / "smtp-server", config=SmtpConfig())
        smtp.start()
        cleanup.callback(_keep_going, smtp.stop)
        print(f"package: {ftp.url}{package.name} ({package.stat().st_size} bytes)")

        inventory_file = work / "inventory.yml"
        inventory_file.write_text(yaml.safe_dump(inventory(site, ftp, smtp, package), sort_keys=False), encoding="utf-8")
        before = site.server_status() or {}
        say("Running the update playbook")
        started = time.monotonic()
        rc = run_update(work, inventory_file)
        elapsed = time.monotonic() - started
        return report(site, smtp, before, rc, elapsed)


def report(site: Site, smtp: SmtpServer, before: dict, rc: int, elapsed: float) -> int:
    """Print what the update did; 0 when it did what the demo promises."""
    say("Result")
    after = site.server_status() or {}
    history_file = site.root / "conaktiv-update-history.jsonl"
    history = [json.loads(line) for line in history_file.read_text().splitlines()] if history_file.exists() else [{}]
    record = history[-1]
    print(f"version before: {before.get('version')}  after: {after.get('version')} ({after.get('state')}, "
          f"data structure {after.get('structure_version')})")
    print(f"playbook: exit {rc} in {elapsed:.0f} s; server down for {record.get('downtime_s')} s")
    print("messages the users saw:")
    for message in site.messages():
        print(f"  to {', '.join(message['delivered_to']) or 'nobody'}: {message['text']}")
    print("history record:")
    print(json.dumps(record, indent=2))
    mails = smtp.messages()
    print("mail to the admin:")
    for mail in mails:
        print(f"  To: {mail.message['To']}\n  Subject: {mail.message['Subject']}\n")
        # The text part (the mail also carries an HTML alternative).
        print("\n".join("    " + line for line in mail.message.get_body(preferencelist=("plain",)).get_content().splitlines()))
    ok = rc == 0 and after.get("version") == "2.0.0" and record.get("outcome") == "updated" and len(mails) == 1
    say("Demo " + ("succeeded" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
