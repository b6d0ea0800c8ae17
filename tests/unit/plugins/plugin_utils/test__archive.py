# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for archive reading and the member safety checks, on real zip and tar files."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import zipfile

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._archive import (
    Member,
    longest_path,
    member_path,
    names_need_normalizing,
    read_members,
    single_top_folder,
    total_unpacked_size,
    unsafe_members,
    verify_archive,
    windows_name_problems,
    write_normalized_zip,
    zip_member_name,
)

TOP = "ConAktiv Server"


# --- builders ----------------------------------------------------------------------------------


def _zip_entry(archive: zipfile.ZipFile, name: str, data: bytes = b"", unix_mode: int | None = None, external: int | None = None) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 11, 23, 22, 0, 0))
    if unix_mode is not None:
        info.external_attr = unix_mode << 16
        info.create_system = 3
    if external is not None:
        info.external_attr = external
        info.create_system = 0
    archive.writestr(info, data)


def _zip_symlink(archive: zipfile.ZipFile, name: str, target: str) -> None:
    _zip_entry(archive, name, target.encode(), stat.S_IFLNK | 0o777)


def _make_zip(path, entries) -> str:
    """entries: (name, data) for files, (name, None) for dirs, (name, '->target') for symlinks."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            if data is None:
                _zip_entry(archive, name, b"", stat.S_IFDIR | 0o755)
            elif isinstance(data, str) and data.startswith("->"):
                _zip_symlink(archive, name, data[2:])
            else:
                _zip_entry(archive, name, data, stat.S_IFREG | 0o644)
    return str(path)


def _tar_info(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "", size: int = 0, mode: int = 0o644) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.size = size
    info.mode = mode
    return info


def _make_tar(path, entries, mode: str = "w") -> str:
    """entries: TarInfo (with data for regular files as (TarInfo, bytes))."""
    with tarfile.open(path, mode) as archive:
        for entry in entries:
            if isinstance(entry, tuple):
                info, data = entry
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            else:
                archive.addfile(entry)
    return str(path)


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return _tar_info(name), data


def _m(name: str, kind: str = "file", target: str | None = None, size: int = 0) -> Member:
    return Member(name, kind, size, target, None)


def _flagged(messages: list[str]) -> list[str]:
    """The member names the messages are about (the text between the first quotes)."""
    return [message.split("'")[1] if "'" in message else message for message in messages]


# --- readers -----------------------------------------------------------------------------------


def test_read_zip_members_kinds_sizes_modes_and_symlink_targets(tmp_path):
    path = _make_zip(tmp_path / "pkg.zip", [
        (f"{TOP}/", None),
        (f"{TOP}/Server Database/", None),
        (f"{TOP}/Server Database/Preferences/settings.xml", b"<x/>" * 10),
        (f"{TOP}/bin/conaktiv", b"#!/bin/sh\n"),
        (f"{TOP}/lib/libca.so", "->libca.so.9"),
    ])
    members = read_members(path)
    assert members == [
        Member(f"{TOP}/", "dir", 0, None, 0o755),
        Member(f"{TOP}/Server Database/", "dir", 0, None, 0o755),
        Member(f"{TOP}/Server Database/Preferences/settings.xml", "file", 40, None, 0o644),
        Member(f"{TOP}/bin/conaktiv", "file", 10, None, 0o644),
        Member(f"{TOP}/lib/libca.so", "symlink", len("libca.so.9"), "libca.so.9", 0o777),
    ]
    assert not unsafe_members(members)
    assert single_top_folder(members) == TOP
    verify_archive(path)


def test_read_zip_from_windows_tools_without_unix_modes(tmp_path):
    path = tmp_path / "win.zip"
    with zipfile.ZipFile(path, "w") as archive:
        _zip_entry(archive, "ConAktiv Server", b"", external=0x10)  # MS-DOS directory attribute, no trailing slash
        _zip_entry(archive, "ConAktiv Server\\Server Database\\cert.pem", b"PEM", external=0x20)
    members = read_members(str(path))
    assert members == [
        Member("ConAktiv Server", "dir", 0, None, None),
        Member("ConAktiv Server/Server Database/cert.pem", "file", 3, None, None),  # read with '/' between the parts
    ]
    assert single_top_folder(members) == TOP
    assert not unsafe_members(members)


def test_read_zip_special_file_modes(tmp_path):
    path = tmp_path / "special.zip"
    with zipfile.ZipFile(path, "w") as archive:
        _zip_entry(archive, "top/dev", b"", stat.S_IFCHR | 0o600)
        _zip_entry(archive, "top/pipe", b"", stat.S_IFIFO | 0o600)
        _zip_entry(archive, "top/disk", b"", stat.S_IFBLK | 0o600)
        _zip_entry(archive, "top/sock", b"", stat.S_IFSOCK | 0o600)
    members = read_members(str(path))
    assert [member.kind for member in members] == ["special"] * 4
    assert _flagged(unsafe_members(members)) == ["top/dev", "top/pipe", "top/disk", "top/sock"]


def test_read_zip_keeps_a_nul_byte_in_a_name(tmp_path):
    path = tmp_path / "nul.zip"
    _make_zip(path, [("top/evilXname.txt", b"data")])
    raw = path.read_bytes().replace(b"top/evilXname.txt", b"top/evil\x00name.txt")
    path.write_bytes(raw)
    members = read_members(str(path))
    assert members[0].name == "top/evil\x00name.txt"
    messages = unsafe_members(members)
    assert len(messages) == 1
    assert "NUL" in messages[0]
    assert "'top/evil\\x00name.txt'" in messages[0]  # shown visibly


def test_read_zip_refuses_an_oversized_symlink_target(tmp_path):
    path = tmp_path / "bigtarget.zip"
    with zipfile.ZipFile(path, "w") as archive:
        _zip_entry(archive, "top/link", b"a" * 5000, stat.S_IFLNK | 0o777)
    with pytest.raises(ValueError, match="5000-byte target"):
        read_members(str(path))


def test_read_tar_members_of_every_kind(tmp_path):
    path = _make_tar(tmp_path / "pkg.tar", [
        _tar_info(f"{TOP}/", tarfile.DIRTYPE, mode=0o755),
        _file(f"{TOP}/a.txt", b"hello"),
        _tar_info(f"{TOP}/link", tarfile.SYMTYPE, linkname="a.txt", mode=0o777),
        _tar_info(f"{TOP}/hard", tarfile.LNKTYPE, linkname=f"{TOP}/a.txt"),
        _tar_info(f"{TOP}/fifo", tarfile.FIFOTYPE),
    ])
    assert read_members(path) == [
        Member(TOP, "dir", 0, None, 0o755),  # tarfile drops the trailing slash of folders
        Member(f"{TOP}/a.txt", "file", 5, None, 0o644),
        Member(f"{TOP}/link", "symlink", 0, "a.txt", 0o777),
        Member(f"{TOP}/hard", "hardlink", 0, f"{TOP}/a.txt", 0o644),
        Member(f"{TOP}/fifo", "special", 0, None, 0o644),
    ]


@pytest.mark.parametrize(("suffix", "mode"), [("tar", "w"), ("tar.gz", "w:gz"), ("tgz", "w:gz"), ("tar.bz2", "w:bz2"), ("tar.xz", "w:xz")])
def test_read_tar_compressions(tmp_path, suffix, mode):
    path = _make_tar(tmp_path / f"pkg.{suffix}", [_tar_info(TOP, tarfile.DIRTYPE, mode=0o755), _file(f"{TOP}/x.bin", b"\0" * 1000)], mode)
    members = read_members(path)
    assert [(member.name, member.kind, member.size) for member in members] == [(TOP, "dir", 0), (f"{TOP}/x.bin", "file", 1000)]
    verify_archive(path)


def test_format_is_detected_by_content_not_by_extension(tmp_path):
    zip_named_tgz = _make_zip(tmp_path / "really-a-zip.tar.gz", [("top/a", b"1")])
    tar_named_zip = _make_tar(tmp_path / "really-a-tar.zip", [_file("top/b", b"2")], "w:gz")
    assert [member.name for member in read_members(zip_named_tgz)] == ["top/a"]
    assert [member.name for member in read_members(tar_named_zip)] == ["top/b"]


def test_not_an_archive(tmp_path):
    path = tmp_path / "notes.zip"
    path.write_text("this is an HTML error page, not a package\n" * 20)
    with pytest.raises(ValueError, match=r"notes.zip is neither a zip nor a tar archive$"):
        read_members(str(path))
    with pytest.raises(ValueError, match="neither a zip nor a tar archive"):
        verify_archive(str(path))


def test_empty_file(tmp_path):
    path = tmp_path / "empty.zip"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match=r"neither a zip nor a tar archive \(the file is empty\)"):
        read_members(str(path))


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match="cannot be read"):
        read_members(str(tmp_path / "missing.zip"))


def test_truncated_zip_is_reported_as_damaged_zip(tmp_path):
    path = tmp_path / "cut.zip"
    _make_zip(path, [("top/a.bin", os.urandom(20000))])
    path.write_bytes(path.read_bytes()[:12000])
    with pytest.raises(ValueError, match="damaged zip archive"):
        read_members(str(path))


def test_gzip_that_is_not_a_tar(tmp_path):
    path = tmp_path / "plain.gz"
    path.write_bytes(gzip.compress(b"just text\n" * 100))
    with pytest.raises(ValueError, match="damaged or unsupported tar archive"):
        read_members(str(path))


def test_truncated_tgz(tmp_path):
    path = tmp_path / "cut.tgz"
    _make_tar(path, [_file("top/a.bin", os.urandom(100000))], "w:gz")
    path.write_bytes(path.read_bytes()[:50000])
    with pytest.raises(ValueError, match="damaged"):
        read_members(str(path))
    with pytest.raises(ValueError, match="'top/a.bin' is damaged"):
        verify_archive(str(path))


def test_truncated_plain_tar_is_found_by_verify(tmp_path):
    path = tmp_path / "cut.tar"
    _make_tar(path, [_file("top/a.bin", os.urandom(100000)), _file("top/b.txt", b"abc")])
    path.write_bytes(path.read_bytes()[:50000])
    with pytest.raises(ValueError, match="'top/a.bin' is damaged: unexpected end of data"):
        verify_archive(str(path))


def test_verify_zip_names_the_member_with_a_bad_crc(tmp_path):
    path = tmp_path / "crc.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("top/good.txt", b"fine")
        archive.writestr("top/bad.txt", b"A" * 1000)
    raw = bytearray(path.read_bytes())
    where = raw.index(b"A" * 1000)
    raw[where + 500] = ord("B")
    path.write_bytes(bytes(raw))
    assert [member.name for member in read_members(str(path))] == ["top/good.txt", "top/bad.txt"]  # the directory is intact
    with pytest.raises(ValueError, match="member 'top/bad.txt' is damaged: Bad CRC-32"):
        verify_archive(str(path))


def test_verify_zip_names_a_member_whose_deflate_data_is_garbage(tmp_path):
    path = tmp_path / "deflate.zip"
    payload = os.urandom(4000)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("top/data.bin", payload)
    raw = bytearray(path.read_bytes())
    start = raw.index(b"top/data.bin") + len("top/data.bin")
    for offset in range(start + 10, start + 400):
        raw[offset] ^= 0x5A
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="'top/data.bin'"):
        verify_archive(str(path))


def test_verify_accepts_an_empty_zip(tmp_path):
    path = tmp_path / "empty.zip"
    with zipfile.ZipFile(path, "w"):
        pass
    assert not read_members(str(path))
    verify_archive(str(path))


# --- safety checks on real archives ------------------------------------------------------------


def test_zip_with_escaping_symlink(tmp_path):
    path = _make_zip(tmp_path / "evil.zip", [
        (f"{TOP}/", None),
        (f"{TOP}/ok", "->Server Database/Preferences"),
        (f"{TOP}/up", "->../../etc"),
        (f"{TOP}/abs", "->/etc/passwd"),
        (f"{TOP}/win", "->C:\\Windows\\System32"),
        (f"{TOP}/unc", "->\\\\attacker\\share"),
        (f"{TOP}/sibling", "->../Temp_Updateordner"),  # still inside the unpack folder
    ])
    messages = unsafe_members(read_members(path))
    assert _flagged(messages) == [f"{TOP}/up", f"{TOP}/abs", f"{TOP}/win", f"{TOP}/unc"]
    assert "leaves the archive's folder" in messages[0]
    assert "absolute path" in messages[1]
    assert "drive letter" in messages[2]
    assert "UNC" in messages[3]


def test_zip_with_windows_style_absolute_and_parent_names(tmp_path):
    names = ["C:\\Windows\\evil.dll", "C:evil.txt", "\\\\server\\share\\evil.txt", "\\rooted.txt", "/etc/cron.d/evil",
             "//server/share/x", "..\\..\\evil.txt", f"{TOP}\\..\\..\\evil.txt", f"{TOP}/../../evil.txt", "d:/data/x"]
    path = _make_zip(tmp_path / "winabs.zip", [(name, b"x") for name in names] + [(f"{TOP}/fine.txt", b"y")])
    members = read_members(path)
    # Names are reported as meant: backslashes are separators.
    assert [member.name for member in members][:len(names)] == [name.replace("\\", "/") for name in names]
    messages = unsafe_members(members)
    assert len(messages) == len(names)
    for name, message in zip(names, messages):
        assert f"'{name.replace(chr(92), '/')}'" in message
    assert "drive letter" in messages[0] and "drive letter" in messages[1]
    assert "UNC" in messages[2] and "UNC" in messages[5]
    assert "absolute path" in messages[3] and "absolute path" in messages[4]
    assert all("'..'" in message for message in messages[6:9])


def test_tar_with_hardlink_to_etc_passwd(tmp_path):
    path = _make_tar(tmp_path / "hard.tar", [
        _file(f"{TOP}/a.txt"),
        _tar_info(f"{TOP}/passwd", tarfile.LNKTYPE, linkname="/etc/passwd"),
        _tar_info(f"{TOP}/passwd2", tarfile.LNKTYPE, linkname="../../etc/passwd"),
        _tar_info(f"{TOP}/missing", tarfile.LNKTYPE, linkname=f"{TOP}/not-there"),
        _tar_info(f"{TOP}/sub/good", tarfile.LNKTYPE, linkname=f"{TOP}/a.txt"),  # relative to the archive root, not the link's folder
    ])
    messages = unsafe_members(read_members(path))
    assert _flagged(messages) == [f"{TOP}/passwd", f"{TOP}/passwd2", f"{TOP}/missing"]
    assert "hard link to an absolute path ('/etc/passwd')" in messages[0]
    assert "leaves the archive's folder" in messages[1]
    assert "not in the archive" in messages[2]


def test_tar_with_device_nodes_and_fifo(tmp_path):
    path = _make_tar(tmp_path / "dev.tar", [
        _tar_info(f"{TOP}/null", tarfile.CHRTYPE),
        _tar_info(f"{TOP}/sda", tarfile.BLKTYPE),
        _tar_info(f"{TOP}/pipe", tarfile.FIFOTYPE),
        _file(f"{TOP}/fine"),
    ])
    messages = unsafe_members(read_members(path))
    assert _flagged(messages) == [f"{TOP}/null", f"{TOP}/sda", f"{TOP}/pipe"]
    assert all("device, fifo or other special file" in message for message in messages)


def test_tar_member_written_through_a_symlink(tmp_path):
    path = _make_tar(tmp_path / "through.tar", [
        _tar_info(f"{TOP}/etc", tarfile.SYMTYPE, linkname="/etc"),
        _file(f"{TOP}/etc/cron.d/evil"),
        _tar_info(f"{TOP}/current", tarfile.SYMTYPE, linkname="."),
        _file(f"{TOP}/current/file"),
    ])
    messages = unsafe_members(read_members(path))
    assert _flagged(messages) == [f"{TOP}/etc", f"{TOP}/etc/cron.d/evil", f"{TOP}/current/file"]
    assert "inside the symlink 'ConAktiv Server/etc'" in messages[1]


def test_safe_tar_with_dot_prefix_and_internal_links(tmp_path):
    path = _make_tar(tmp_path / "safe.tgz", [
        _tar_info("./", tarfile.DIRTYPE, mode=0o755),
        _tar_info(f"./{TOP}/", tarfile.DIRTYPE, mode=0o755),
        _file(f"./{TOP}/lib/libca.so.9", b"elf"),
        _tar_info(f"./{TOP}/lib/libca.so", tarfile.SYMTYPE, linkname="libca.so.9"),
        _tar_info(f"./{TOP}/bin/libca.so", tarfile.SYMTYPE, linkname="../lib/libca.so"),  # a link to a link
        _tar_info(f"./{TOP}/lib/copy", tarfile.LNKTYPE, linkname=f"./{TOP}/lib/libca.so.9"),
    ], "w:gz")
    members = read_members(path)
    assert not unsafe_members(members)
    assert single_top_folder(members) == TOP
    assert total_unpacked_size(members) == 3


# --- safety checks on member lists -------------------------------------------------------------


@pytest.mark.parametrize(
    "member",
    [
        _m("a.txt"),
        _m("top/sub/a.txt"),
        _m("top/"),
        _m("./top/a"),
        _m("top//double//slash"),
        _m("top\\win\\path.txt"),
        _m("top/..hidden/..."),  # '..' inside a name is fine, only a whole '..' component is not
        _m("top/a..b"),
        _m("top/dir", "dir"),
        _m("./", "dir"),
        _m("top/link", "symlink", "sub/a.txt"),
        _m("top/sub/link", "symlink", "../other"),
        _m("top/sub/link", "symlink", "../../rootfile"),  # up to the unpack folder, not beyond
        _m("top/link", "symlink", "./a"),
    ],
)
def test_safe_members(member):
    assert not unsafe_members([member, _m("rootfile"), _m("top/sub/a.txt")])


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (_m(""), "empty name"),
        (_m("a\x00b"), "NUL"),
        (_m("/abs"), "absolute path"),
        (_m("\\abs"), "absolute path"),
        (_m("C:\\x"), "drive letter"),
        (_m("c:/x"), "drive letter"),
        (_m("C:x"), "drive letter"),
        (_m("\\\\server\\share\\x"), "UNC"),
        (_m("//server/share/x"), "UNC"),
        (_m("\\\\?\\C:\\x"), "UNC"),
        (_m(".."), "'..'"),
        (_m("../x"), "'..'"),
        (_m("a/../../x"), "'..'"),
        (_m("a/b/.."), "'..'"),
        (_m("a\\..\\..\\x"), "'..'"),
        (_m("top/dev", "special"), "special file"),
        (_m("top/link", "symlink", "/etc"), "absolute path"),
        (_m("top/link", "symlink", "C:\\Windows"), "drive letter"),
        (_m("top/link", "symlink", "\\\\srv\\share"), "UNC"),
        (_m("top/link", "symlink", "../.."), "leaves the archive's folder"),
        (_m("top/link", "symlink", "..\\..\\x"), "leaves the archive's folder"),
        (_m("top/link", "symlink", "a/../../../x"), "leaves the archive's folder"),
        (_m("link", "symlink", ".."), "leaves the archive's folder"),
        (_m("top/link", "symlink", ""), "without a target"),
        (_m("top/link", "symlink", None), "without a target"),
        (_m("top/link", "symlink", "a\x00b"), "NUL"),
        (_m("top/hard", "hardlink", "/etc/passwd"), "absolute path"),
        (_m("top/hard", "hardlink", "../etc/passwd"), "leaves the archive's folder"),
        (_m("top/hard", "hardlink", "top/nothing"), "not in the archive"),
        (_m("top/x", "weird"), "unknown kind"),
    ],
)
def test_unsafe_members(member, reason):
    messages = unsafe_members([_m("top/"), member, _m("top/fine.txt")])
    assert len(messages) == 1
    assert reason in messages[0]
    assert messages[0].startswith("archive member ")


def test_one_message_per_member_even_with_several_problems():
    messages = unsafe_members([_m("/abs/../x\x00")])
    assert len(messages) == 1
    assert "NUL" in messages[0] and "absolute path" in messages[0] and "'..'" in messages[0]


def test_symlink_chain_that_escapes_only_when_links_are_followed():
    # "x" -> "." is harmless and "y" -> "x/.." looks harmless as text, but x/.. through the link is the parent.
    members = [_m("x", "symlink", "."), _m("y", "symlink", "x/..")]
    assert _flagged(unsafe_members(members)) == ["y"]


def test_symlink_through_a_link_that_escapes():
    members = [_m("top/out", "symlink", "../.."), _m("top/via", "symlink", "out/etc")]
    assert _flagged(unsafe_members(members)) == ["top/out", "top/via"]


def test_symlink_loops_are_reported():
    members = [_m("a", "symlink", "b"), _m("b", "symlink", "a"), _m("self", "symlink", "self")]
    messages = unsafe_members(members)
    assert _flagged(messages) == ["a", "b", "self"]
    assert all("endless loop" in message for message in messages)


def test_hardlink_resolves_through_symlinks_of_the_archive():
    members = [_m("top/a.txt"), _m("alias", "symlink", "top"), _m("h", "hardlink", "alias/a.txt"), _m("escape", "symlink", ".."),
               _m("h2", "hardlink", "escape/etc/passwd")]
    assert _flagged(unsafe_members(members)) == ["escape", "h2"]


def test_unsafe_members_of_an_empty_list():
    assert not unsafe_members([])


# --- layout helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([f"{TOP}/", f"{TOP}/a"], TOP),
        ([f"{TOP}/a", f"{TOP}/b/c"], TOP),  # the folder is implied by its members
        ([f"./{TOP}/a", "./"], TOP),
        ([f"{TOP}\\a", f"{TOP}\\b"], TOP),
        ([f"{TOP}/"], TOP),
        ([f"{TOP}/a", "Other/b"], None),
        ([f"{TOP}/a", "__MACOSX/._a"], None),  # __MACOSX is an ordinary folder
        ([f"{TOP}/a", "README.txt"], None),
        (["README.txt"], None),
        ([], None),
        (["./"], None),
    ],
)
def test_single_top_folder(names, expected):
    members = [_m(name, "dir" if name.endswith("/") else "file") for name in names]
    assert single_top_folder(members) == expected


def test_single_top_folder_needs_a_folder_not_a_file_or_link():
    assert single_top_folder([_m(TOP, "symlink", "elsewhere")]) is None
    assert single_top_folder([_m(TOP, "dir")]) == TOP


def test_total_unpacked_size_counts_regular_files_only():
    members = [_m("top/", "dir"), _m("top/a", size=1000), _m("top/b", size=24), _m("top/l", "symlink", "a", size=1),
               _m("top/h", "hardlink", "top/a", size=0)]
    assert total_unpacked_size(members) == 1024
    assert total_unpacked_size([]) == 0


@pytest.mark.parametrize(
    ("prefix", "name", "expected"),
    [
        ("C:\\ConAktiv\\Temp_Updateordner", f"{TOP}/Server Database/Preferences/x.xml",
         len("C:\\ConAktiv\\Temp_Updateordner\\ConAktiv Server\\Server Database\\Preferences\\x.xml")),
        ("C:\\ConAktiv\\Temp_Updateordner\\", f"{TOP}/a", len("C:\\ConAktiv\\Temp_Updateordner\\ConAktiv Server\\a")),
        ("D:/ConAktiv", f"{TOP}/a", len("D:\\ConAktiv\\ConAktiv Server\\a")),
        ("C:\\", "a", len("C:\\a")),
        ("/srv/conaktiv/Temp_Updateordner", f"./{TOP}/a", len("/srv/conaktiv/Temp_Updateordner/ConAktiv Server/a")),
        ("/srv/", f"{TOP}/dir/", len("/srv/ConAktiv Server/dir")),
        ("/", "a", 2),
        ("", f"{TOP}/a", len("ConAktiv Server/a")),
        ("C:\\x", "top/\U0001F600.txt", len("C:\\x\\top\\") + 2 + 4),  # an emoji is two UTF-16 units
    ],
)
def test_longest_path(prefix, name, expected):
    assert longest_path([_m(name), _m("b")], prefix) == expected


def test_longest_path_of_no_members():
    assert longest_path([], "C:\\x") == 0
    assert longest_path([_m("./", "dir")], "C:\\x") == 0


def test_plain_tar_ending_with_a_zip_member_is_read_as_tar(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("inner.txt", b"zip inside tar")
    path = _make_tar(tmp_path / "pkg.tar", [_file(f"{TOP}/a.txt"), _file(f"{TOP}/plugin.zip", inner.getvalue())])
    assert zipfile.is_zipfile(path)  # the trap: the zip directory is near the end of the tar
    assert [member.name for member in read_members(path)] == [f"{TOP}/a.txt", f"{TOP}/plugin.zip"]
    verify_archive(path)


def test_zip_after_a_program_stub_is_read_as_zip(tmp_path):
    path = tmp_path / "setup.exe"
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w") as archive:
        archive.writestr(f"{TOP}/a.txt", b"self-extracting")
    path.write_bytes(b"MZ" + b"\0" * 1000 + body.getvalue())
    assert [member.name for member in read_members(str(path))] == [f"{TOP}/a.txt"]
    verify_archive(str(path))


def test_old_v7_tar_without_ustar_magic(tmp_path):
    path = tmp_path / "v7.tar"
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as archive:
        info, data = _file(f"{TOP}/a.txt", b"old")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    raw = bytearray(path.read_bytes())
    raw[257:265] = b"\0" * 8  # strip the ustar magic and version
    checksum = sum(raw[:148]) + 8 * 32 + sum(raw[156:512])
    raw[148:156] = b"%06o\0 " % checksum
    path.write_bytes(bytes(raw))
    assert [member.name for member in read_members(str(path))] == [f"{TOP}/a.txt"]


def test_windows_name_problems_name_each_member_windows_cannot_hold():
    members = [Member(name, "file", 1, None, None) for name in ("S/ok.txt", "S/Con", "S/a<b", "S/Brief.", "S/ok.TXT", "S/Büro/Über.dic", "S/lpt1.log")]
    problems = windows_name_problems(members)
    assert problems == ["'S/Con' uses the reserved device name 'Con'", "'S/a<b' has a character Windows does not allow in 'a<b'",
                        "'S/Brief.' has a name ending in a dot or space ('Brief.'), which Windows drops",
                        "'S/ok.TXT' and 'S/ok.txt' differ only in letter case: one would overwrite the other on Windows",
                        "'S/lpt1.log' uses the reserved device name 'lpt1.log'"]
    assert windows_name_problems([Member("S\\Server Database\\console.json", "file", 1, None, None), Member("S/CONFIG/a", "file", 1, None, None)]) == []


# -- names as Windows tools write them ------------------------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "backslashes"), [("cp850", True), ("cp437", True), ("utf-8", True), ("utf-8", False)])
def test_windows_names_are_read_as_meant_and_normalized_once(tmp_path, encoding, backslashes):
    from conaktiv_sim.package import UMLAUT_DICTIONARY, build_windows_package  # pylint: disable=import-outside-toplevel

    package = str(build_windows_package(tmp_path / "w.zip", "2.0.0", encoding=encoding, backslashes=backslashes))
    names = {member.name for member in read_members(package)}
    assert f"ConAktiv Server/{UMLAUT_DICTIONARY}" in names and not any("\\" in name for name in names)
    assert names_need_normalizing(package)
    clean = str(tmp_path / "clean.zip")
    write_normalized_zip(package, clean)
    assert {member.name for member in read_members(clean)} == names and not names_need_normalizing(clean)
    with zipfile.ZipFile(clean) as archive:
        info = archive.getinfo(f"ConAktiv Server/{UMLAUT_DICTIONARY}")
        assert info.flag_bits & 0x800 and info.create_system == 3 and (info.external_attr >> 16) == 0o100644
        assert archive.read(info) == "1\nKundenstamm\n".encode()


def test_utf8_names_without_the_flag_are_utf8_and_clean_archives_are_left_alone(tmp_path):
    raw = "ConAktiv Server/Wörterbuch.dic".encode("utf-8")
    info = zipfile.ZipInfo(raw.decode("cp437"))  # what zipfile makes of Info-ZIP's unflagged UTF-8 bytes
    assert zip_member_name(info) == "ConAktiv Server/Wörterbuch.dic"
    assert zip_member_name(zipfile.ZipInfo("./ConAktiv Server\\lib\\a.jar")) == "./ConAktiv Server/lib/a.jar"
    assert member_path("./ConAktiv Server/lib/") == "ConAktiv Server/lib"
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("ConAktiv Server/version.txt", "2.0.0\n")
    assert not names_need_normalizing(str(plain))
