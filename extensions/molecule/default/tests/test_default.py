"""After converge and idempotence: the ConAktiv server runs 2.0.0 with everything it had to keep, cleaned up, recorded, mailed."""

from __future__ import annotations

import json
import typing as t

SERVER = "ConAktiv Server"
PHASES = ["stage", "backup_pre", "stop", "swap", "start", "structure_update", "backup_post", "cleanup"]
# The vendor's carry-over list, as files: prepare checksummed these folders and files before the update.
PRESERVED_FILES = {f"{SERVER}/Server Database/{name}" for name in ("Preferences/settings.json", "Preferences/backup.json", "cert.pem",
                                                                   "key.pem", "Resources/Hunspell/custom.dic")}
RECORDS = 60


def test_the_new_version_runs(site: t.Any) -> None:
    """The wrapper reports the server running from the server folder, which holds 2.0.0, and it answers ready as 2.0.0."""
    site.assert_runs(site.expected["version_after"])


def test_preferences_certificates_and_dictionaries_are_byte_identical(site: t.Any) -> None:
    """Preferences, cert.pem, key.pem and Hunspell are exactly what the old version had, file for file."""
    before = site.expected["checksums"]["preserved"]
    assert PRESERVED_FILES <= set(before), "prepare did not checksum the vendor's carry-over list"
    assert site.checksums("preserved") == before


def test_the_new_version_runs_on_the_sites_settings(site: t.Any) -> None:
    """The new version runs on the site's own ports and token, not on the package's default Preferences."""
    settings = json.loads(site.text(SERVER, "Server Database", "Preferences", "settings.json"))
    assert (settings["client_port"], settings["control_port"]) == (site.info["client_port"], site.info["control_port"])
    assert settings["control_token"] == site.info["token"]


def test_the_old_and_the_temporary_folder_are_gone(site: t.Any) -> None:
    """Neither Temp_Updateordner nor any ConAktiv Server_oldNNNN is left beside the server folder."""
    entries = site.host.file(site.path()).listdir()
    assert SERVER in entries
    assert "Temp_Updateordner" not in entries
    assert not [name for name in entries if name.startswith(f"{SERVER}_old")]


def test_the_user_data_went_through_the_structure_update(site: t.Any) -> None:
    """Every record is still there, rewritten for the new structure, and the structure update log says it finished."""
    before = site.expected["checksums"]["records"]
    now = site.checksums("records")
    assert len(before) == RECORDS and set(now) == set(before)
    assert all(now[path] != before[path] for path in before), "the structure update rewrites every record"
    log = site.text("ConAktiv Data", "Logs", "structure-update.log")
    assert f"structure update {site.expected['version_before']} -> {site.expected['version_after']} finished" in log


def test_the_users_were_told_and_logged_off_by_themselves(site: t.Any) -> None:
    """The stop message reached all three users, and the client users logged off on their own before the stop."""
    messages = [json.loads(line) for line in site.text("service", "messages.log").splitlines()]
    assert messages and site.expected["version_after"] in messages[0]["text"]
    assert sorted(messages[0]["delivered_to"]) == ["anna", "ben", "carla"]
    users = site.host.file(site.expected["users_log"]).content_string
    assert "anna logged off" in users and "ben logged off" in users and "all logged off" in users
    assert "disconnected by server" not in users


def test_the_history_holds_one_successful_run(site: t.Any) -> None:
    """One record (the idempotence run added none): updated 1.0.0 -> 2.0.0, every phase, both backups on disk."""
    (record,) = site.history()
    versions = (site.expected["version_before"], site.expected["version_after"])
    assert (record["outcome"], record["from_version"], record["to_version"]) == ("updated", *versions)
    assert record["failed_phase"] is None and record["error"] is None
    assert [phase["name"] for phase in record["phases"]] == PHASES
    assert record["downtime_s"] > 0 and {backup["label"] for backup in record["backups"]} == {"pre", "post"}
    assert all(site.host.file(backup["path"]).is_file for backup in record["backups"])


def test_the_admin_got_one_mail_about_the_update(site: t.Any) -> None:
    """Exactly one mail, to the administrator for server messages, saying updated 1.0.0 -> 2.0.0, without the token."""
    ((envelope, message),) = site.mails()
    admin = site.expected["admin_email"]
    assert envelope["rcpt_tos"] == [admin] and message["To"] == admin
    versions = f"{site.expected['version_before']} -> {site.expected['version_after']}"
    assert message["Subject"] == f"ConAktiv-Update auf {site.name}: aktualisiert ({versions})"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Ergebnis:      aktualisiert" in body and site.info["token"] not in body
