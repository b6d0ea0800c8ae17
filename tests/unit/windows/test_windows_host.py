# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WindowsHost, method by method, against the emulated Windows host (Windows realities included)."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tarfile
import threading
import time
import zipfile

import pytest
from winemu import FULL_CONTROL, READ_AND_EXECUTE, Ace, zip_names

from ansible_collections.conaktiv.server.plugins.plugin_utils._history import parse_history
from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import ModuleFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._service import ServiceError
from ansible_collections.conaktiv.server.plugins.plugin_utils._windows_host import CLAIM_SCRIPT, MOVE_SCRIPT, WindowsHost, dotnet_regex

UMLAUT = "D:\\Büro Müller\\ConAktiv Server"


@pytest.fixture
def host(world) -> WindowsHost:
    return world.host()


def modules(emulator) -> list[str]:
    return [call.module for call in emulator.calls]


# -- paths (no round trip) ---------------------------------------------------------------------------


def test_paths_follow_windows_rules(host, emulator):
    assert host.join("D:\\ConAktiv", "ConAktiv Server", "Server Database") == "D:\\ConAktiv\\ConAktiv Server\\Server Database"
    assert host.join("D:/ConAktiv", "x") == "D:\\ConAktiv\\x"
    assert host.parent("D:\\ConAktiv\\ConAktiv Server") == "D:\\ConAktiv" and host.name(UMLAUT) == "ConAktiv Server"
    assert host.parent("\\\\fileserver\\Pakete\\2.0.0") == "\\\\fileserver\\Pakete\\"
    assert host.is_absolute("D:\\x") and host.is_absolute("\\\\srv\\share\\x")
    assert not host.is_absolute("D:x") and not host.is_absolute("\\x") and not host.is_absolute("/opt/conaktiv")
    assert host.same_name("ConAktiv Server_OLD0001", "conaktiv server_old0001") and host.same_name("Büro", "BÜRO")
    assert host.family == "windows" and host.case_insensitive and not emulator.calls


# -- file system ----------------------------------------------------------------------------------------


def test_stat_reads_size_and_checksum_case_insensitively(host, emulator):
    emulator.write(f"{UMLAUT}\\Server Database\\cert.pem", "Zertifikat äöü")
    found = host.stat("d:\\BÜRO MÜLLER\\conaktiv server\\server database\\CERT.PEM", "sha256")
    assert found.exists and not found.is_dir and found.size == len("Zertifikat äöü".encode())
    assert found.checksum == hashlib.sha256("Zertifikat äöü".encode()).hexdigest() and found.mode is None
    assert host.stat(UMLAUT).is_dir and not host.stat(f"{UMLAUT}\\missing").exists
    with pytest.raises(ValueError, match="sha224"):
        host.stat(UMLAUT, "sha224")
    assert modules(emulator) == ["ansible.windows.win_stat"] * 3


def test_stat_reports_the_modification_time_and_links_without_following_them(host, emulator):
    server = emulator.write("D:\\ConAktiv\\ConAktiv Server\\version.txt", "2.0.0")
    os.utime(server, (1_790_000_000.25, 1_790_000_000.25))
    found = host.stat("D:\\ConAktiv\\ConAktiv Server\\version.txt")
    assert found.mtime == 1_790_000_000.25 and not found.is_link and found.link_target is None
    emulator.fs.link("D:\\ConAktiv\\current", "ConAktiv Server")
    emulator.fs.link("D:\\ConAktiv\\fixed", "D:\\ConAktiv\\ConAktiv Server", junction=True)
    emulator.fs.link("D:\\ConAktiv\\version-link.txt", "ConAktiv Server\\version.txt")
    relative, junction = host.stat("D:\\ConAktiv\\current"), host.stat("d:\\conaktiv\\FIXED")
    assert relative.is_link and relative.is_dir and relative.link_target == "D:\\ConAktiv\\ConAktiv Server", "made absolute (lnk_source)"
    assert junction.is_link and junction.is_dir and junction.link_target == "D:\\ConAktiv\\ConAktiv Server", "a junction is a link too"
    to_file = host.stat("D:\\ConAktiv\\version-link.txt", "sha256")
    assert to_file.is_link and not to_file.is_dir and to_file.checksum == hashlib.sha256(b"2.0.0").hexdigest()
    assert not host.stat("D:\\ConAktiv").is_link and host.stat("D:\\ConAktiv").mtime is not None


def test_list_dirs_asks_win_find_once_per_level_and_never_for_a_missing_folder(host, emulator):
    emulator.write("D:\\ConAktiv\\ConAktiv Server\\version.txt", "1.0.0")
    emulator.write("D:\\ConAktiv\\Temp_Updateordner\\stage.json", "{}")
    hidden = emulator.write("D:\\ConAktiv\\desktop.ini", "[.ShellClassInfo]")
    emulator.fs.hidden.add(hidden)
    listing = host.list_dirs(["D:\\ConAktiv", "D:\\ConAktiv\\Temp_Updateordner", "D:\\ConAktiv\\missing", "D:\\ConAktiv\\missing\\deeper"])
    assert listing == {"D:\\ConAktiv": ["ConAktiv Server", "desktop.ini", "Temp_Updateordner"], "D:\\ConAktiv\\Temp_Updateordner": ["stage.json"],
                       "D:\\ConAktiv\\missing": [], "D:\\ConAktiv\\missing\\deeper": []}
    finds = [call for call in emulator.calls if call.module == "ansible.windows.win_find"]
    assert len(finds) == 2 and not any("deeper" in path for call in finds for path in call.args["paths"])
    assert not [warning for call in finds for warning in call.result["warnings"] if "deeper" in warning]


def test_list_existing_dirs_maps_folders_given_in_another_case(host, emulator):
    emulator.write("D:\\ConAktiv\\ConAktiv Server\\version.txt", "1.0.0")
    listing = host.list_existing_dirs(["D:\\ConAktiv\\ConAktiv Server", "d:\\conaktiv\\conaktiv server"])
    assert listing == {"D:\\ConAktiv\\ConAktiv Server": ["version.txt"], "d:\\conaktiv\\conaktiv server": ["version.txt"]}
    (find,) = emulator.calls
    assert find.args["paths"] == ["d:\\conaktiv\\conaktiv server"], "win_find skips a folder it has seen: each is asked once"


def test_make_dir_and_remove_report_changes(host, emulator):
    assert host.make_dir(f"{UMLAUT}\\Server Database\\Preferences") is True
    assert host.make_dir(f"{UMLAUT}\\server database\\preferences") is False
    emulator.write(f"{UMLAUT}\\Server Database\\Preferences\\settings.json", "{}")
    assert host.remove(f"{UMLAUT}\\Server Database") is True and host.remove(f"{UMLAUT}\\Server Database") is False
    assert not emulator.fs.local(f"{UMLAUT}\\Server Database").exists()


def test_remove_retries_a_file_in_use_then_fails_clearly(host, emulator, monkeypatch):
    monkeypatch.setattr(WindowsHost, "in_use_retry_s", 0.5)
    monkeypatch.setattr(WindowsHost, "in_use_backoff_first_s", 0.2)
    emulator.write("D:\\ConAktiv\\old\\a.txt", "a")
    emulator.write("D:\\ConAktiv\\old\\b.log", "b")
    emulator.fs.lock("D:\\ConAktiv\\old\\b.log", release_after=1)
    assert host.remove("D:\\ConAktiv\\old") is True and not emulator.fs.local("D:\\ConAktiv\\old").exists()
    emulator.write("D:\\ConAktiv\\old\\b.log", "b")
    emulator.fs.lock("D:\\ConAktiv\\old\\b.log")
    with pytest.raises(ModuleFailed, match=r"removing D:\\ConAktiv\\old failed: a file in it is still in use .*being used by another process"):
        host.remove("D:\\ConAktiv\\old")


def test_rename_moves_a_folder_with_spaces_and_umlauts(host, emulator):
    emulator.write(f"{UMLAUT}\\version.txt", "1.0.0")
    host.rename(UMLAUT, f"{UMLAUT}_old0001")
    assert emulator.fs.local(f"{UMLAUT}_old0001\\version.txt").read_text() == "1.0.0" and not emulator.fs.local(UMLAUT).exists()
    (call,) = emulator.calls
    assert call.args["script"] == MOVE_SCRIPT and call.args["parameters"] == {"Path": UMLAUT, "Destination": f"{UMLAUT}_old0001"}


def test_rename_refuses_an_existing_target_instead_of_moving_into_it(host, emulator):
    emulator.write("D:\\ConAktiv\\ConAktiv Server\\version.txt", "2.0.0")
    emulator.write("D:\\ConAktiv\\ConAktiv Server_old0001\\version.txt", "1.0.0")
    with pytest.raises(ModuleFailed, match="Cannot create a file when that file already exists"):
        host.rename("D:\\ConAktiv\\ConAktiv Server", "D:\\ConAktiv\\ConAktiv Server_old0001")
    assert not emulator.fs.local("D:\\ConAktiv\\ConAktiv Server_old0001\\ConAktiv Server").exists()
    assert len(emulator.calls) == 1, "only 'in use' is retried"


def test_rename_of_a_folder_across_drives_fails_without_retry_and_a_file_moves(host, emulator):
    emulator.write("C:\\Temp\\ConAktiv Server\\version.txt", "2.0.0")
    with pytest.raises(ModuleFailed, match="identical roots"):
        host.rename("C:\\Temp\\ConAktiv Server", "D:\\ConAktiv\\ConAktiv Server")
    emulator.write("C:\\Backups\\online.zip", b"PK")
    emulator.write("D:\\ConAktiv\\Backups\\keep.txt", "")
    host.rename("C:\\Backups\\online.zip", "D:\\ConAktiv\\Backups\\ConAktiv-backup-pre.zip")
    assert emulator.fs.local("D:\\ConAktiv\\Backups\\ConAktiv-backup-pre.zip").read_bytes() == b"PK"


def test_rename_retries_with_a_capped_backoff_then_fails_clearly(host, emulator, monkeypatch):
    monkeypatch.setattr(WindowsHost, "in_use_retry_s", 1.0)
    monkeypatch.setattr(WindowsHost, "in_use_backoff_first_s", 0.25)
    monkeypatch.setattr(WindowsHost, "in_use_backoff_cap_s", 0.4)
    emulator.write("D:\\ConAktiv\\ConAktiv Server\\lib\\conaktiv.jar", "jar")
    emulator.fs.lock("D:\\ConAktiv\\ConAktiv Server\\lib\\conaktiv.jar")
    started = time.monotonic()
    with pytest.raises(ModuleFailed) as refused:
        host.rename("D:\\ConAktiv\\ConAktiv Server", "D:\\ConAktiv\\ConAktiv Server_old0001")
    waited = time.monotonic() - started
    assert 0.65 <= waited < 2, "pauses of 0.25 s and 0.4 s (0.5 capped), then the deadline"
    assert "Access to the path 'D:\\ConAktiv\\ConAktiv Server' is denied" in refused.value.msg and "tried 3 times" in refused.value.msg
    assert "Nothing was moved: D:\\ConAktiv\\ConAktiv Server is unchanged" in refused.value.msg
    assert emulator.fs.local("D:\\ConAktiv\\ConAktiv Server\\lib\\conaktiv.jar").exists()


def test_text_files_round_trip_with_umlauts_and_a_bom(host, emulator):
    host.make_dir("D:\\Büro Müller")
    host.write_text(f"{UMLAUT}_stage.json", '{"version": "2.0.0", "Größe": 1}\n')
    assert host.read_text(f"{UMLAUT.upper()}_STAGE.JSON") == '{"version": "2.0.0", "Größe": 1}\n'
    emulator.write("D:\\ConAktiv\\edited.txt", "\ufeffvon Hand bearbeitet".encode("utf-8"))
    assert host.read_text("D:\\ConAktiv\\edited.txt") == "von Hand bearbeitet"
    assert host.read_text("D:\\ConAktiv\\missing.txt") is None
    with pytest.raises(ModuleFailed, match="is a directory"):
        host.read_text("D:\\ConAktiv")
    # The real win_copy action plugin wrote through a remote temp folder, which is gone again.
    assert [call.args.get("_copy_mode") for call in emulator.calls if call.module == "ansible.windows.win_copy"] == ["query", "single"]
    assert not list(emulator.fs.local("C:\\Users\\ansible\\AppData\\Local\\Temp").iterdir())


def test_append_line_creates_once_and_reads_back_as_history(host, emulator):
    history = "D:\\ConAktiv\\conaktiv-update-history.jsonl"
    first = '{"run_id": "a", "host": "h", "started": "2026-01-01T00:00:00+00:00", "outcome": "updated"}'
    second = first.replace('"a"', '"b"')
    host.make_dir("D:\\ConAktiv")
    assert host.append_line(history, first) is True and host.append_line(history, first) is False and host.append_line(history, second) is True
    raw = emulator.fs.local(history).read_bytes()
    assert raw == b"\r\n" + first.encode() + b"\r\n" + second.encode(), "win_lineinfile: a created file starts with an empty line, CRLF line ends"
    records, warnings = parse_history(host.read_text(history))
    assert [record.run_id for record in records] == ["a", "b"] and warnings == []
    with pytest.raises(ModuleFailed, match="Could not find a part of the path"):
        host.append_line("D:\\missing folder\\history.jsonl", first)


def test_put_line_appends_then_replaces_the_last_matching_line_with_crlf(host, emulator):
    history = "D:\\ConAktiv\\conaktiv-update-history.jsonl"
    key = re.escape('"run_id":"20261201T220000Z-crm1-ab12"')
    started = '{"run_id":"20261201T220000Z-crm1-ab12","outcome":"started"}'
    done = started.replace("started", "updated")
    host.make_dir("D:\\ConAktiv")
    assert host.put_line(history, started, key) is True
    assert emulator.fs.local(history).read_bytes() == b"\r\n" + started.encode(), "created with an empty first line, no final newline"
    assert host.put_line(history, done, key) is True and host.put_line(history, done, key) is False
    assert emulator.fs.local(history).read_bytes() == b"\r\n" + done.encode()
    lines = [call for call in emulator.calls if call.module == "community.windows.win_lineinfile"]
    assert [call.result["msg"] for call in lines] == ["line added", "line replaced", ""]
    assert all(call.args["regex"] == dotnet_regex(key) and "regexp" not in call.args for call in lines)
    # Several lines match (an older copy of the record): only the last one is replaced, the others stay.
    other = '{"run_id":"20261101T220000Z-crm1-cd34","outcome":"updated"}'
    emulator.write(history, "\n".join([started, other, started, ""]))
    assert host.put_line(history, done, key) is True
    assert emulator.fs.local(history).read_bytes() == "\r\n".join([started, other, done, ""]).encode(), "LF rewritten as CRLF, final newline kept"


def test_put_line_escapes_the_way_dotnet_reads_them(host, emulator):
    """Characters re.escape escapes (- . space # & ~) and escapes Python reads but .NET rejects (\\_ , \\ü) both work."""
    journal = "D:\\Büro Müller\\journal.jsonl"
    host.make_dir("D:\\Büro Müller")
    record = '{"run_id":"2026-12-01 22.00 #1 & ~x_ü","step":"begin"}'
    assert host.put_line(journal, record, re.escape('"run_id":"2026-12-01 22.00 #1 & ~x_ü"')) is True
    assert host.put_line(journal, record.replace("begin", "end"), '"run_id":"2026\\-12\\-01 22\\.00 \\#1 & ~x\\_\\ü"') is True
    assert emulator.fs.local(journal).read_bytes().decode() == "\r\n" + record.replace("begin", "end")
    calls = len(emulator.calls)
    with pytest.raises(ValueError, match="possessive"):
        host.put_line(journal, record, "x++")
    assert len(emulator.calls) == calls, "refused before any call"


def test_claim_creates_an_empty_file_once(host, emulator):
    ticket = "D:\\ConAktiv\\Sperre\\ticket-000001"
    host.make_dir("D:\\ConAktiv\\Sperre")
    assert host.claim(ticket) is True
    assert emulator.fs.local(ticket).is_file() and emulator.fs.local(ticket).read_bytes() == b""
    assert host.claim(ticket) is False and host.claim("d:\\conaktiv\\SPERRE\\Ticket-000001") is False
    claims = [call for call in emulator.calls if call.module == "ansible.windows.win_powershell"]
    assert [call.args["script"] for call in claims] == [CLAIM_SCRIPT] * 3 and claims[0].args["parameters"] == {"Path": ticket}
    assert [(call.changed, call.result["result"]) for call in claims] == [(True, {"created": True})] + [(False, {"created": False})] * 2


@pytest.mark.parametrize("callers", [2, 5])
def test_claim_of_racing_callers_gives_exactly_one_true(world, emulator, callers):
    ticket = "D:\\ConAktiv\\ticket-000002"
    emulator.fs.local("D:\\ConAktiv").mkdir()
    # Every caller reaches the create at the same moment; the file system decides (CreateNew / O_EXCL).
    emulator.claim_barrier = threading.Barrier(callers)
    hosts = [world.host() for dummy in range(callers)]
    results: list[bool] = []
    threads = [threading.Thread(target=lambda host=host: results.append(host.claim(ticket))) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(results) == [False] * (callers - 1) + [True]


def test_claim_of_a_path_held_by_a_folder_is_false(host, emulator):
    emulator.fs.local("D:\\ConAktiv\\ticket-000003").mkdir(parents=True)
    assert host.claim("D:\\ConAktiv\\ticket-000003") is False
    script, stat = emulator.calls
    inner = script.result["error"][0]["exception"]["inner_exception"]
    assert (inner["type"], inner["hresult"]) == ("System.UnauthorizedAccessException", -2147024891), ".NET does not say 'exists' for a folder"
    assert stat.module == "ansible.windows.win_stat", "so whether the path exists decides, as on POSIX"


def test_claim_fails_with_the_real_message_for_anything_but_exists(host, emulator):
    with pytest.raises(ModuleFailed, match=re.escape("creating the lock ticket D:\\Nirgends\\ticket-000001 failed: Could not find a part of the path "
                                                     "'D:\\Nirgends\\ticket-000001'.")):
        host.claim("D:\\Nirgends\\ticket-000001")
    assert not emulator.fs.local("D:\\Nirgends").exists()


def test_free_bytes_and_volume_id_by_drive(host, emulator):
    emulator.fs.free["D"] = 123_456_789
    assert host.free_bytes("D:\\ConAktiv") == 123_456_789
    assert host.volume_id("D:\\ConAktiv\\ConAktiv Server") == host.volume_id("d:\\conaktiv\\Temp_Updateordner") != host.volume_id("C:\\Temp")
    calls = len(emulator.calls)
    assert host.same_volume("D:\\ConAktiv\\ConAktiv Server", "d:\\ConAktiv\\Temp_Updateordner")
    assert not host.same_volume("D:\\ConAktiv\\ConAktiv Server", "C:\\Temp") and len(emulator.calls) == calls, "decided by the drives"
    share = emulator.fs.add_share("fileserver", "Pakete")
    with pytest.raises(ModuleFailed, match=r"reading the volume of .* failed: Object must be a root directory"):
        host.free_bytes(f"{share}\\x")
    with pytest.raises(ModuleFailed, match="Could not find the drive 'Q:"):
        host.volume_id("Q:\\ConAktiv")


def test_put_file_and_unpack_a_zip_with_umlauts(host, emulator, tmp_path):
    package = tmp_path / "ConAktiv-2.0.0.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("ConAktiv Server/version.txt", "2.0.0\n")
        archive.writestr("ConAktiv Server/Server Database/Resources/Hunspell/Wörterbuch.dic", "1\nÄrger\n")
        archive.writestr("ConAktiv Server/leer/", "")
    host.make_dir("D:\\ConAktiv\\Temp_Updateordner\\.unpack")
    host.put_file(str(package), "D:\\ConAktiv\\Temp_Updateordner\\ConAktiv-2.0.0.zip")
    host.unpack("D:\\ConAktiv\\Temp_Updateordner\\ConAktiv-2.0.0.zip", "D:\\ConAktiv\\Temp_Updateordner\\.unpack")
    unpacked = "D:\\ConAktiv\\Temp_Updateordner\\.unpack\\ConAktiv Server"
    assert emulator.fs.local(f"{unpacked}\\Server Database\\Resources\\Hunspell\\wörterbuch.dic").read_text() == "1\nÄrger\n"
    assert emulator.fs.local(f"{unpacked}\\leer").is_dir()


def test_unpack_from_a_unc_share_and_tar_packages(host, emulator, tmp_path):
    share = emulator.fs.add_share("fileserver", "Pakete")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("ConAktiv Server/version.txt")
        info.size = 6
        archive.addfile(info, io.BytesIO(b"2.0.0\n"))
    emulator.write(f"{share}\\ConAktiv-2.0.0.tar.gz", buffer.getvalue())
    host.unpack(f"{share}\\ConAktiv-2.0.0.tar.gz", "D:\\ConAktiv\\Temp_Updateordner\\.unpack")
    assert emulator.fs.local("D:\\ConAktiv\\Temp_Updateordner\\.unpack\\ConAktiv Server\\version.txt").read_text() == "2.0.0\n"
    emulator.tar_exe = False
    with pytest.raises(ModuleFailed, match="tar packages need tar.exe: Windows Server 2019"):
        host.unpack(f"{share}\\ConAktiv-2.0.0.tar.gz", "D:\\ConAktiv\\other")
    with pytest.raises(ValueError, match="win_unzip handles .zip, .tar, .tar.gz, .tgz only"):
        host.unpack(f"{share}\\ConAktiv-2.0.0.7z", "D:\\ConAktiv\\other")
    with pytest.raises(ModuleFailed, match="does not exist"):
        host.unpack(f"{share}\\ConAktiv-9.zip", "D:\\ConAktiv\\other")


ADMINS = Ace("S-1-5-32-544", "BUILTIN\\Administrators", FULL_CONTROL)
SYSTEM = Ace("S-1-5-18", "NT AUTHORITY\\SYSTEM", FULL_CONTROL)


def test_who_may_read_new_backups_comes_from_the_acl_they_inherit(host, emulator):
    backups = "D:\\ConAktiv\\Backups"
    host.make_dir(backups)
    # A data volume's default ACL: Users and Authenticated Users read every file made below it.
    assert host.readers_of_new_files(backups) == ["BUILTIN\\Users", "NT AUTHORITY\\Authenticated Users"]
    emulator.fs.set_acl(backups, [ADMINS, SYSTEM])
    assert host.readers_of_new_files(backups) == [], "inheritance cut: only the administrators and SYSTEM"
    assert host.readers_of_new_files(f"{backups}\\2026\\Dezember") == [], "a folder not made yet inherits from the nearest one"
    # A rule for the folder and its subfolders only (ContainerInherit) reaches no file; one for files (ObjectInherit) does.
    emulator.fs.set_acl(backups, [ADMINS, Ace("S-1-1-0", "Everyone", READ_AND_EXECUTE, inheritance=1)])
    assert host.readers_of_new_files(backups) == []
    emulator.fs.set_acl(backups, [ADMINS, Ace("S-1-1-0", "Everyone", READ_AND_EXECUTE, inheritance=2)])
    assert host.readers_of_new_files(backups) == ["Everyone"]
    emulator.fs.set_acl(backups, [ADMINS, Ace("S-1-5-32-545", "BUILTIN\\Users", READ_AND_EXECUTE, allow=False)], inherit=True)
    assert host.readers_of_new_files(backups) == ["BUILTIN\\Users", "NT AUTHORITY\\Authenticated Users"], \
        "a deny rule is not weighed: the warning errs on the side of caution"
    emulator.fs.acl_unreadable.add(emulator.fs.local(backups))
    assert host.readers_of_new_files(backups) is None, "an ACL the account may not read: unknown, not 'nobody'"
    assert host.readers_of_new_files("Q:\\Backups") == [], "no folder on the way: nothing to inherit from"


def test_make_zip_streams_folders_under_their_names(host, emulator):
    emulator.write("D:\\ConAktiv\\ConAktiv Data\\records\\record-00001.json", "{}")
    emulator.write("D:\\ConAktiv\\ConAktiv Server\\Server Database\\Preferences\\settings.json", "{}")
    with pytest.raises(ModuleFailed, match="Could not find a part of the path"):
        host.make_zip(["D:\\ConAktiv\\ConAktiv Data"], "D:\\ConAktiv\\Backups\\one.zip")
    host.make_dir("D:\\ConAktiv\\Backups")
    host.make_zip(["D:\\ConAktiv\\ConAktiv Data"], "D:\\ConAktiv\\Backups\\one.zip")
    assert zip_names(emulator.fs.local("D:\\ConAktiv\\Backups\\one.zip").read_bytes()) == ["ConAktiv Data/records/record-00001.json"]
    host.make_zip(["D:\\ConAktiv\\ConAktiv Data", "D:\\ConAktiv\\ConAktiv Server\\Server Database"], "D:\\ConAktiv\\Backups\\two.zip")
    names = zip_names(emulator.fs.local("D:\\ConAktiv\\Backups\\two.zip").read_bytes())
    assert sorted(names) == ["ConAktiv Data/records/record-00001.json", "Server Database/Preferences/settings.json"]
    for sources in (["D:\\ConAktiv\\ConAktiv Data"], ["D:\\ConAktiv\\ConAktiv Data", "D:\\ConAktiv\\ConAktiv Server"]):
        with pytest.raises(ModuleFailed, match="already exists"):
            host.make_zip(sources, "D:\\ConAktiv\\Backups\\two.zip")
    with pytest.raises(ValueError, match="ending in .zip"):
        host.make_zip(["D:\\ConAktiv\\ConAktiv Data"], "D:\\ConAktiv\\Backups\\data.7z")
    assert not [call for call in emulator.calls if call.module == "community.windows.win_zip"], "win_zip zips a file in Update mode"


def test_make_zip_keeps_hidden_files_and_empty_folders_and_a_bracket_folder_is_no_wildcard(host, emulator):
    """Compress-Archive skipped hidden files, wrote backslashes and read [ ] in the destination as wildcards."""
    emulator.write("D:\\ConAktiv\\ConAktiv Data\\records\\record-00001.json", "{}")
    hidden = emulator.write("D:\\ConAktiv\\ConAktiv Data\\.index\\state.bin", b"\x00\x01")
    emulator.fs.hidden.update({hidden, hidden.parent})
    emulator.fs.local("D:\\ConAktiv\\ConAktiv Data\\attachments\\2026").mkdir(parents=True)
    host.make_dir("D:\\Sicherung [1]")
    host.make_zip(["D:\\ConAktiv\\ConAktiv Data\\"], "D:\\Sicherung [1]\\data.zip")
    names = zip_names(emulator.fs.local("D:\\Sicherung [1]\\data.zip").read_bytes())
    assert sorted(names) == ["ConAktiv Data/.index/state.bin", "ConAktiv Data/attachments/2026/", "ConAktiv Data/records/record-00001.json"]


def test_a_failed_zip_leaves_no_archive_behind(host, emulator, site):
    data = site.service.data_path
    site.service.structure_log = f"{data}\\structure.log"
    emulator.write(site.service.structure_log, "held open by the server\r\n")
    host.make_dir("D:\\ConAktiv\\Backups")
    with pytest.raises(ModuleFailed, match="being used by another process"):
        host.make_zip([data], "D:\\ConAktiv\\Backups\\data.zip")
    assert not emulator.fs.local("D:\\ConAktiv\\Backups\\data.zip").exists()
    with pytest.raises(ModuleFailed, match="The directory name is invalid"):
        host.make_zip([f"{site.server}\\version.txt"], "D:\\ConAktiv\\Backups\\file.zip")


# -- processes and services --------------------------------------------------------------------------


def test_run_passes_argv_and_reports_exit_codes(host, emulator):
    emulator.programs["backup"] = lambda argv: (0 if argv[1] == "C:\\Program Files\\ConAktiv\\data" else 3, f"args: {argv[1:]}", "")
    result = host.run(["C:\\Tools\\backup.exe", "C:\\Program Files\\ConAktiv\\data"])
    assert result.rc == 0 and result.stdout == "args: ['C:\\\\Program Files\\\\ConAktiv\\\\data']"
    assert host.run(["backup.exe", "other"]).rc == 3
    with pytest.raises(ModuleFailed, match="Could not find file 'missing.exe'"):
        host.run(["missing.exe"])


def test_service_state_by_name_or_display_name(host, site):
    assert host.service_state("ConAktivServer") == "running" and host.service_state("conaktivserver") == "running"
    assert host.service_state("ConAktiv Server") == "running", "win_service_info also matches the display name"
    assert host.service_state("NoSuchService") is None
    site.service.hang_on_stop = True
    site.service.stop()
    assert host.service_state("ConAktivServer") == "running", "stop_pending: the process still holds its files"


def test_set_service_stops_and_starts_within_the_deadline(host, site, emulator):
    pid = site.service.pid
    host.set_service("ConAktivServer", "stopped", timeout=5)
    assert site.service.state == "stopped" and not site.service.process_alive(pid)
    waits = [call for call in emulator.calls if call.module == "community.windows.win_wait_for_process"]
    assert [call.args["pid"] for call in waits] == [pid]
    host.set_service("ConAktivServer", "stopped", timeout=5)
    assert len([call for call in emulator.calls if call.module == "community.windows.win_wait_for_process"]) == 1, "no pid: nothing to wait for"
    host.set_service("ConAktivServer", "started", timeout=5)
    assert site.service.state == "started"
    sc_calls = [call.args["argv"] for call in emulator.calls if call.module == "ansible.windows.win_command"]
    assert sc_calls == [["sc.exe", "stop", "ConAktivServer"], ["sc.exe", "start", "ConAktivServer"]], "a stopped service gets no stop request"


def test_set_service_by_display_name_sends_the_service_name_to_sc(host, site, emulator):
    host.set_service("ConAktiv Server", "stopped", timeout=5)
    assert site.service.state == "stopped"
    assert [call.args["argv"] for call in emulator.calls if call.module == "ansible.windows.win_command"] == [["sc.exe", "stop", "ConAktivServer"]]


def test_a_hanging_stop_ends_with_a_clear_error_within_the_timeout(host, site):
    site.service.hang_on_stop = True
    started = time.monotonic()
    with pytest.raises(ServiceError, match=r"did not stop within 1 s \(still stop_pending\); win_service would wait forever"):
        host.set_service("ConAktivServer", "stopped", timeout=1)
    assert time.monotonic() - started < 2


def test_a_lingering_process_is_waited_for_and_bounded(host, site):
    site.service.linger_seconds = 0.6
    pid = site.service.pid
    started = time.monotonic()
    host.set_service("ConAktivServer", "stopped", timeout=5)
    assert time.monotonic() - started >= 0.6 and not site.service.process_alive(pid)
    site.service.run_now()
    site.service.linger_seconds = 30
    with pytest.raises(ServiceError, match=r"reports stopped, but its process \d+ was still running"):
        host.set_service("ConAktivServer", "stopped", timeout=1)


def test_start_failures_are_explained(host, site, emulator):
    host.set_service("ConAktivServer", "stopped", timeout=5)
    emulator.write(f"{site.server}\\version.txt", "2.0.0\n")
    site.service.fail_start_versions = {"2.0.0"}
    with pytest.raises(ServiceError, match=r"stopped again right after it was started \(exit code 1067"):
        host.set_service("ConAktivServer", "started", timeout=5)
    site.service.disabled = True
    with pytest.raises(ServiceError, match="sc.exe start 'ConAktivServer' failed with 1058: the service is disabled"):
        host.set_service("ConAktivServer", "started", timeout=5)
    with pytest.raises(ServiceError, match="does not exist"):
        host.set_service("NoSuchService", "started")
    with pytest.raises(ValueError, match="'restarted'"):
        host.set_service("ConAktivServer", "restarted")


def test_ports_and_paths_are_waited_for(host, site, emulator):
    assert host.wait_for_port(2048, "started", 1) is True and host.wait_for_port(2048, "stopped", 0) is False
    emulator.write("D:\\ConAktiv\\server.pid", "4100")
    assert host.wait_for_absent("D:\\ConAktiv\\server.pid", 0) is False
    emulator.fs.local("D:\\ConAktiv\\server.pid").unlink()
    assert host.wait_for_absent("D:\\ConAktiv\\server.pid", 1) is True


def test_clients_on_the_lan_address_count_and_time_wait_does_not(host, site):
    site.service.time_wait = 3  # users who just logged off
    assert host.clients_connected(site.service.client_port) is False
    site.service.sessions = ["anna"]
    assert host.clients_connected(site.service.client_port) is True
    # Why not win_wait_for: with host 127.0.0.1 it sees no client on the LAN address (the users would be cut off), and with
    # 0.0.0.0 it counts the TIME_WAIT ones as users.
    assert host.wait_for_port(site.service.client_port, "drained", 0, host="127.0.0.1") is True
    site.service.sessions = []
    assert host.wait_for_port(site.service.client_port, "drained", 0, host="0.0.0.0") is False


def test_http_requests_are_made_on_the_host(host, site):
    headers = {"X-ConAktiv-Token": site.service.token}
    status = host.http("GET", "http://127.0.0.1:2049/api/status", headers)
    assert status.status == 200 and status.json["version"] == "1.0.0"
    site.service.sessions = ["anna"]
    sent = host.http("POST", "http://127.0.0.1:2049/api/message", headers, {"text": "Update um 22:00 – bitte abmelden"})
    assert sent.json == {"delivered_to": ["anna"]} and site.service.messages == ["Update um 22:00 – bitte abmelden"]
    assert host.http("GET", "http://127.0.0.1:2049/api/status", {"X-ConAktiv-Token": "wrong"}).status == 401
    site.service.stop()
    time.sleep(0.15)
    refused = host.http("GET", "http://127.0.0.1:2049/api/status", headers)
    assert refused.status == 0 and "Unable to connect" in refused.error


def test_message_console_uses_win_msg(host, emulator):
    assert host.message_console("Der ConAktiv-Server wird in 5 Minuten beendet.") is True
    assert host.message_console("x" * 300) is True and len(emulator.console_messages[-1]) == 255
    emulator.msg_exe = False
    assert host.message_console("nobody listens") is False


def test_every_abstract_method_is_implemented(host):
    assert not getattr(WindowsHost, "__abstractmethods__")
    assert isinstance(host, WindowsHost)


def test_time_zone_reads_the_registry_and_maps_the_id_to_the_iana_name(host, emulator):
    assert host.time_zone().name == "Europe/Berlin"
    emulator.time_zone_id, emulator.summer_time_disabled = "GMT Standard Time", True
    zone = host.time_zone()
    assert (zone.name, zone.offset, zone.label) == (None, "+0000", "GMT Standard Time")
    assert [(call.module, call.changed) for call in emulator.calls[-2:]] == [("ansible.windows.win_reg_stat", False)] * 2
