"""The package builder: archives unpack to the documented layout, with the requested size and file count."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tracemalloc
import zipfile
from pathlib import Path
from typing import List

import pytest

from conaktiv_sim.layout import DEFAULT_SETTINGS
from conaktiv_sim.package import build_package
from conaktiv_sim.testing import SIMULATOR_ROOT

MIB = 1024 * 1024
SERVER_SOURCE = SIMULATOR_ROOT / "conaktiv_sim" / "server.py"
PREFERENCES = Path("Server Database/Preferences")
HUNSPELL = Path("Server Database/Resources/Hunspell")


def unpack(archive: Path, target: Path) -> List[str]:
    """Extract the archive, return its top-level names."""
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as handle:
            handle.extractall(target)
            names = handle.namelist()
    else:
        with tarfile.open(archive) as handle:
            handle.extractall(target, filter="data")
            names = handle.getnames()
    return sorted({name.strip("/").split("/")[0] for name in names})


def filler(folder: Path) -> List[Path]:
    """Filler files of an unpacked server folder."""
    return sorted((folder / "lib" / "resources").glob("resource-*.bin"))


@pytest.mark.parametrize("fmt", ["zip", "tar.gz"])
@pytest.mark.parametrize("top_folder", [True, False], ids=["top-folder", "no-top-folder"])
def test_package_unpacks_to_documented_layout(tmp_path: Path, fmt: str, top_folder: bool) -> None:
    archive = build_package(tmp_path / f"conaktiv-2.0.0.{fmt}", "2.0.0", fmt=fmt, top_folder=top_folder)
    top = unpack(archive, tmp_path / "out")
    if top_folder:
        assert top == ["ConAktiv Server"]
        server = tmp_path / "out" / "ConAktiv Server"
    else:
        assert "ConAktiv Server" not in top and "version.txt" in top
        server = tmp_path / "out"
    assert (server / "version.txt").read_text() == "2.0.0\n"
    assert (server / "conaktiv_server.py").read_bytes() == SERVER_SOURCE.read_bytes()
    assert (server / "lib" / "conaktiv-2.0.0.jar").is_file()
    assert (server / "ReleaseNotes_2.0.0.txt").read_text().startswith("ConAktiv Server 2.0.0")
    settings = json.loads((server / PREFERENCES / "settings.json").read_text())
    assert settings == DEFAULT_SETTINGS
    assert (settings["client_port"], settings["control_port"], settings["control_token"]) == (2048, 2049, "default")
    assert json.loads((server / PREFERENCES / "backup.json").read_text()) == {"backup_folder": "Backups", "keep": 5}
    assert sorted(p.name for p in (server / HUNSPELL).iterdir()) == ["de_DE.aff", "de_DE.dic"]
    assert not (server / "Server Database" / "cert.pem").exists()
    assert not (server / "Server Database" / "key.pem").exists()
    assert filler(server) == []


def test_server_program_is_executable_in_both_formats(tmp_path: Path) -> None:
    with zipfile.ZipFile(build_package(tmp_path / "p.zip", "2.0.0")) as archive:
        mode = archive.getinfo("ConAktiv Server/conaktiv_server.py").external_attr >> 16
        assert mode & 0o111
        assert archive.getinfo("ConAktiv Server/lib/").is_dir()
    with tarfile.open(build_package(tmp_path / "p.tar.gz", "2.0.0", fmt="tar.gz")) as archive:
        assert archive.getmember("ConAktiv Server/conaktiv_server.py").mode & 0o111
        assert archive.getmember("ConAktiv Server/lib").isdir()


@pytest.mark.parametrize("fmt", ["zip", "tar.gz"])
def test_size_and_file_count(tmp_path: Path, fmt: str) -> None:
    archive = build_package(tmp_path / f"big.{fmt}", "2.0.0", fmt=fmt, size_mb=3, files=7)
    assert archive.stat().st_size >= 3 * MIB  # the filler does not compress
    unpack(archive, tmp_path / "out")
    files = filler(tmp_path / "out" / "ConAktiv Server")
    assert len(files) == 7
    assert sum(path.stat().st_size for path in files) == 3 * MIB


def test_file_count_without_size_gives_small_files(tmp_path: Path) -> None:
    archive = build_package(tmp_path / "many.zip", "2.0.0", files=25)
    with zipfile.ZipFile(archive) as handle:
        sizes = [info.file_size for info in handle.infolist() if "/lib/resources/" in info.filename and not info.is_dir()]
    assert sizes == [1024] * 25


def test_size_without_count_gives_one_file(tmp_path: Path) -> None:
    archive = build_package(tmp_path / "one.zip", "2.0.0", size_mb=0.5, top_folder=False)
    with zipfile.ZipFile(archive) as handle:
        sizes = [info.file_size for info in handle.infolist() if info.filename.startswith("lib/resources/") and not info.is_dir()]
    assert sizes == [MIB // 2]


@pytest.mark.parametrize(("fmt", "size_mb"), [("zip", 48), ("tar.gz", 12)])
def test_large_packages_are_streamed(tmp_path: Path, fmt: str, size_mb: int) -> None:
    tracemalloc.start()
    try:
        archive = build_package(tmp_path / f"large.{fmt}", "2.0.0", fmt=fmt, size_mb=size_mb)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert archive.stat().st_size >= size_mb * MIB
    assert peak < 8 * MIB, f"building used {peak / MIB:.1f} MiB of memory"


def test_version_specific_files_differ_between_versions(tmp_path: Path) -> None:
    def jar(version: str, name: str) -> bytes:
        with zipfile.ZipFile(build_package(tmp_path / name, version)) as handle:
            return handle.read(f"ConAktiv Server/lib/conaktiv-{version}.jar")

    first, again, other = jar("1.0.0", "a.zip"), jar("1.0.0", "b.zip"), jar("2.0.0", "c.zip")
    assert first == again
    assert first != other
    with zipfile.ZipFile(tmp_path / "c.zip") as handle:
        names = handle.namelist()
    assert "ConAktiv Server/lib/conaktiv-1.0.0.jar" not in names and "ConAktiv Server/ReleaseNotes_2.0.0.txt" in names


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        build_package(tmp_path / "x.rar", "2.0.0", fmt="rar")
    with pytest.raises(ValueError):
        build_package(tmp_path / "x.zip", "2.0.0", size_mb=-1)
    assert not list(tmp_path.iterdir())


def test_package_command_line(tmp_path: Path) -> None:
    out = tmp_path / "pkg" / "conaktiv-3.1.0.tar.gz"
    result = subprocess.run([sys.executable, "-m", "conaktiv_sim", "package", "--version", "3.1.0", "--out", str(out),
                             "--format", "tar.gz", "--no-top-folder", "--size-mb", "1", "--files", "2"],
                            cwd=SIMULATOR_ROOT, capture_output=True, text=True, check=True, timeout=60)
    described = json.loads(result.stdout)
    assert described["path"] == str(out) and described["size"] == out.stat().st_size >= MIB
    assert unpack(out, tmp_path / "out").count("version.txt") == 1
    assert (tmp_path / "out" / "version.txt").read_text() == "3.1.0\n"
    assert len(filler(tmp_path / "out")) == 2
    assert not list(out.parent.glob(".*partial"))
