# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Folder names of the update procedure: the temp folder and the numbered ``_oldNNNN`` folders.

Pure functions, no I/O. Callers list the parent folder and pass the names in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TEMP_FOLDER_NAME = "Temp_Updateordner"
OLD_SUFFIX = "_old"

# The vendor numbers old folders with four digits; more digits appear only after 9999.
_MIN_DIGITS = 4
_WINDOWS_INVALID_CHARS = frozenset('<>:"|?*')
_WINDOWS_RESERVED_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"COM{i}" for i in range(1, 10)] + [f"LPT{i}" for i in range(1, 10)]
)


def _old_pattern(server_name: str, case_insensitive: bool) -> re.Pattern[str]:
    """The regular expression matching ``<server_name>_oldNNNN`` (ASCII digits only)."""
    flags = re.IGNORECASE if case_insensitive else 0
    return re.compile(re.escape(server_name) + re.escape(OLD_SUFFIX) + f"([0-9]{{{_MIN_DIGITS},}})", flags)


def old_folder_number(server_name: str, candidate: str, case_insensitive: bool) -> int | None:
    """The number of ``candidate`` if it is ``<server_name>_oldNNNN`` (4+ digits), else None."""
    match = _old_pattern(server_name, case_insensitive).fullmatch(candidate)
    return int(match.group(1)) if match else None


def old_folders(server_name: str, existing: Iterable[str], case_insensitive: bool) -> list[str]:
    """The old folders of ``server_name`` among ``existing``, sorted by number ascending."""
    pattern = _old_pattern(server_name, case_insensitive)
    numbered: list[tuple[int, str]] = []
    for name in existing:
        match = pattern.fullmatch(name)
        if match:
            numbered.append((int(match.group(1)), name))
    numbered.sort()
    return [name for _number, name in numbered]


def next_old_folder_name(server_name: str, existing: Iterable[str], case_insensitive: bool) -> str:
    """The name the current server folder gets when it is moved aside: one above the highest number.

    Gaps below the highest number are never reused, so the newest old folder always has the
    highest number. After ``_old9999`` comes ``_old10000``.
    """
    validate_folder_name(server_name)
    numbers = [number for number in (old_folder_number(server_name, name, case_insensitive) for name in existing) if number is not None]
    following = max(numbers, default=0) + 1
    return f"{server_name}{OLD_SUFFIX}{following:0{_MIN_DIGITS}d}"


def old_folders_to_remove(server_name: str, existing: Iterable[str], keep: int, case_insensitive: bool) -> list[str]:
    """Every old folder except the newest ``keep`` ones, oldest first."""
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
        raise ValueError(f"the number of old folders to keep must be a whole number >= 0, not {keep!r}")
    folders = old_folders(server_name, existing, case_insensitive)
    return folders[:max(len(folders) - keep, 0)]


def validate_folder_name(name: str) -> str:
    """Return ``name`` if it is a single folder name valid on Windows and POSIX, else raise ValueError."""
    if not isinstance(name, str):
        raise ValueError(f"a folder name must be text, not {type(name).__name__}")
    if name == "":
        raise ValueError("the folder name is empty")
    if name in (".", ".."):
        raise ValueError(f"{name!r} is not a folder name")
    if "/" in name or "\\" in name:
        raise ValueError(f"the folder name {name!r} contains a path separator; give a single folder name, not a path")
    bad = sorted({char for char in name if char in _WINDOWS_INVALID_CHARS or ord(char) < 32})
    if bad:
        shown = ", ".join(repr(char) for char in bad)
        raise ValueError(f"the folder name {name!r} contains characters not allowed in Windows folder names: {shown}")
    if name[-1] in ". ":
        raise ValueError(f"the folder name {name!r} ends with a dot or a space, which Windows silently strips")
    if name.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_RESERVED_NAMES:
        raise ValueError(f"the folder name {name!r} is a reserved device name on Windows")
    return name
