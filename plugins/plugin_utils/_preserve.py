# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The items carried over from the old server folder into the new one (vendor manual, step 6).

Items are paths relative to the server folder, written with forward slashes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

DEFAULT_PRESERVE: tuple[str, ...] = (
    "Server Database/Preferences",
    "Server Database/cert.pem",
    "Server Database/key.pem",
    "Server Database/Resources/Hunspell",
)

_SEPARATORS = re.compile(r"[/\\]+")
_DRIVE = re.compile(r"[A-Za-z]:")


def normalize_item(item: str) -> str:
    """``item`` with forward slashes, no '.' parts and no trailing slash; ValueError if it leaves the server folder."""
    if not isinstance(item, str):
        raise ValueError(f"a preserve item must be a path relative to the server folder, not {type(item).__name__} {item!r}")
    if item.strip() == "":
        raise ValueError(f"the preserve item {item!r} is empty")
    if "\x00" in item:
        raise ValueError(f"the preserve item {item!r} contains a NUL character")
    if item[:1] in ("/", "\\") or _DRIVE.match(item):
        raise ValueError(f"the preserve item {item!r} is absolute; give a path relative to the server folder, e.g. 'Server Database/Preferences'")
    parts = [part for part in _SEPARATORS.split(item) if part not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"the preserve item {item!r} contains '..'; it must stay inside the server folder")
    if not parts:
        raise ValueError(f"the preserve item {item!r} names the server folder itself, not something inside it")
    return "/".join(parts)


def _as_items(value: list[str] | None, label: str) -> list[str]:
    """The list given for ``label``, refusing a bare string (it would be split into characters)."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValueError(f"{label} must be a list of paths, not {type(value).__name__} {value!r}")
    return list(value)


def preserve_list(extra: list[str] | None = None, replace: list[str] | None = None) -> list[str]:
    """The defaults (or ``replace`` if given) followed by ``extra``: normalized, duplicates dropped, order kept."""
    base = _as_items(replace, "the preserve replacement") if replace is not None else list(DEFAULT_PRESERVE)
    result: list[str] = []
    for item in base + _as_items(extra, "the extra preserve items"):
        normalized = normalize_item(item)
        if normalized not in result:
            result.append(normalized)
    return result


def nested_conflicts(items: Iterable[str], case_insensitive: bool = False) -> list[str]:
    """One message per item that lies inside another item of the list (it would be carried over twice)."""
    normalized = [normalize_item(item) for item in items]

    def key(path: str) -> tuple[str, ...]:
        return tuple(path.casefold().split("/") if case_insensitive else path.split("/"))

    messages = []
    for inner in normalized:
        inner_key = key(inner)
        for outer in normalized:
            outer_key = key(outer)
            if len(outer_key) < len(inner_key) and inner_key[:len(outer_key)] == outer_key:
                messages.append(f"the preserve item '{inner}' is inside '{outer}'; list only one of them")
                break
    return messages
