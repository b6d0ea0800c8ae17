# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The manifest of a staged tree: made from the verified package, compared with what the host finds."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._archive import verify_archive
from ansible_collections.conaktiv.server.plugins.plugin_utils._stage_manifest import Manifest, differences, from_package, parse, summary


def digest(data: bytes) -> tuple[int, str]:
    return len(data), hashlib.sha256(data).hexdigest()


def test_the_manifest_holds_every_file_of_a_zip_below_its_top_folder(tmp_path):
    package = tmp_path / "p.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("ConAktiv Server/", "")
        archive.writestr("ConAktiv Server/version.txt", "2.0.0\n")
        archive.writestr("ConAktiv Server/Server Database/Preferences/a.prefs", "x" * 70000)
        link = zipfile.ZipInfo("ConAktiv Server/lib/current")
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, "libconaktiv.so.2")
    manifest = from_package(verify_archive(str(package)), "ConAktiv Server")
    assert manifest.files == {"version.txt": digest(b"2.0.0\n"), "Server Database/Preferences/a.prefs": digest(b"x" * 70000)}


def test_a_tar_hard_link_is_a_file_with_its_targets_content(tmp_path):
    package = tmp_path / "p.tar.gz"
    with tarfile.open(package, "w:gz") as archive:
        data = b"binary"
        info = tarfile.TarInfo("srv/bin/server")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        hard = tarfile.TarInfo("srv/bin/server-copy")
        hard.type, hard.linkname = tarfile.LNKTYPE, "srv/bin/server"
        archive.addfile(hard)
    assert from_package(verify_archive(str(package)), "srv").files == {"bin/server": digest(b"binary"), "bin/server-copy": digest(b"binary")}


def test_text_round_trips_and_its_digest_is_stable():
    manifest = Manifest({"b": (1, "ab" * 32), "a/ä": (2, "cd" * 32)})
    assert parse(manifest.text()) == manifest
    assert manifest.digest() == Manifest(dict(reversed(list(manifest.files.items())))).digest()
    assert manifest.text().isascii()


@pytest.mark.parametrize(("text", "message"), [
    ("not json", "the manifest is no JSON"),
    ('{"schema": 2, "algorithm": "sha256", "files": {}}', "no sha256 file list of schema 1"),
    ('{"schema": 1, "algorithm": "sha256", "files": {"a": [1]}}', "the manifest entry of 'a' is not [size, sha256]"),
])
def test_a_broken_manifest_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse(text)


def test_differences_name_changed_missing_and_added_files():
    expected = Manifest({"a": (1, "aa" * 32), "b": (1, "bb" * 32), "Dir/C": (1, "cc" * 32)})
    found = {"a": (1, "AA" * 32), "b": (2, "bb" * 32), "dir/c": (1, "cc" * 32), "x": (0, "00" * 32)}
    assert differences(expected, found) == ["missing: Dir/C", "changed: b", "added: dir/c", "added: x"]
    # A case-insensitive volume (Windows, macOS) finds "Dir/C" under any case.
    assert differences(expected, found, case_insensitive=True) == ["changed: b", "added: x"]
    assert summary([f"changed: {n}" for n in range(7)], limit=2) == "changed: 0; changed: 1 and 5 more"
