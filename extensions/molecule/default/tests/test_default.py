"""After converge and idempotence: the ConAktiv server runs 2.0.0 with everything it had to keep, cleaned up, recorded, mailed."""

from __future__ import annotations

import json
import typing as t

from conftest import checksums, control_status, history, mails, site_path, wrapper_pid

SERVER = "ConAktiv Server"
PHASES = ["stage", "backup_pre", "stop", "swap", "start", "structure_update", "backup_post", "cleanup"]
# The vendor's carry-over list, as files: prepare checksummed these folders and files before the update.
PRESERVED_FILES = {f"{SERVER}/Server Database/{name}" for name in ("Preferences/settings.json", "Preferences/backup.json", "cert.pem",
                                                                   "key.pem", "Resources/Hunspell/custom.dic")}


def test_the_new_version_runs(host: t.Any, expected: dict[str, t.Any]) -> None:
    """The wrapper reports the server running from the server folder, which holds 2.0.0, and it answers as 2.0.0."""
    process = host.process.get(pid=wrapper_pid(host, expected))
    assert "conaktiv_server.py" in process.args and expected["site"]["server_dir"] in process.args
    assert host.file(site_path(expected, SERVER, "version.txt")).content_string.strip() == expected["version_after"]
    status = control_status(host, expected)
    assert (status["version"], status["structure_version"], status["state"]) == (expected["version_after"],) * 2 + ("ready",)
    assert host.socket(f"tcp://127.0.0.1:{expected['site']['client_port']}").is_listening


def test_preferences_certificates_and_dictionaries_are_byte_identical(host: t.Any, expected: dict[str, t.Any]) -> None:
    """Preferences, cert.pem, key.pem and Hunspell are exactly what the old version had, file for file."""
    before = expected["checksums"]["preserved"]
    assert PRESERVED_FILES <= set(before), "prepare did not checksum the vendor's carry-over list"
    assert checksums(host, expected, "preserved") == before


def test_the_package_defaults_did_not_replace_the_settings(host: t.Any, expected: dict[str, t.Any]) -> None:
    """The new version runs on the site's own ports and token, not on the package's default Preferences."""
    settings = json.loads(host.file(site_path(expected, SERVER, "Server Database/Preferences/settings.json")).content_string)
    site = expected["site"]
    assert (settings["client_port"], settings["control_port"], settings["control_token"]) == (site["client_port"], site["control_port"],
                                                                                              site["token"])


def test_the_old_and_the_temporary_folder_are_gone(host: t.Any, expected: dict[str, t.Any]) -> None:
    """Neither Temp_Updateordner nor any ConAktiv Server_oldNNNN is left beside the server folder."""
    entries = host.file(expected["site"]["root"]).listdir()
    assert SERVER in entries
    assert "Temp_Updateordner" not in entries
    assert not [name for name in entries if name.startswith(f"{SERVER}_old")]


def test_the_user_data_went_through_the_structure_update(host: t.Any, expected: dict[str, t.Any]) -> None:
    """Every record is still there, rewritten for the new structure, and the structure update log says it finished."""
    before = expected["checksums"]["records"]
    now = checksums(host, expected, "records")
    assert set(now) == set(before) and len(before) == 60
    assert all(now[path] != before[path] for path in before), "the structure update rewrites every record"
    log = host.file(site_path(expected, "ConAktiv Data/Logs/structure-update.log")).content_string
    assert f"structure update {expected['version_before']} -> {expected['version_after']} finished" in log


def test_the_users_were_told_and_logged_off_by_themselves(host: t.Any, expected: dict[str, t.Any]) -> None:
    """The stop message reached all three users, and the client users logged off on their own before the stop."""
    messages = [json.loads(line) for line in host.file(site_path(expected, "service/messages.log")).content_string.splitlines()]
    assert messages and expected["version_after"] in messages[0]["text"]
    assert sorted(messages[0]["delivered_to"]) == ["anna", "ben", "carla"]
    users = host.file(expected["users_log"]).content_string
    assert "anna logged off" in users and "ben logged off" in users and "all logged off" in users
    assert "disconnected by server" not in users


def test_the_history_holds_one_successful_run(host: t.Any, expected: dict[str, t.Any]) -> None:
    """One record (the idempotence run added none): updated 1.0.0 -> 2.0.0 with every phase and both backups."""
    (record,) = history(host, expected)
    assert (record["outcome"], record["from_version"], record["to_version"]) == ("updated", expected["version_before"],
                                                                                 expected["version_after"])
    assert record["failed_phase"] is None and record["error"] is None
    assert [phase["name"] for phase in record["phases"]] == PHASES
    assert record["downtime_s"] > 0 and {backup["label"] for backup in record["backups"]} == {"pre", "post"}
    for backup in record["backups"]:
        assert host.file(backup["path"]).is_file


def test_the_admin_got_one_mail_about_the_update(host: t.Any, expected: dict[str, t.Any]) -> None:
    """Exactly one mail, to the administrator for server messages, saying updated 1.0.0 -> 2.0.0."""
    ((envelope, message),) = mails(host, expected)
    assert envelope["rcpt_tos"] == [expected["admin_email"]] and message["To"] == expected["admin_email"]
    name = host.backend.get_hostname()
    assert message["Subject"] == f"ConAktiv update on {name}: updated ({expected['version_before']} -> {expected['version_after']})"
    body = message.get_content()
    assert "Outcome:      updated" in body and expected["site"]["token"] not in body
