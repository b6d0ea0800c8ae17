# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Archive members of a ConAktiv package (zip or tar) and the checks made before anything is unpacked.

The readers open a local archive file; everything else is pure. Member names are judged for both
Windows and POSIX targets: backslashes count as separators, drive letters and UNC names as absolute.
"""

from __future__ import annotations

import hashlib
import lzma
import re
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass

KIND_FILE = "file"
KIND_DIR = "dir"
KIND_SYMLINK = "symlink"
KIND_HARDLINK = "hardlink"
KIND_SPECIAL = "special"

_CHUNK = 1024 * 1024
# A symlink's target is stored as its data; anything longer than PATH_MAX is not a real target.
_MAX_LINK_TARGET = 4096
_MAX_LINK_HOPS = 40
_MSDOS_DIRECTORY = 0x10
_UTF8_FLAG = 0x800
_UNIX = 3  # "version made by" host of Unix
_SEPARATORS = re.compile(r"[/\\]+")
_DRIVE = re.compile(r"[A-Za-z]:")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")
_TAR_MAGIC_OFFSET = 257
# Everything the stdlib readers raise on damaged data.
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, tarfile.TarError, zlib.error, lzma.LZMAError,
                EOFError, OSError, ValueError, RuntimeError, NotImplementedError)


@dataclass(frozen=True)
class Member:
    """One entry of an archive, as stored (names are not normalized)."""

    name: str
    kind: str  # "file" | "dir" | "symlink" | "hardlink" | "special"
    size: int
    link_target: str | None
    mode: int | None


def _show(name: str) -> str:
    """A member name quoted for a message; repr() when it holds invisible characters."""
    return f"'{name}'" if name.isprintable() else repr(name)


def _components(name: str) -> list[str]:
    """The path components of a member name, split on / and \\; empty and '.' parts dropped, '..' kept."""
    return [part for part in _SEPARATORS.split(name) if part not in ("", ".")]


def member_path(name: str) -> str:
    """A member's path as the checks compare it: its parts joined with ``/`` (no ``./``, no trailing ``/``)."""
    return "/".join(_components(name))


def _absolute_kind(name: str) -> str | None:
    """Why ``name`` is absolute (UNC, drive letter, leading separator), or None if it is relative."""
    if name[:2] in ("//", "\\\\", "/\\", "\\/"):
        return "a UNC/network path"
    if _DRIVE.match(name):
        return "a path with a drive letter"
    if name[:1] in ("/", "\\"):
        return "an absolute path"
    return None


# --- readers -----------------------------------------------------------------------------------


def _head(path: str) -> bytes:
    """The first bytes of the file, enough to recognise zip, compressed and ustar archives."""
    try:
        with open(path, "rb") as handle:
            return handle.read(_TAR_MAGIC_OFFSET + 8)
    except OSError as exc:
        raise ValueError(f"{path} cannot be read: {exc.strerror or exc}") from None


def _checked(path: str, fmt: str) -> str:
    """``fmt`` if the archive opens; ValueError with the reader's reason if it does not."""
    try:
        if fmt == "zip":
            with zipfile.ZipFile(path):
                pass
        else:
            with tarfile.open(path, "r:*"):
                pass
    except _READ_ERRORS as exc:
        kind = "zip archive" if fmt == "zip" else "or unsupported tar archive"
        raise ValueError(f"{path} is a damaged {kind} (truncated download?): {' '.join(str(exc).split())}") from None
    return fmt


def _archive_format(path: str) -> str:
    """'zip' or 'tar' by content; ValueError if it is neither, or recognisable but damaged."""
    head = _head(path)
    if not head:
        raise ValueError(f"{path} is neither a zip nor a tar archive (the file is empty)")
    # Magic bytes first: a plain tar that ends with a small zip member would fool is_zipfile,
    # which only looks for the zip directory near the end of the file.
    if head.startswith(_ZIP_MAGIC):
        return _checked(path, "zip")
    if head.startswith(_COMPRESSED_MAGIC) or head[_TAR_MAGIC_OFFSET:_TAR_MAGIC_OFFSET + 5] == b"ustar":
        return _checked(path, "tar")
    if zipfile.is_zipfile(path):  # e.g. a self-extracting archive: a zip after a program
        return "zip"
    if tarfile.is_tarfile(path):  # old V7 tar without the ustar magic
        return "tar"
    raise ValueError(f"{path} is neither a zip nor a tar archive")


def _zip_kind(info: zipfile.ZipInfo) -> str:
    """The member kind from the name and the Unix mode kept in external_attr."""
    unix_mode = info.external_attr >> 16
    if stat.S_ISLNK(unix_mode):
        return KIND_SYMLINK
    if stat.S_ISCHR(unix_mode) or stat.S_ISBLK(unix_mode) or stat.S_ISFIFO(unix_mode) or stat.S_ISSOCK(unix_mode):
        return KIND_SPECIAL
    if info.orig_filename.endswith(("/", "\\")) or stat.S_ISDIR(unix_mode) or info.external_attr & _MSDOS_DIRECTORY:
        return KIND_DIR
    return KIND_FILE


def _zip_link_target(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str) -> str:
    """The target of a zip symlink, which zip stores as the member's data."""
    if info.file_size > _MAX_LINK_TARGET:
        raise ValueError(f"{path}: symlink {_show(info.orig_filename)} has a {info.file_size}-byte target, longer than any real path")
    try:
        data = archive.read(info)
    except _READ_ERRORS as exc:
        raise ValueError(f"{path}: cannot read the target of symlink {_show(info.orig_filename)}: {exc}") from None
    return data.decode("utf-8", errors="replace")


def zip_member_name(info: zipfile.ZipInfo) -> str:
    """The name of a zip member as the tool that wrote it meant it, with ``/`` between its parts.

    Zip tools on Windows separate with backslashes, and older ones (and the Explorer) store names in the OEM code page
    without the UTF-8 flag (APPNOTE 4.4.4, bit 11), which zipfile decodes as CP437. Without the flag the raw bytes are
    read as UTF-8 when they are valid UTF-8 (Info-ZIP and 7-Zip on Linux write them so), else as CP850, the OEM code page
    of German Windows (the same letters as CP437 for ä ö ü ß, and more of the accented ones). NUL bytes stay for the
    safety check.
    """
    name = info.orig_filename
    if not info.flag_bits & _UTF8_FLAG:
        raw = name.encode("cp437")  # zipfile decoded the stored bytes as CP437: this gives them back unchanged
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            name = raw.decode("cp850")
    return name.replace("\\", "/")


def _read_zip_members(path: str) -> list[Member]:
    """The members of a zip archive, named by :func:`zip_member_name`."""
    members = []
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            kind = _zip_kind(info)
            unix_mode = info.external_attr >> 16
            target = _zip_link_target(archive, info, path) if kind == KIND_SYMLINK else None
            members.append(Member(zip_member_name(info), kind, info.file_size, target, stat.S_IMODE(unix_mode) if unix_mode else None))
    return members


def names_need_normalizing(path: str) -> bool:
    """Whether a zip stores names that unpack tools read differently: backslashes, non-ASCII names without the UTF-8 flag, or
    non-ASCII names of entries made on MS-DOS/Windows (which Info-ZIP's unzip translates from the OEM code page)."""
    if _archive_format(path) != "zip":
        return False
    with zipfile.ZipFile(path) as archive:
        return any("\\" in info.orig_filename
                   or not info.orig_filename.isascii() and (not info.flag_bits & _UTF8_FLAG or info.create_system != _UNIX)
                   for info in archive.infolist())


def write_normalized_zip(path: str, target: str) -> None:
    """Copy the zip ``path`` to ``target`` with every name as :func:`zip_member_name` reads it, stored in UTF-8 (with the flag)
    and ``/`` separators, so that every unpack tool on every host gives the same names. Data, modes and times are kept."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "x", allowZip64=True) as out:
        for info in source.infolist():
            name = zip_member_name(info)
            kind = _zip_kind(info)
            copied = zipfile.ZipInfo(name.rstrip("/") + "/" if kind == KIND_DIR else name, date_time=info.date_time)
            copied.external_attr, copied.create_system = info.external_attr, info.create_system
            if info.create_system != _UNIX:
                # Made on MS-DOS/Windows: Info-ZIP's unzip would translate the names from the OEM code page (even with the
                # UTF-8 flag); as a Unix entry with the usual modes it takes them as they are.
                unix_mode = 0o40755 if kind == KIND_DIR else 0o100644
                copied.create_system, copied.external_attr = _UNIX, (unix_mode << 16) | (info.external_attr & 0xFFFF)
            copied.compress_type = info.compress_type if kind != KIND_DIR else zipfile.ZIP_STORED
            if kind == KIND_DIR:
                out.writestr(copied, b"")
                continue
            copied.file_size = info.file_size
            with source.open(info) as reader, out.open(copied, "w", force_zip64=info.file_size > 0x7FFFFFFF) as writer:
                while block := reader.read(_CHUNK):
                    writer.write(block)


def _tar_kind(info: tarfile.TarInfo) -> str:
    """The member kind of a tar entry."""
    if info.isreg():
        return KIND_FILE
    if info.isdir():
        return KIND_DIR
    if info.issym():
        return KIND_SYMLINK
    if info.islnk():
        return KIND_HARDLINK
    return KIND_SPECIAL


def _read_tar_members(path: str) -> list[Member]:
    """The members of a (possibly compressed) tar archive."""
    members = []
    with tarfile.open(path, "r:*") as archive:
        for info in archive:
            kind = _tar_kind(info)
            target = info.linkname if kind in (KIND_SYMLINK, KIND_HARDLINK) else None
            members.append(Member(info.name, kind, info.size, target, info.mode))
    return members


def read_members(path: str) -> list[Member]:
    """Every member of the zip or tar archive at ``path`` (detected by content, not by extension)."""
    reader = _read_zip_members if _archive_format(path) == "zip" else _read_tar_members
    try:
        return reader(path)
    except ValueError:
        raise
    except _READ_ERRORS as exc:
        raise ValueError(f"{path} is a damaged archive: {' '.join(str(exc).split())}") from None


def _drain(handle, path: str, name: str) -> tuple[int, str]:
    """Read an archive member to its end so the decompressor and CRC checks run; its size and SHA-256."""
    digest, size = hashlib.sha256(), 0
    try:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    except _READ_ERRORS as exc:
        raise ValueError(f"{path}: member {_show(name)} is damaged: {exc}") from None
    return size, digest.hexdigest()


def _verify_zip(path: str) -> dict[str, tuple[int, str]]:
    """Decompress every zip member and check its CRC."""
    found: dict[str, tuple[int, str]] = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            try:
                handle = archive.open(info)
            except _READ_ERRORS as exc:
                raise ValueError(f"{path}: member {_show(info.orig_filename)} cannot be read: {exc}") from None
            with handle:
                read = _drain(handle, path, info.orig_filename)
            if _zip_kind(info) == KIND_FILE:  # a link's data is its target's name, checked but no file of the tree
                found[member_path(zip_member_name(info))] = read
    return found


def _verify_tar(path: str) -> dict[str, tuple[int, str]]:
    """Read every tar header and the data of every regular member; a hard link has its target's content."""
    last = None
    found: dict[str, tuple[int, str]] = {}
    try:
        with tarfile.open(path, "r:*") as archive:
            for info in archive:
                last = info.name
                if info.isreg():
                    handle = archive.extractfile(info)
                    if handle is not None:
                        with handle:
                            found[member_path(info.name)] = _drain(handle, path, info.name)
                elif info.islnk() and member_path(info.linkname) in found:
                    found[member_path(info.name)] = found[member_path(info.linkname)]
    except ValueError:
        raise
    except _READ_ERRORS as exc:
        where = f"after member {_show(last)}" if last is not None else "at its start"
        raise ValueError(f"{path} is damaged {where}: {' '.join(str(exc).split())}") from None
    return found


def verify_archive(path: str) -> dict[str, tuple[int, str]]:
    """Read the whole archive (CRC checks for zip, every member for tar); ValueError naming the bad member. The size and
    SHA-256 of every regular file by its path (as :func:`member_path` gives it), for the manifest of the staged tree."""
    if _archive_format(path) == "zip":
        return _verify_zip(path)
    return _verify_tar(path)


# --- pure checks -------------------------------------------------------------------------------


class _LinkLoop(Exception):
    """A chain of symlinks inside the archive that never ends."""


def _resolve(parts: list[str], links: dict[tuple[str, ...], str]) -> tuple[str, ...] | None:
    """Resolve a relative path inside the archive tree, following the archive's own symlinks.

    Returns the resolved components, or None if the path leaves the tree (or a link in the way
    is absolute). Following links matters: a link "x" -> "." makes "x/.." leave the tree even
    though the text "x/.." does not.
    """
    resolved: list[str] = []
    pending = list(parts)
    hops = 0
    while pending:
        part = pending.pop(0)
        if part == "..":
            if not resolved:
                return None
            resolved.pop()
            continue
        resolved.append(part)
        target = links.get(tuple(resolved))
        if target is None:
            continue
        hops += 1
        if hops > _MAX_LINK_HOPS:
            raise _LinkLoop()
        if not target or _absolute_kind(target):
            return None
        resolved.pop()
        pending = _components(target) + pending
    return tuple(resolved)


def _name_problems(member: Member) -> list[str]:
    """Problems of the member's own name."""
    name = member.name
    if name == "":
        return ["has an empty name"]
    problems = []
    if "\x00" in name:
        problems.append("contains a NUL character")
    absolute = _absolute_kind(name)
    if absolute:
        problems.append(f"is {absolute}")
    if ".." in _SEPARATORS.split(name):
        problems.append("contains a '..' component")
    return problems


def _link_problems(member: Member, links: dict[tuple[str, ...], str], names: set[tuple[str, ...]]) -> list[str]:
    """Problems of a symlink's or hard link's target."""
    target = member.link_target
    noun = "symlink" if member.kind == KIND_SYMLINK else "hard link"
    if not target:
        return [f"is a {noun} without a target"]
    if "\x00" in target:
        return [f"is a {noun} whose target contains a NUL character"]
    absolute = _absolute_kind(target)
    if absolute:
        return [f"is a {noun} to {absolute} ({_show(target)})"]
    # A symlink's target is relative to the link's folder; a tar hard link names another member.
    base = _components(member.name)[:-1] if member.kind == KIND_SYMLINK else []
    try:
        resolved = _resolve(base + _components(target), links)
    except _LinkLoop:
        return [f"is a {noun} in an endless loop of links ({_show(target)})"]
    if resolved is None:
        return [f"is a {noun} to {_show(target)}, which leaves the archive's folder"]
    if member.kind == KIND_HARDLINK and resolved not in names:
        return [f"is a hard link to {_show(target)}, which is not in the archive"]
    return []


def _through_link(member: Member, links: dict[tuple[str, ...], str]) -> list[str]:
    """A member stored below one of the archive's symlinks would be written through that link."""
    parts = _components(member.name)
    for depth in range(1, len(parts)):
        if tuple(parts[:depth]) in links:
            return [f"lies inside the symlink '{'/'.join(parts[:depth])}' and would be written through it"]
    return []


# What Windows refuses or silently changes in a file name (Naming Files, Paths, and Namespaces, learn.microsoft.com): these
# characters, the device names (also with an extension), and a trailing dot or space (dropped, so two names become one).
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*\x00-\x1f]')
_WINDOWS_DEVICES = re.compile(r"(?i)^(con|prn|aux|nul|com[1-9\u00b9\u00b2\u00b3]|lpt[1-9\u00b9\u00b2\u00b3])(\..*)?$")


def windows_name_problems(members: list[Member]) -> list[str]:
    """Members a Windows host cannot unpack as they are named: forbidden characters, device names, a trailing dot or space, and
    names equal but for letter case (one would overwrite the other)."""
    problems: list[str] = []
    seen: dict[tuple[str, ...], str] = {}
    for member in members:
        parts = _components(member.name)
        for part in parts:
            if _WINDOWS_FORBIDDEN.search(part):
                problems.append(f"{_show(member.name)} has a character Windows does not allow in {_show(part)}")
            elif _WINDOWS_DEVICES.match(part):
                problems.append(f"{_show(member.name)} uses the reserved device name {_show(part)}")
            elif part.endswith((".", " ")):
                problems.append(f"{_show(member.name)} has a name ending in a dot or space ({_show(part)}), which Windows drops")
        key = tuple(part.casefold() for part in parts)
        if key in seen and seen[key] != "/".join(parts):
            problems.append(f"{_show(member.name)} and {_show(seen[key])} differ only in letter case: one would overwrite the other on Windows")
        seen.setdefault(key, "/".join(parts))
    return problems


def unsafe_members(members: list[Member]) -> list[str]:
    """One message per member that could write outside the unpack folder or create a device; [] if all are safe."""
    links = {tuple(_components(m.name)): m.link_target or "" for m in members if m.kind == KIND_SYMLINK and _components(m.name)}
    names = {tuple(_components(m.name)) for m in members if m.kind != KIND_DIR}
    messages = []
    for member in members:
        problems = _name_problems(member)
        if member.kind == KIND_SPECIAL:
            problems.append("is a device, fifo or other special file")
        elif member.kind in (KIND_SYMLINK, KIND_HARDLINK):
            problems.extend(_link_problems(member, links, names))
        elif member.kind not in (KIND_FILE, KIND_DIR):
            problems.append(f"has an unknown kind {member.kind!r}")
        if not problems:
            problems.extend(_through_link(member, links))
        if problems:
            messages.append(f"archive member {_show(member.name)} " + "; ".join(problems))
    return messages


def single_top_folder(members: list[Member]) -> str | None:
    """The one top-level folder every member is in, or None (several tops, a top-level file, no members)."""
    tops = set()
    for member in members:
        parts = _components(member.name)
        if not parts:
            continue
        if len(parts) == 1 and member.kind != KIND_DIR:
            return None
        tops.add(parts[0])
    return tops.pop() if len(tops) == 1 else None


def total_unpacked_size(members: list[Member]) -> int:
    """Bytes the regular files take once unpacked (links and folders count as nothing)."""
    return sum(member.size for member in members if member.kind == KIND_FILE)


def _windows_length(text: str) -> int:
    """Length as Windows counts it for MAX_PATH: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def longest_path(members: list[Member], prefix: str) -> int:
    """The longest member path once joined under ``prefix`` (UTF-16 units, as for the Windows 260-char limit); 0 if none."""
    windows = "\\" in prefix or bool(_DRIVE.match(prefix))
    separator = "\\" if windows else "/"
    base = prefix.rstrip("/\\")
    longest = 0
    for member in members:
        parts = _components(member.name)
        if not parts:
            continue
        relative = separator.join(parts)
        joined = f"{base}{separator}{relative}" if prefix else relative
        longest = max(longest, _windows_length(joined))
    return longest
