# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Proofs of the inputs before the first change on the host. Pure functions: the caller reads the host.

Each check returns the problems it found as sentences an administrator can act on; an empty list means
the inputs hold. Nothing here touches the host, so a refused input never costs downtime.
"""

from __future__ import annotations

import dataclasses
import pathlib
import typing as t

from ._preserve import nested_conflicts, normalize_item

MARKERS: tuple[str, ...] = ("Server Database",)


@dataclasses.dataclass(frozen=True)
class ServerFolder:
    """What the host showed of the server folder and its control interface."""

    path: str
    exists: bool
    is_dir: bool = True
    is_link: bool = False
    link_target: str | None = None
    entries: tuple[str, ...] = ()
    file_version: str | None = None
    control_url: str = ""
    control_version: str | None = None
    control_server_path: str | None = None


def _flavour(windows: bool) -> type[pathlib.PurePath]:
    return pathlib.PureWindowsPath if windows else pathlib.PurePosixPath


def _key(path: str, windows: bool) -> tuple[str, ...]:
    """A comparable form of a path: its parts, case-folded on Windows."""
    parts = _flavour(windows)(path.rstrip("/\\") or path).parts
    return tuple(part.casefold() for part in parts) if windows else tuple(parts)


def inside(inner: str, outer: str, windows: bool) -> bool:
    """Whether ``inner`` is ``outer`` or lies below it (by name; links are not resolved)."""
    inner_key, outer_key = _key(inner, windows), _key(outer, windows)
    return len(inner_key) >= len(outer_key) and inner_key[:len(outer_key)] == outer_key


def server_folder_problems(folder: ServerFolder, windows: bool, markers: t.Sequence[str] = MARKERS) -> list[str]:
    """The server folder is a real folder (no link), looks like a ConAktiv server, and its control interface belongs to it."""
    if not folder.exists:
        return [f"the server folder {folder.path} does not exist and no interrupted update needs it: check "
                "conaktiv_update_server_path, or put an old folder back with the conaktiv.server.rollback playbook"]
    if folder.is_link:
        return [f"the server folder {folder.path} is a symbolic link (to {folder.link_target or 'somewhere else'}): renaming it would move "
                "the link, not the server; give the real folder as conaktiv_update_server_path"]
    if not folder.is_dir:
        return [f"the server path {folder.path} is a file, not the server folder"]
    problems = []
    names = {name.casefold() if windows else name for name in folder.entries}
    missing = [marker for marker in markers if (marker.casefold() if windows else marker) not in names]
    if missing:
        problems.append(f"{folder.path} does not look like a ConAktiv server folder: {', '.join(repr(item) for item in missing)} "
                        "is missing (check conaktiv_update_server_path)")
    if folder.control_server_path and _key(folder.control_server_path, windows) != _key(folder.path, windows):
        problems.append(f"the control interface at {folder.control_url} belongs to the server in {folder.control_server_path}, not to "
                        f"{folder.path}: check conaktiv_update_server_path and conaktiv_update_control.url")
    elif folder.control_version and folder.file_version and not _same_version(folder.control_version, folder.file_version):
        problems.append(f"the control interface at {folder.control_url} reports version {folder.control_version}, but {folder.path} "
                        f"holds version {folder.file_version}: the control interface belongs to another server")
    return problems


def _same_version(left: str, right: str) -> bool:
    from ._version import versions_match  # pylint: disable=import-outside-toplevel

    try:
        return versions_match(left, right)
    except ValueError:
        return left.strip() == right.strip()


def data_path_problems(data_path: str, server_path: str, windows: bool) -> list[str]:
    """The data folder must lie outside the server folder: the swap replaces the server folder as a whole."""
    if not data_path:
        return []
    if not _flavour(windows)(data_path).is_absolute():
        return [f"conaktiv_update_data_path must be an absolute path on the host, got {data_path!r}"]
    if inside(data_path, server_path, windows):
        return [f"the data folder {data_path} lies inside the server folder {server_path}: the update replaces the server folder, so "
                "the data would be moved away with the old version; give the real data folder"]
    if inside(server_path, data_path, windows):
        return [f"the server folder {server_path} lies inside the data folder {data_path}: a data restore would replace the server too"]
    return []


def preserve_problems(preserve: t.Sequence[str] | None, extra: t.Sequence[str] | None, windows: bool) -> list[str]:
    """Every carried-over item is a path inside the server folder, listed once."""
    problems = []
    items = []
    for label, values in (("conaktiv_update_preserve", preserve or []), ("conaktiv_update_preserve_extra", extra or [])):
        if isinstance(values, (str, bytes)):
            problems.append(f"{label} must be a list of paths, not the text {values!r}")
            continue
        for item in values:
            try:
                items.append(normalize_item(item))
            except ValueError as exc:
                problems.append(f"{label}: {exc}")
    if not problems:
        problems += nested_conflicts(items, case_insensitive=windows)
    return problems


def observation_problems(control_type: str, structure_log: str) -> list[str]:
    """Something must tell when the structure update finished."""
    if (control_type or "none") == "none" and not structure_log:
        return ["with conaktiv_update_control type 'none' nothing tells when the structure update of the user data finished: set "
                "conaktiv_update_structure_log (the server's log file) or a control interface (type http or command)"]
    return []
