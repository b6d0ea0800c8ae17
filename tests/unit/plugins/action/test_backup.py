# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decision logic of conaktiv.server.backup: names, the three methods, retention, reuse and restore."""

from __future__ import annotations

import datetime
import hashlib
import io
import types
import typing as t
import zipfile

import pytest

from ansible_collections.conaktiv.server.plugins.action import backup
from ansible_collections.conaktiv.server.plugins.plugin_utils import _backup_names
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import CommandResult, HttpResponse

BACKUPS = "/srv/backups"
CONTROL = {"type": "http", "url": "http://127.0.0.1:2049"}
SYSTEMD = {"manager": "systemd", "name": "conaktiv"}
NOW = datetime.datetime(2026, 11, 23, 22, 1, 15)
NAME = "ConAktiv-backup-pre-2.0.0-20261123-220115.zip"


class FixedDatetime(datetime.datetime):
    """``datetime.datetime`` whose now() is NOW."""

    @classmethod
    def now(cls, tz: datetime.tzinfo | None = None) -> FixedDatetime:  # type: ignore[override]
        return cls(NOW.year, NOW.month, NOW.day, NOW.hour, NOW.minute, NOW.second, tzinfo=tz)


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup, "datetime", types.SimpleNamespace(datetime=FixedDatetime, timezone=datetime.timezone,
                                                                  timedelta=datetime.timedelta))


def online_backup(host: t.Any, path: str = "/srv/ConAktiv Data/Backups/online.zip", content: bytes = b"PK-online",
                  sha256: str | None = None) -> list[t.Any]:
    """The server's online backup: writes ``path`` when asked and reports it."""
    asked: list[t.Any] = []

    def handler(method: str, url: str, headers: dict[str, str], body: t.Any) -> HttpResponse:
        if url.endswith("/api/backup"):
            asked.append(body)
            host.add_file(path, content)
            return HttpResponse(200, {"path": path, "sha256": sha256 or hashlib.sha256(content).hexdigest()})
        return HttpResponse(200, {"state": "ready"})

    host.http_handler = handler
    return asked


def run(make_action: t.Callable[..., t.Any], check_mode: bool = False, **args: t.Any) -> dict[str, t.Any]:
    return make_action(backup, {"version": "2.0.0", "control": CONTROL, **args}, check_mode=check_mode).run(task_vars={})


# -- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "version", "name"), [
    ("pre", "2.0.0", NAME),
    ("post_update", "9.0 beta/2", "ConAktiv-backup-post_update-9.0_beta_2-20261123-220115.zip"),
])
def test_backup_name(label: str, version: str, name: str):
    assert _backup_names.backup_name(label, version, NOW) == name


def test_our_backups_are_recognised_and_sorted_by_time():
    names = ["ConAktiv-backup-pre-2.0.0-20261123-220115.zip", "other.zip", "ConAktiv-backup-post-1.0-20250101-000000.zip",
             "ConAktiv-backup-pre-1.0-2026.zip", "ConAktiv-backup-notes.txt", "conaktiv-backup-pre-1.0-20240101-000000.zip"]
    expected = ["ConAktiv-backup-post-1.0-20250101-000000.zip", "ConAktiv-backup-pre-2.0.0-20261123-220115.zip"]
    assert [name for name, _match in _backup_names.our_backups(names)] == expected


# -- server method --------------------------------------------------------------------------------


def test_online_backup_is_checked_and_renamed_into_the_backup_folder(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    asked = online_backup(fake_host)
    result = run(make_action, backup_dir=BACKUPS, label="pre")
    assert result["changed"] is True, result.get("msg")
    assert asked == [{"label": "pre"}]
    assert result["path"] == f"{BACKUPS}/{NAME}"
    assert result["sha256"] == hashlib.sha256(b"PK-online").hexdigest() and result["size"] == 9
    assert fake_host.exists(f"{BACKUPS}/{NAME}") and not fake_host.exists("/srv/ConAktiv Data/Backups/online.zip")


def test_online_backup_without_backup_dir_stays_beside_the_server_file(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    online_backup(fake_host)
    assert run(make_action)["path"] == f"/srv/ConAktiv Data/Backups/{NAME}"


def test_a_checksum_other_than_the_server_reported_fails(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    online_backup(fake_host, sha256="0" * 64)
    result = run(make_action, backup_dir=BACKUPS)
    assert result["msg"] == "the backup /srv/ConAktiv Data/Backups/online.zip does not match the checksum the server reported"
    assert not fake_host.exists(f"{BACKUPS}/{NAME}")


def test_an_empty_backup_fails(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    online_backup(fake_host, content=b"")
    assert run(make_action, backup_dir=BACKUPS)["msg"] == "the server backup did not produce a file at /srv/ConAktiv Data/Backups/online.zip"


def test_check_mode_makes_no_backup(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    asked = online_backup(fake_host)
    result = run(make_action, check_mode=True, backup_dir=BACKUPS)
    assert result == {**result, "changed": True, "msg": f"would make a server backup {NAME}"}
    assert asked == [] and fake_host.check_mode_violations == []


def test_a_recent_backup_is_reused(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    asked = online_backup(fake_host)
    fake_host.add_file(f"{BACKUPS}/ConAktiv-backup-pre-2.0.0-20261123-215000.zip", b"earlier")
    result = run(make_action, backup_dir=BACKUPS, max_age=900)
    assert result["changed"] is False
    assert result["path"] == f"{BACKUPS}/ConAktiv-backup-pre-2.0.0-20261123-215000.zip"
    assert asked == []
    assert run(make_action, backup_dir=BACKUPS, max_age=600)["changed"] is True  # 675 s old: too old now


def test_an_invalid_label_is_refused(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    assert run(make_action, label="pre-update")["msg"] == "label 'pre-update' may only contain letters, digits and '_'"
    assert fake_host.calls == []


# -- retention ------------------------------------------------------------------------------------


def test_retention_removes_only_our_own_older_files(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    online_backup(fake_host)
    ours = ["ConAktiv-backup-pre-1.0.0-20250101-220000.zip", "ConAktiv-backup-post-1.0.0-20250102-010000.zip",
            "ConAktiv-backup-pre-1.5.0-20260601-220000.zip"]
    foreign = ["ConAktiv-backup-notes.txt", "nightly-20200101.zip", "ConAktiv-backup-pre-0.1-20200101.zip"]
    for name in ours + foreign:
        fake_host.add_file(f"{BACKUPS}/{name}")
    result = run(make_action, backup_dir=BACKUPS, keep=2)
    assert result["removed"] == [f"{BACKUPS}/{ours[0]}", f"{BACKUPS}/{ours[1]}"]
    assert sorted(fake_host.list_dir(BACKUPS)) == sorted([ours[2], NAME] + foreign)


def test_keep_zero_keeps_everything(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    online_backup(fake_host)
    fake_host.add_file(f"{BACKUPS}/ConAktiv-backup-pre-1.0.0-20250101-220000.zip")
    assert run(make_action, backup_dir=BACKUPS, keep=0)["removed"] == []
    assert len(fake_host.list_dir(BACKUPS)) == 2


def test_retention_never_removes_the_backup_just_made(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    online_backup(fake_host)
    fake_host.add_file(f"{BACKUPS}/ConAktiv-backup-pre-1.9.0-20261123-223000.zip")  # made before the clocks went back
    result = run(make_action, backup_dir=BACKUPS, keep=1)
    assert fake_host.exists(result["path"])


# -- command and archive methods ------------------------------------------------------------------


def test_command_backup_fills_in_the_placeholders(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    def command(argv: list[str]) -> CommandResult:
        fake_host.add_file(argv[-1], b"PK-command")
        return CommandResult(0, "done", "")

    fake_host.command_handler = command
    result = run(make_action, method="command", backup_dir=BACKUPS, command=["/opt/backup", "--label={label}", "--v={version}", "{path}"])
    assert fake_host.ops("run") == [(("/opt/backup", "--label=pre", "--v=2.0.0", f"{BACKUPS}/{NAME}"), False)]
    assert result["path"] == f"{BACKUPS}/{NAME}" and result["method"] == "command"


def test_a_failing_backup_command_shows_its_output(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.command_handler = lambda argv: CommandResult(3, "", "x" * 600 + "disk full\n")
    result = run(make_action, method="command", backup_dir=BACKUPS, command=["/opt/backup", "{path}"])
    assert result["msg"].startswith("the backup command exited 3: xxx") and result["msg"].endswith("disk full")
    assert len(result["msg"]) < 560


ARCHIVE = {"method": "archive", "backup_dir": BACKUPS, "server_path": "/srv/ConAktiv Server", "data_path": "/srv/ConAktiv Data",
           "service": SYSTEMD, "control": None}


def test_archive_backup_refuses_a_running_server(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.services["conaktiv"] = "running"
    result = run(make_action, **ARCHIVE)
    assert result["msg"] == "an archive backup is only consistent while the server is stopped; use method 'server' while it runs"
    assert fake_host.ops("make_zip") == []


def test_archive_backup_zips_data_and_server_database(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.services["conaktiv"] = "stopped"
    fake_host.add_file("/srv/ConAktiv Data/users.db", b"users")
    fake_host.add_file("/srv/ConAktiv Server/Server Database/Preferences/p", b"prefs")
    result = run(make_action, **ARCHIVE)
    assert fake_host.ops("make_zip") == [(("/srv/ConAktiv Data", "/srv/ConAktiv Server/Server Database"), f"{BACKUPS}/{NAME}")]
    with zipfile.ZipFile(io.BytesIO(fake_host.files[result["path"]])) as archive:
        assert {"ConAktiv Data/users.db", "Server Database/Preferences/p"} <= set(archive.namelist())


def test_archive_backup_needs_a_way_to_tell_the_server_stopped(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    result = run(make_action, **{**ARCHIVE, "service": None})
    assert result["msg"] == "an archive backup or a restore needs service or control set, to make sure the server is stopped"


# -- restore --------------------------------------------------------------------------------------


def test_restore_puts_the_data_back_and_keeps_the_replaced_data(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.services["conaktiv"] = "stopped"
    fake_host.add_file("/srv/ConAktiv Data/users.db", b"before the update")
    made = run(make_action, **ARCHIVE)["path"]
    fake_host.add_file("/srv/ConAktiv Data/users.db", b"migrated by 2.0.0")
    result = run(make_action, state="restored", path=made, data_path="/srv/ConAktiv Data", service=SYSTEMD, control=None)
    assert result["changed"] is True, result.get("msg")
    assert fake_host.files["/srv/ConAktiv Data/users.db"] == b"before the update"
    assert result["replaced_data"] == "/srv/ConAktiv Data_failed0001"
    assert fake_host.files["/srv/ConAktiv Data_failed0001/users.db"] == b"migrated by 2.0.0"
    assert not fake_host.exists("/srv/ConAktiv Data.restore")


def test_restore_from_a_backup_without_the_data_folder_leaves_the_data(fake_host: t.Any, make_action: t.Callable[..., t.Any]):
    fake_host.services["conaktiv"] = "stopped"
    fake_host.add_file("/srv/ConAktiv Data/users.db", b"current")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Other/users.db", "x")
    fake_host.add_file(f"{BACKUPS}/foreign.zip", buffer.getvalue())
    result = run(make_action, state="restored", path=f"{BACKUPS}/foreign.zip", data_path="/srv/ConAktiv Data", service=SYSTEMD)
    assert result["msg"] == f"the backup {BACKUPS}/foreign.zip holds no folder 'ConAktiv Data'; the data folder was left as it is"
    assert fake_host.files["/srv/ConAktiv Data/users.db"] == b"current"
    assert not fake_host.exists("/srv/ConAktiv Data.restore")
