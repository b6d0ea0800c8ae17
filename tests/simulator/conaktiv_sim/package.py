"""Vendor packages: a fresh server folder of one version as zip or tar.gz, of any size."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Union

from .layout import SERVER_NAME, TreeFile, server_files, write_tree

CHUNK = 1024 * 1024
FILLER_FOLDER = "lib/resources"
SMALL_FILLER_BYTES = 1024
FORMATS = ("zip", "tar.gz")


@dataclass(frozen=True)
class Filler:
    """Incompressible file of random bytes, produced in chunks (never whole in memory)."""

    path: str
    size: int

    def chunks(self) -> Iterator[bytes]:
        """The content, CHUNK bytes at a time."""
        remaining = self.size
        while remaining > 0:
            step = min(CHUNK, remaining)
            yield os.urandom(step)
            remaining -= step


class RandomReader:  # pylint: disable=too-few-public-methods
    """File-like reader over a Filler, for tarfile.addfile (keeps at most one chunk in memory)."""

    def __init__(self, filler: Filler) -> None:
        self._chunks = filler.chunks()
        self._current = b""
        self._offset = 0

    def read(self, size: Optional[int] = -1) -> bytes:
        """Up to size bytes (all remaining when size is None or negative)."""
        if size is None or size < 0:
            rest = self._current[self._offset:]
            self._current, self._offset = b"", 0
            return rest + b"".join(self._chunks)
        parts: List[bytes] = []
        while size > 0:
            if self._offset >= len(self._current):
                self._current, self._offset = next(self._chunks, b""), 0
                if not self._current:
                    break
            piece = self._current[self._offset:self._offset + size]
            self._offset += len(piece)
            size -= len(piece)
            parts.append(piece)
        return b"".join(parts)


Entry = Union[TreeFile, Filler]


def filler_files(size_mb: float, files: int) -> List[Filler]:
    """Filler to reach size_mb MiB spread over `files` files (1 file when only a size is given; 1 KiB each when only a count)."""
    if size_mb < 0 or files < 0:
        raise ValueError("size_mb and files must not be negative")
    total = int(size_mb * CHUNK)
    count = files or (1 if total else 0)
    if count == 0:
        return []
    if total == 0:
        return [Filler(f"{FILLER_FOLDER}/resource-{index:05d}.bin", SMALL_FILLER_BYTES) for index in range(1, count + 1)]
    base, extra = divmod(total, count)
    return [Filler(f"{FILLER_FOLDER}/resource-{index:05d}.bin", base + (1 if index <= extra else 0)) for index in range(1, count + 1)]


def folder_names(paths: List[str]) -> List[str]:
    """Every parent folder of the given relative paths, parents first."""
    folders = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folders.add("/".join(parts[:depth]))
    return sorted(folders, key=lambda name: (name.count("/"), name))


def build_package(out: Union[str, Path], version: str, fmt: str = "zip", size_mb: float = 0, files: int = 0,
                  top_folder: bool = True, server_name: str = SERVER_NAME) -> Path:
    """Write the vendor package of `version` to `out` and return its path.

    The archive holds a fresh server folder (default Preferences, no cert/key, no custom.dic),
    under a single top-level folder `server_name` unless top_folder is False, plus filler.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    entries: List[Entry] = list(server_files(version))
    entries.extend(filler_files(size_mb, files))
    prefix = f"{server_name}/" if top_folder else ""
    partial = out.with_name(f".{out.name}.partial")
    if fmt == "zip":
        write_zip(partial, entries, prefix)
    else:
        write_tar_gz(partial, entries, prefix)
    os.replace(partial, out)
    return out


def write_zip(path: Path, entries: List[Entry], prefix: str) -> None:
    """Zip with folder entries; filler stored (random data does not compress), the rest deflated."""
    stamp = time.localtime()[:6]
    with zipfile.ZipFile(path, "w", allowZip64=True) as archive:
        for folder in ([prefix.rstrip("/")] if prefix else []) + [prefix + name for name in folder_names([e.path for e in entries])]:
            info = zipfile.ZipInfo(folder + "/", stamp)
            info.external_attr = (0o40755 << 16) | 0x10
            archive.writestr(info, b"")
        for entry in entries:
            info = zipfile.ZipInfo(prefix + entry.path, stamp)
            if isinstance(entry, Filler):
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_STORED
                with archive.open(info, "w", force_zip64=entry.size >= 2 ** 31) as handle:
                    for chunk in entry.chunks():
                        handle.write(chunk)
            else:
                info.external_attr = (0o100000 | entry.mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, entry.content)


def write_tar_gz(path: Path, entries: List[Entry], prefix: str) -> None:
    """tar.gz with folder entries; gzip level 1, because the filler does not compress anyway."""
    now = time.time()
    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        for folder in ([prefix.rstrip("/")] if prefix else []) + [prefix + name for name in folder_names([e.path for e in entries])]:
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, now
            archive.addfile(info)
        for entry in entries:
            info = tarfile.TarInfo(prefix + entry.path)
            info.mtime = now
            if isinstance(entry, Filler):
                info.size, info.mode = entry.size, 0o644
                archive.addfile(info, RandomReader(entry))  # type: ignore[arg-type]
            else:
                info.size, info.mode = len(entry.content), entry.mode
                archive.addfile(info, io.BytesIO(entry.content))


# -- packages as other tools write them -----------------------------------------------------------------

#: A dictionary with umlauts in its name, as admins add them (and vendors ship them).
UMLAUT_DICTIONARY = "Server Database/Resources/Hunspell/Wörterbuch-Müller.dic"


class _LegacyZipInfo(zipfile.ZipInfo):
    """A member whose name is stored in an OEM code page without the UTF-8 flag, as older Windows zip tools and the
    Explorer's "Send to compressed folder" write it."""

    encoding = "cp850"

    def _encodeFilenameFlags(self):  # noqa: N802  # pylint: disable=invalid-name  # zipfile's own hook
        return self.filename.encode(self.encoding), self.flag_bits & ~0x800


def build_windows_package(out: Union[str, Path], version: str, *, encoding: str = "cp850", backslashes: bool = True,
                          top_folder: bool = True) -> Path:
    """The vendor package as a Windows zip tool writes it: names with backslashes and in ``encoding`` without the UTF-8
    flag (``utf-8`` with the flag for the newer tools), with or without the top folder; a dictionary with umlauts."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    entries = list(server_files(version)) + [TreeFile(UMLAUT_DICTIONARY, "1\nKundenstamm\n".encode("utf-8"))]
    prefix = f"{SERVER_NAME}/" if top_folder else ""
    separator = "\\" if backslashes else "/"
    stamp = time.localtime()[:6]
    with zipfile.ZipFile(out, "w") as archive:
        for entry in entries:
            name = (prefix + entry.path).replace("/", separator)
            info = zipfile.ZipInfo(name, stamp) if encoding == "utf-8" else _LegacyZipInfo(name, stamp)
            if isinstance(info, _LegacyZipInfo):
                info.encoding = encoding
            info.create_system = 0  # MS-DOS: no Unix modes, as on Windows
            info.external_attr = 0x20  # the archive attribute
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entry.content)
    return out


def build_package_with_tool(out: Union[str, Path], version: str, tool: str, *, top_folder: bool = True) -> Path:
    """The vendor package zipped by a real tool from Debian: ``zip`` (Info-ZIP), ``7zz`` (7-Zip) or ``bsdtar`` (libarchive)."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.tree"
    root = work / SERVER_NAME
    write_tree(root, iter(list(server_files(version)) + [TreeFile(UMLAUT_DICTIONARY, "1\nKundenstamm\n".encode("utf-8"))]))
    base, what = (work, SERVER_NAME) if top_folder else (root, ".")
    commands = {"zip": ["zip", "-q", "-r", str(out), what],
                "7zz": ["7zz", "a", "-tzip", "-bso0", "-bsp0", str(out), what if top_folder else "*"],
                "bsdtar": ["bsdtar", "-a", "-cf", str(out), what]}
    subprocess.run(commands[tool], cwd=base, check=True, capture_output=True, env={**os.environ, "LC_ALL": "C.UTF-8"})
    shutil.rmtree(work)
    return out
