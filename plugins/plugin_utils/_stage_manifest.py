# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The manifest of a staged tree: size and SHA-256 of every file, as the verified package holds them.

It is made on the controller from the package whose checksum was verified (the archive is read anyway), written beside the
stage marker, and compared with what the host finds in the staged tree before an update reuses a staging made earlier
(days before the window): a file changed, missing or added since then means the staging is not what was verified.
Pure logic.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing as t

MANIFEST_NAME = "conaktiv-stage-manifest.json"
SCHEMA = 1


@dataclasses.dataclass(frozen=True)
class Manifest:
    """Relative path (``/``-separated, inside the staged tree) -> (size, sha256) of every regular file."""

    files: dict[str, tuple[int, str]]

    def text(self) -> str:
        """The manifest file's text (stable: sorted keys)."""
        return json.dumps({"schema": SCHEMA, "algorithm": "sha256", "files": {name: list(entry) for name, entry in sorted(self.files.items())}},
                          sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n"

    def digest(self) -> str:
        """The SHA-256 of :meth:`text`, kept in the stage marker: a manifest that does not match it is not the one written."""
        return hashlib.sha256(self.text().encode("ascii")).hexdigest()


def from_package(digests: t.Mapping[str, tuple[int, str]], top: str | None) -> Manifest:
    """The manifest of the tree a package unpacks to: its members' digests (:func:`_archive.verify_archive`) without the top folder."""
    prefix = f"{top}/" if top else ""
    return Manifest({name[len(prefix):]: (int(size), sha) for name, (size, sha) in digests.items() if name.startswith(prefix) and name != top})


def parse(text: str) -> Manifest:
    """A manifest file's text; ValueError saying what is wrong with it."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"the manifest is no JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA or document.get("algorithm") != "sha256" \
            or not isinstance(document.get("files"), dict):
        raise ValueError("the manifest has no sha256 file list of schema 1")
    files: dict[str, tuple[int, str]] = {}
    for name, entry in document["files"].items():
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int) and isinstance(entry[1], str)):
            raise ValueError(f"the manifest entry of {name!r} is not [size, sha256]")
        files[str(name)] = (entry[0], entry[1])
    return Manifest(files)


def differences(expected: Manifest, found: t.Mapping[str, tuple[int, str]], case_insensitive: bool = False) -> list[str]:
    """What differs between the manifest and the files the host found: "changed: x", "missing: y", "added: z" (sorted)."""
    def key(name: str) -> str:
        return name.casefold() if case_insensitive else name

    have = {key(name): (name, entry) for name, entry in found.items()}
    problems: list[str] = []
    for name, (size, sha) in sorted(expected.files.items()):
        there = have.pop(key(name), None)
        if there is None:
            problems.append(f"missing: {name}")
        elif there[1][0] != size or there[1][1].lower() != sha.lower():
            problems.append(f"changed: {name}")
    problems.extend(f"added: {name}" for name, _entry in sorted(have.values()))
    return problems


def summary(problems: list[str], limit: int = 5) -> str:
    """The first ``limit`` differences and how many more."""
    more = f" and {len(problems) - limit} more" if len(problems) > limit else ""
    return "; ".join(problems[:limit]) + more
