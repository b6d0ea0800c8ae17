"""After the failed update of each host (fail-start: 2.0.0 cannot start; fail-structure: its structure update fails):
1.0.0 runs again with its data and settings as before, the history records the failure with its phase, the admin knows."""

from __future__ import annotations

import typing as t


def test_the_old_version_runs_again(site: t.Any) -> None:
    """The wrapper reports the server running from the server folder, which holds 1.0.0 again, and it answers ready as 1.0.0."""
    site.assert_runs(site.expected["version_before"])


def test_the_user_data_records_are_unchanged(site: t.Any) -> None:
    """Every record is byte for byte as before the update (restored where the new version had touched it)."""
    before = site.expected["checksums"]["records"]
    assert before, "prepare did not checksum the records"
    assert site.checksums("records") == before
    assert '"structure_version": "1.0.0"' in site.text("ConAktiv Data", "structure.json")


def test_the_server_database_is_unchanged(site: t.Any) -> None:
    """The old server folder's Server Database (Preferences, certificates, dictionaries, logs) is back as it was."""
    before = site.expected["checksums"]["server_database"]
    assert before, "prepare did not checksum the Server Database"
    assert site.checksums("server_database") == before


def test_the_history_records_the_failure_and_the_rollback(site: t.Any) -> None:
    """One record: rolled back, failed in the expected phase with an error, and the old version started again."""
    (record,) = site.history()
    assert record["outcome"] == "rolled_back" and record["failed_phase"] == site.expected["failed_phase"]
    assert record["error"]
    versions = (site.expected["version_before"], site.expected["version_after"])
    assert (record["from_version"], record["to_version"]) == versions
    phases = {phase["name"]: phase for phase in record["phases"]}
    assert phases[site.expected["failed_phase"]]["outcome"] == "failed"
    assert "rollback_swap" in phases and "rollback_start" in phases


def test_the_admin_got_one_failure_mail(site: t.Any) -> None:
    """Exactly one mail about this host, to the administrator, saying rolled back and naming the failed phase."""
    ((envelope, message),) = site.mails()
    assert envelope["rcpt_tos"] == [site.expected["admin_email"]]
    versions = f"{site.expected['version_before']} -> {site.expected['version_after']}"
    assert str(message["Subject"]).strip() == f"[ZURÜCKGEROLLT] ConAktiv-Update auf {site.name}: zurückgerollt ({versions})"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"Phase:         {site.expected['failed_phase']}" in body and site.info["token"] not in body
