"""Control interface, client protocol, sessions with logoff after a message, messages.log, online backup."""

from __future__ import annotations

import hashlib
import json
import socket
import time
import zipfile
from pathlib import Path
from typing import Dict, List

import pytest

from conaktiv_sim.testing import ControlError, Site


def users_of(site: Site) -> List[str]:
    """Users with a session, in login order."""
    return [session["user"] for session in site.control("GET", "/api/sessions")["sessions"]]


def wait_for(condition, timeout: float = 5.0) -> None:
    """Poll until condition() is true."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_every_request_needs_the_token(running_site: Site) -> None:
    assert running_site.control_raw("GET", "/api/status", token="")[0] == 401
    status, body = running_site.control_raw("POST", "/api/message", {"text": "x"}, token="wrong")
    assert status == 401 and "X-ConAktiv-Token" in body["error"]
    assert running_site.messages() == []


def test_control_errors(running_site: Site) -> None:
    assert running_site.control_raw("GET", "/api/nothing")[0] == 404
    assert running_site.control_raw("DELETE", "/api/status")[0] == 405
    assert running_site.control_raw("POST", "/api/sessions", {"name": "anna"})[0] == 400
    assert running_site.control_raw("POST", "/api/sessions", {"user": "anna", "logoff_after": "soon"})[0] == 400
    assert running_site.control_raw("POST", "/api/message", {"message": "x"})[0] == 400
    assert running_site.control_raw("DELETE", "/api/sessions/nobody")[0] == 404
    with pytest.raises(ControlError) as error:
        running_site.control("GET", "/api/nothing")
    assert error.value.status == 404


def test_simulated_sessions_log_off_after_a_message(running_site: Site) -> None:
    running_site.login("anna", logoff_after=0.3)
    running_site.login("ben")
    running_site.login("carla", logoff_after=0)
    sessions = running_site.control("GET", "/api/sessions")["sessions"]
    assert [(s["user"], s["client"], s["logoff_after"]) for s in sessions] == [
        ("anna", "simulated", 0.3), ("ben", "simulated", None), ("carla", "simulated", 0.0)]
    assert running_site.control("GET", "/api/status")["sessions"] == 3
    time.sleep(0.4)
    assert users_of(running_site) == ["anna", "ben", "carla"]  # nobody leaves before a message
    sent = time.monotonic()
    assert running_site.control("POST", "/api/message", {"text": "Update in 5 Minuten"}) == {"delivered_to": ["anna", "ben", "carla"]}
    wait_for(lambda: users_of(running_site) == ["anna", "ben"], timeout=2)
    wait_for(lambda: users_of(running_site) == ["ben"], timeout=3)
    assert time.monotonic() - sent >= 0.3
    time.sleep(0.3)
    assert users_of(running_site) == ["ben"]
    assert running_site.control("DELETE", "/api/sessions/ben") == {"logged_off": 1}
    assert users_of(running_site) == []


def test_messages_are_recorded(running_site: Site) -> None:
    running_site.login("anna")
    running_site.control("POST", "/api/message", {"text": "erste"})
    running_site.control("DELETE", "/api/sessions/anna")
    running_site.control("POST", "/api/message", {"text": "zweite\nZeile"})
    messages = running_site.messages()
    assert [(m["text"], m["delivered_to"]) for m in messages] == [("erste", ["anna"]), ("zweite\nZeile", [])]
    assert all(m["time"] for m in messages)


def test_tcp_users_log_off_after_a_message_or_never(running_site: Site) -> None:
    users = running_site.tcp_users({"anna": 0.3, "ben": None})
    sessions = running_site.control("GET", "/api/sessions")["sessions"]
    assert sorted((s["user"], s["client"]) for s in sessions) == [("anna", "tcp"), ("ben", "tcp")]
    assert sorted(running_site.control("POST", "/api/message", {"text": "Server stoppt"})["delivered_to"]) == ["anna", "ben"]
    wait_for(lambda: users_of(running_site) == ["ben"], timeout=3)
    output = users.wait_output("anna logged off")
    assert "anna received: Server stoppt" in output and "ben received: Server stoppt" in output
    time.sleep(0.5)
    assert users_of(running_site) == ["ben"] and users.poll() is None
    running_site.control("DELETE", "/api/sessions/ben")
    assert users.wait(5) == 0
    assert "ben disconnected by server" in users.output()


def test_tcp_users_are_disconnected_when_the_server_stops(running_site: Site) -> None:
    users = running_site.tcp_users({"anna": None})
    running_site.stop()
    assert users.wait(5) == 0
    assert "anna disconnected by server" in users.output()


def test_client_protocol(running_site: Site) -> None:
    with socket.create_connection(("127.0.0.1", running_site.client_port), timeout=5) as connection:
        reader = connection.makefile("r", encoding="utf-8")
        connection.sendall(b"HELLO\n")
        assert reader.readline() == "ERROR expected LOGIN <user>\n"
        connection.sendall("LOGIN jörg\n".encode("utf-8"))
        assert reader.readline() == "OK\n"
        assert users_of(running_site) == ["jörg"]
        running_site.control("POST", "/api/message", {"text": "Hallo"})
        assert reader.readline() == "MESSAGE Hallo\n"
        connection.sendall(b"LOGOFF\n")
        assert reader.readline() == ""
    wait_for(lambda: users_of(running_site) == [])


def zip_json(archive: zipfile.ZipFile, name: str) -> Dict:
    """Parse a JSON member."""
    return json.loads(archive.read(name))


def test_online_backup_is_consistent(running_site: Site) -> None:
    users = running_site.tcp_users({"anna": None})  # logged-in users keep writing to the data folder
    journal = running_site.data_dir / "activity" / "journal.json"
    wait_for(journal.exists)
    sequences = []
    for number in range(6):
        result = running_site.control("POST", "/api/backup", {"label": f"pre {number}"})
        path = Path(result["path"])
        assert path.parent == running_site.backup_dir and path.name.endswith(".zip")
        assert result["size"] == path.stat().st_size
        assert result["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
            names = set(archive.namelist())
            seq = zip_json(archive, "ConAktiv Data/activity/journal.json")["seq"]
            assert zip_json(archive, "ConAktiv Data/activity/index.json")["seq"] == seq, "backup caught a write half done"
            assert zip_json(archive, "conaktiv-backup.json")["version"] == "1.0.0"
            for record in sorted((running_site.data_dir / "records").glob("*.json"))[:5]:
                assert archive.read(f"ConAktiv Data/records/{record.name}") == record.read_bytes()
        sequences.append(seq)
        time.sleep(0.12)
    assert sequences == sorted(sequences) and sequences[-1] > sequences[0]  # writes went on between backups
    assert {"ConAktiv Data/structure.json", "Server Database/Preferences/settings.json", "Server Database/cert.pem",
            "Server Database/Resources/Hunspell/custom.dic"} <= names
    assert not {"ConAktiv Data/.lock", "ConAktiv Data/server.pid"} & names
    assert len(running_site.backups()) == 5  # keep: 5 of backup.json
    assert not list(running_site.backup_dir.glob(".*"))
    users.close()


def test_backup_with_relative_backup_folder(site: Site) -> None:
    backup_json = site.server_dir / "Server Database" / "Preferences" / "backup.json"
    backup_json.write_text(json.dumps({"backup_folder": "Sicherungen", "keep": 0}))
    site.start()
    site.wait_state("ready")
    result = site.control("POST", "/api/backup", None)
    assert Path(result["path"]).parent == site.root / "Sicherungen"
    assert "-manual-" in Path(result["path"]).name
