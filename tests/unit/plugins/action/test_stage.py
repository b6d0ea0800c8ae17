# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decision logic of conaktiv.server.stage against an in-memory host; packages are real zips on the controller."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import typing as t
import zipfile
from pathlib import Path

import pytest

from ansible_collections.conaktiv.server.plugins.action import stage
from ansible_collections.conaktiv.server.plugins.plugin_utils._download import DownloadError
from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import ModuleFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._stage_manifest import MANIFEST_NAME, Manifest
from ansible_collections.conaktiv.server.plugins.plugin_utils._stage_manifest import parse as parse_manifest

SERVER = "/srv/ConAktiv Server"
TEMP = "/srv/Temp_Updateordner"
STAGED = f"{TEMP}/ConAktiv Server"
MARKER = f"{TEMP}/stage.json"
MANIFEST = f"{TEMP}/{MANIFEST_NAME}"
FTP_SOURCE = "ftp://conaktiv@ftp.example.com/pub/ConAktiv-2.0.0.zip"


def build_package(folder: Path, version: str = "2.0.0", top: str | None = "ConAktiv Server", server_database: bool = True) -> Path:
    """A small vendor-like package: version.txt and Server Database under one top folder."""
    path = folder / f"ConAktiv-{version}.zip"
    prefix = f"{top}/" if top else ""
    with zipfile.ZipFile(path, "w") as package:
        package.writestr(f"{prefix}version.txt", f"{version}\n")
        package.writestr(f"{prefix}ConAktiv Server.bin", b"\x7fELF" + bytes(100))
        if server_database:
            package.writestr(f"{prefix}Server Database/Preferences/server.prefs", "defaults")
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(make_action: t.Callable[..., t.Any], check_mode: bool = False, **args: t.Any) -> dict[str, t.Any]:
    args = {"server_path": SERVER, "version": "2.0.0", "source": FTP_SOURCE, **args}
    return make_action(stage, args, check_mode=check_mode).run(task_vars={"inventory_hostname": "srv1"})


def mutations(host: t.Any) -> list[tuple[str, tuple[t.Any, ...]]]:
    return [(op, args) for op, args in host.calls if op in ("make_dir", "remove", "rename", "write_text", "put_file", "unpack")]


@pytest.fixture(name="said")
def fixture_said(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The lines the action shows at the default verbosity."""
    lines: list[str] = []
    monkeypatch.setattr(stage.ActionModule, "say", staticmethod(lines.append))
    return lines


@pytest.fixture
def host(fake_host: t.Any) -> t.Any:
    """An installed server at 1.0.0, nothing staged."""
    fake_host.add_file(f"{SERVER}/version.txt", "1.0.0")
    return fake_host


@pytest.fixture
def no_download(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fails the test on any download attempt; returns the sources asked for."""
    asked: list[str] = []

    def fetch(source: str, target: str, **kwargs: t.Any) -> None:
        asked.append(source)
        raise AssertionError(f"unexpected download of {source}")

    monkeypatch.setattr(stage, "fetch", fetch)
    return asked


@pytest.fixture
def source_down(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every download fails as an FTP server that is down does; returns the sources asked for."""
    asked: list[str] = []

    def fetch(source: str, target: str, **kwargs: t.Any) -> None:
        asked.append(source)
        raise DownloadError("cannot connect to ftp://ftp.example.com/pub/ConAktiv-2.0.0.zip: [Errno 111] Connection refused")

    monkeypatch.setattr(stage, "fetch", fetch)
    return asked


def staged_already(host: t.Any, version: str = "2.0.0", checksum: str = "sha256:" + "ab" * 32, staged_at: str = "2026-11-30T12:00:00+00:00",
                   manifest: bool = True) -> None:
    """A staging made earlier: the tree, its manifest and the marker naming the manifest (as stage writes them)."""
    host.add_file(f"{STAGED}/version.txt", version)
    host.add_file(f"{STAGED}/Server Database/Preferences/server.prefs", "defaults")
    data = {name: (len(content), hashlib.sha256(content).hexdigest()) for name, content in
            (("version.txt", version.encode()), ("Server Database/Preferences/server.prefs", b"defaults"))}
    written = Manifest(data)
    marker = {"version": version, "checksum": checksum, "staged_at": staged_at}
    if manifest:
        host.add_file(MANIFEST, written.text())
        marker["manifest"] = {"name": MANIFEST_NAME, "sha256": written.digest(), "files": len(data)}
    host.add_file(MARKER, json.dumps(marker))


# -- idempotence and check mode -------------------------------------------------------------------


@pytest.mark.parametrize(("change", "why"), [
    (lambda host: host.add_file(f"{STAGED}/version.txt", "2.0.1"), "1 file(s) of the staged tree differ from its manifest: changed: version.txt"),
    (lambda host: host.files.pop(f"{STAGED}/Server Database/Preferences/server.prefs"),
     "differ from its manifest: missing: Server Database/Preferences/server.prefs"),
    (lambda host: host.add_file(f"{STAGED}/evil.dll", "x"), "differ from its manifest: added: evil.dll"),
    (lambda host: host.add_file(MANIFEST, host.text(MANIFEST).replace("version.txt", "version.TXT")), "is not the one written with it"),
    (lambda host: host.files.pop(MANIFEST), "its manifest conaktiv-stage-manifest.json is missing"),
])
def test_a_staged_tree_that_changed_is_staged_again_and_refused_when_the_source_is_gone(host: t.Any, make_action: t.Callable[..., t.Any],
                                                                                        source_down: list[str], change: t.Any, why: str):
    staged_already(host)
    change(host)
    result = run(make_action, checksum="sha256:" + "ab" * 32)
    # The download is tried (restaging); the source failing here, the task fails before anything else happens.
    assert source_down == [FTP_SOURCE] and result["failed"]
    assert result["msg"].startswith("the staged version 2.0.0 cannot be used (") and why in result["msg"], result["msg"]
    assert result["msg"].endswith("cannot be staged again: cannot connect to ftp://ftp.example.com/pub/ConAktiv-2.0.0.zip: [Errno 111] Connection refused")
    assert mutations(host) == []


def test_a_changed_staging_is_replaced_when_the_source_is_there(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path, said: list[str]):
    package = build_package(tmp_path)
    staged_already(host, checksum=f"sha256:{sha256(package)}")
    host.add_file(f"{STAGED}/version.txt", "tampered")
    result = run(make_action, source=str(package), checksum=f"sha256:{sha256(package)}", language="en")
    assert said == ["srv1: the staged version 2.0.0 cannot be used (1 file(s) of the staged tree differ from its manifest: changed: "
                    "version.txt); it is staged again."]
    assert result["changed"] is True and result["restaged"] is True and result["reused"] is False
    assert result["msg"].startswith("staged version 2.0.0 again: 1 file(s) of the staged tree differ from its manifest: changed: version.txt")
    written = parse_manifest(host.text(MANIFEST))
    assert set(written.files) == {"version.txt", "ConAktiv Server.bin", "Server Database/Preferences/server.prefs"}
    assert written.files["version.txt"] == (6, hashlib.sha256(b"2.0.0\n").hexdigest())
    marker = json.loads(host.text(MARKER))
    assert marker["manifest"] == {"name": MANIFEST_NAME, "sha256": written.digest(), "files": 3}
    # The manifest is written before the marker: a marker always has its manifest.
    writes = [args[0] for op, args in host.calls if op == "write_text"]
    assert writes.index(MANIFEST) < len(writes) and (MARKER not in writes or writes.index(MANIFEST) < writes.index(MARKER))


def test_a_staging_older_than_max_age_days_is_replaced_and_verification_can_be_left_out(
        host: t.Any, make_action: t.Callable[..., t.Any], source_down: list[str]):
    staged_already(host, staged_at="2026-01-01T00:00:00+00:00")
    result = run(make_action, max_age_days=7)
    assert result["failed"] and "days ago, more than max_age_days (7)" in result["msg"]
    host.add_file(f"{STAGED}/version.txt", "tampered")
    reused = run(make_action, verify_staged=False)
    assert reused["changed"] is False and reused["msg"] == "version 2.0.0 staged at 2026-01-01T00:00:00+00:00 is reused"


def test_a_staging_without_a_manifest_is_not_trusted(host: t.Any, make_action: t.Callable[..., t.Any], source_down: list[str]):
    staged_already(host, manifest=False)
    result = run(make_action)
    assert result["failed"] and "it has no manifest to verify it by" in result["msg"]


def test_a_matching_marker_means_no_download_at_all(host: t.Any, make_action: t.Callable[..., t.Any], no_download: list[str], said: list[str]):
    staged_already(host)
    result = run(make_action, checksum="sha256:" + "ab" * 32)
    assert said == ["srv1: Version 2.0.0, bereitgestellt am 2026-11-30 12:00 UTC, wird verwendet (2 Dateien geprüft); kein Download."]
    assert result["changed"] is False, result.get("msg")
    assert result["msg"] == "version 2.0.0 staged at 2026-11-30T12:00:00+00:00 is reused (2 files verified)"
    assert result["reused"] is True and result["staged_at"] == "2026-11-30T12:00:00+00:00"
    assert result["checksum"] == "sha256:" + "ab" * 32
    assert result["source"] == "ftp://ftp.example.com/pub/ConAktiv-2.0.0.zip"
    assert no_download == []
    assert mutations(host) == []


def test_without_a_checksum_the_staged_version_is_enough(host: t.Any, make_action: t.Callable[..., t.Any], no_download: list[str]):
    staged_already(host)
    assert run(make_action)["changed"] is False
    assert no_download == []


@pytest.mark.parametrize(("wanted", "staged"), [
    ({"checksum": "sha256:" + "cd" * 32}, {}),
    ({}, {"version": "1.9.0"}),
    ({"force": True}, {}),
])
def test_check_mode_predicts_a_restage_without_downloading(wanted: dict[str, t.Any], staged: dict[str, t.Any], host: t.Any,
                                                           make_action: t.Callable[..., t.Any], no_download: list[str]):
    staged_already(host, **staged)
    result = run(make_action, check_mode=True, **wanted)
    assert result["changed"] is True
    assert result["msg"] == "would re-stage version 2.0.0"
    assert no_download == []
    assert mutations(host) == [] and host.check_mode_violations == []


def test_check_mode_on_a_clean_host(host: t.Any, make_action: t.Callable[..., t.Any], no_download: list[str]):
    result = run(make_action, check_mode=True)
    assert result["msg"] == "would stage version 2.0.0"
    assert no_download == [] and mutations(host) == []
    assert host.listed_missing == []


# -- a real staging -------------------------------------------------------------------------------


def test_stage_unpacks_the_package_and_writes_the_marker(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    package = build_package(tmp_path, top="ConAktiv Server 2.0.0")
    result = run(make_action, source=str(package), checksum=f"sha256:{sha256(package)}")
    assert result["changed"] is True, result.get("msg")
    assert result["restaged"] is False and result["files"] == 3
    assert host.text(f"{STAGED}/version.txt") == "2.0.0\n"
    assert host.text(f"{STAGED}/Server Database/Preferences/server.prefs") == "defaults"
    marker = json.loads(host.text(MARKER))
    assert marker["version"] == "2.0.0" and marker["checksum"] == f"sha256:{sha256(package)}"
    assert marker["source"] == str(package)
    assert host.ops("rename") == [(f"{TEMP}/.unpack/ConAktiv Server 2.0.0", STAGED)]
    assert not host.exists(f"{TEMP}/.unpack") and not host.exists(f"{TEMP}/{package.name}")
    assert host.ops("write_text")[-1][0] == MARKER


def test_a_package_without_top_folder(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    package = build_package(tmp_path, top=None)
    assert run(make_action, source=str(package))["changed"] is True
    assert host.ops("rename") == [(f"{TEMP}/.unpack", STAGED)]
    assert host.text(f"{STAGED}/version.txt") == "2.0.0\n"


def test_a_different_staged_version_is_replaced(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    staged_already(host, version="1.9.0")
    host.add_file(f"{STAGED}/only-in-1.9.0.txt", "old")
    result = run(make_action, source=str(build_package(tmp_path)))
    assert result["restaged"] is True
    assert host.ops("remove")[:3] == [(MARKER,), (MANIFEST,), (STAGED,)]
    assert not host.exists(f"{STAGED}/only-in-1.9.0.txt")


def test_a_torn_marker_counts_as_nothing_staged(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    host.add_file(f"{STAGED}/version.txt", "2.0.0")
    host.add_file(MARKER, '{"version": "2.0')
    assert run(make_action, source=str(build_package(tmp_path)))["changed"] is True
    assert json.loads(host.text(MARKER))["version"] == "2.0.0"


# -- refusals before the host is touched ----------------------------------------------------------


def test_a_checksum_mismatch_touches_nothing(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    package = build_package(tmp_path)
    result = run(make_action, source=str(package), checksum="sha256:" + "0" * 64)
    assert result["failed"] is True
    assert result["msg"] == f"checksum mismatch for {package}: expected sha256:{'0' * 64}, got sha256:{sha256(package)}"
    assert mutations(host) == []


def test_a_package_of_another_version_touches_nothing(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    package = build_package(tmp_path, version="2.0.1")
    result = run(make_action, source=str(package), version="2.0.0")
    assert result["msg"] == f"{package} contains version 2.0.1, not the requested 2.0.0"
    assert mutations(host) == []


def test_an_archive_that_is_no_conaktiv_server_touches_nothing(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    package = build_package(tmp_path, server_database=False)
    result = run(make_action, source=str(package))
    assert result["msg"] == f"{package} does not look like a ConAktiv server: 'Server Database' is missing"
    assert mutations(host) == []


def test_not_enough_disk_space(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    host.free = 100
    result = run(make_action, source=str(build_package(tmp_path)))
    assert result["msg"].startswith("not enough free disk space in /srv: ")
    assert not host.ops("put_file", "unpack")


def test_a_missing_package_file_on_the_controller(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    result = run(make_action, source=str(tmp_path / "nope.zip"))
    assert result["msg"] == f"the package {tmp_path}/nope.zip does not exist on the controller"
    assert mutations(host) == []


def test_different_volumes_are_refused_unless_allowed(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    host.volumes = {SERVER: "/srv/ConAktiv Server"}  # the server folder is a mount point of its own
    package = build_package(tmp_path)
    result = run(make_action, source=str(package))
    assert result["failed"] is True
    assert "are on different volumes" in result["msg"] and "allow_cross_volume" in result["msg"]
    assert not host.exists(STAGED) and not host.exists(MARKER)
    assert run(make_action, source=str(package), allow_cross_volume=True)["changed"] is True
    assert host.exists(MARKER)


@pytest.mark.parametrize(("family", "limit", "refused"), [("windows", 260, True), ("windows", 0, False), ("windows", 400, False),
                                                          ("posix", 260, False)])
def test_paths_past_max_path_are_refused_on_windows_before_anything_is_copied(family: str, limit: int, refused: bool, host: t.Any,
                                                                              make_action: t.Callable[..., t.Any], tmp_path: Path):
    package = build_package(tmp_path)
    deep = "ConAktiv Server/Resources/" + "/".join(["Verzeichnis mit langem Namen"] * 9) + "/Wörterbuch.dic"
    with zipfile.ZipFile(package, "a") as archive:
        archive.writestr(deep, "x")
    host.family = family
    result = run(make_action, source=str(package), max_path_length=limit)
    if refused:
        assert result.get("failed") is True
        assert "characters once in" in result["msg"] and "Wörterbuch.dic" in result["msg"]
        assert not host.ops("put_file", "make_dir", "unpack")
    else:
        assert result["changed"] is True, result.get("msg")


# -- errors name the source as the user gave it, and say what is wrong ------------------------------


def assert_refused_before_the_host(result: dict[str, t.Any], host: t.Any) -> None:
    """Failed with a one-line message that names no scratch file, and nothing on the host changed."""
    assert result.get("failed") is True, result
    assert "conaktiv-stage-" not in result["msg"] and "\n" not in result["msg"]
    assert mutations(host) == []


def test_a_truncated_download_names_the_ftp_source_without_the_password(host: t.Any, make_action: t.Callable[..., t.Any],
                                                                        tmp_path: Path, ftp_server: t.Any):
    package = build_package(tmp_path)
    (ftp_server.root / "ConAktiv-2.0.0.zip").write_bytes(package.read_bytes()[:200])
    result = run(make_action, source=ftp_server.url_for("ConAktiv-2.0.0.zip", credentials=True), timeout=10)
    assert_refused_before_the_host(result, host)
    shown = f"ftp://127.0.0.1:{ftp_server.port}/ConAktiv-2.0.0.zip"
    assert result["msg"].startswith(f"{shown} is a damaged zip archive (truncated download?): "), result["msg"]
    assert ftp_server.password not in result["msg"]


def test_a_damaged_member_is_named(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    package = build_package(tmp_path)
    data = package.read_bytes()
    spot = data.index(b"\x7fELF")  # stored, not compressed: flip a byte of the member's data, the CRC no longer matches
    package.write_bytes(data[:spot] + b"\x00" + data[spot + 1:])
    result = run(make_action, source=str(package))
    assert_refused_before_the_host(result, host)
    assert result["msg"].startswith(f"{package}: member 'ConAktiv Server/ConAktiv Server.bin' is damaged: Bad CRC-32"), result["msg"]


@pytest.mark.parametrize(("content", "problem"), [
    (b"", "is neither a zip nor a tar archive (the file is empty)"),
    (b"<html>login required</html>", "is neither a zip nor a tar archive"),
])
def test_a_file_that_is_no_archive(content: bytes, problem: str, host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    package = tmp_path / "ConAktiv-2.0.0.zip"
    package.write_bytes(content)
    result = run(make_action, source=str(package))
    assert_refused_before_the_host(result, host)
    assert result["msg"] == f"{package} {problem}"


def test_a_truncated_tar_gz(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in (("ConAktiv Server/version.txt", b"2.0.0\n"), ("ConAktiv Server/big.bin", bytes(range(256)) * 4000)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    package = tmp_path / "ConAktiv-2.0.0.tar.gz"
    package.write_bytes(buffer.getvalue()[:-200])
    result = run(make_action, source=str(package))
    assert_refused_before_the_host(result, host)
    assert result["msg"] == f"{package} is a damaged archive: Compressed file ended before the end-of-stream marker was reached"


def test_zip_slip_is_refused_with_the_member(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    package = build_package(tmp_path)
    with zipfile.ZipFile(package, "a") as archive:
        archive.writestr("../evil.sh", "rm -rf /")
    result = run(make_action, source=str(package))
    assert_refused_before_the_host(result, host)
    assert result["msg"] == f"refusing to unpack {package} (zip-slip): archive member '../evil.sh' contains a '..' component"
    assert result["unsafe_members"] == ["archive member '../evil.sh' contains a '..' component"]


@pytest.mark.parametrize(("entry", "problem"), [
    # A folder where the version file should be.
    ("ConAktiv Server/version.txt/", "cannot read 'ConAktiv Server/version.txt' from the archive: 'it is a folder, not a file'"),
    ("ConAktiv Server/version.txt", "'ConAktiv Server/version.txt' holds no version: "),
])
def test_an_unreadable_version_file(entry: str, problem: str, host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    package = tmp_path / "ConAktiv-2.0.0.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr(entry, "" if entry.endswith("/") else "<html>not found</html>")
        archive.writestr("ConAktiv Server/Server Database/server.prefs", "defaults")
    result = run(make_action, source=str(package))
    assert_refused_before_the_host(result, host)
    assert result["msg"].startswith(f"{package}: {problem}"), result["msg"]


def test_a_cache_dir_that_cannot_be_written(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path):
    package = build_package(tmp_path)
    blocker = tmp_path / "cache"
    blocker.write_text("a file, not a folder")
    result = run(make_action, source=str(package), checksum=f"sha256:{sha256(package)}", cache_dir=str(blocker))
    assert_refused_before_the_host(result, host)
    assert result["msg"] == f"the controller folder {blocker} for the package is a file, not a folder"


def test_an_unpack_failure_on_the_host_names_the_source(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    def unpack(archive: str, target: str) -> None:
        raise ModuleFailed("ansible.builtin.unarchive", f"failed to unpack {archive} to {target}: [Errno 28] No space left on device", {})

    monkeypatch.setattr(host, "unpack", unpack)
    package = build_package(tmp_path)
    result = run(make_action, source=str(package))
    assert result["msg"] == (f"unpacking {package} in {TEMP} failed: ansible.builtin.unarchive: failed to unpack {TEMP}/{package.name} "
                             f"to {TEMP}/.unpack: [Errno 28] No space left on device")


# -- the controller's package cache ---------------------------------------------------------------------------


def test_a_cached_package_is_reused_only_after_its_checksum_and_made_private(host: t.Any, make_action: t.Callable[..., t.Any],
                                                                             tmp_path: Path, no_download: list[str]):
    package = build_package(tmp_path)
    cache = tmp_path / "cache"
    cached = cache / f"sha256-{sha256(package)}" / "ConAktiv-2.0.0.zip"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(package.read_bytes())
    cached.chmod(0o644)
    cache.chmod(0o755)
    result = run(make_action, checksum=f"sha256:{sha256(package)}", cache_dir=str(cache), source="ftp://ftp.example.com/pub/ConAktiv-2.0.0.zip")
    assert result.get("failed") is not True, result
    assert no_download == [], "the source was not asked: the cached package verified"
    assert cached.stat().st_mode & 0o777 == 0o600 and cache.stat().st_mode & 0o777 == 0o700


def test_a_cached_package_that_changed_is_never_used_but_fetched_again(host: t.Any, make_action: t.Callable[..., t.Any], tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch):
    package = build_package(tmp_path)
    cached = tmp_path / "cache" / f"sha256-{sha256(package)}" / "ConAktiv-2.0.0.zip"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"PK swapped by someone")
    asked: list[str] = []

    def fetch(source: str, target: str, **kwargs: t.Any) -> None:
        asked.append(source)
        Path(target).write_bytes(package.read_bytes())

    monkeypatch.setattr(stage, "fetch", fetch)
    result = run(make_action, checksum=f"sha256:{sha256(package)}", cache_dir=str(tmp_path / "cache"),
                 source="ftp://ftp.example.com/pub/ConAktiv-2.0.0.zip")
    assert result.get("failed") is not True, result
    assert asked == ["ftp://ftp.example.com/pub/ConAktiv-2.0.0.zip"] and cached.read_bytes() == package.read_bytes()
