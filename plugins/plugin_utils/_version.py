# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ConAktiv version numbers: "9.0", "9.0.12", "10.1.3 Build 4711", "v9.1".

The dotted part compares numerically with trailing zeros ignored ("9.0" == "9.0.0"); the build
number compares after it. A version without a build number sorts before the same version with one.
"""

from __future__ import annotations

import re
import typing as t

NO_BUILD = -1

_VERSION_RE = re.compile(
    r"""
    [vV]?\s*
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?:
        \s*[-(,]?\s*
        build\s*[:#.]?\s*
        (?P<build>[0-9]+)
        \s*\)?
    )?
    """,
    re.VERBOSE | re.IGNORECASE,
)


class ParsedVersion(t.NamedTuple):
    """A parsed version: release components without trailing zeros, and the build (NO_BUILD if none)."""

    release: tuple[int, ...]
    build: int

    @property
    def has_build(self) -> bool:
        """Whether the text carried a build number."""
        return self.build != NO_BUILD


def parse_version(text: str) -> ParsedVersion:
    """Parse a ConAktiv version text; raise ValueError naming the text if it is not one."""
    if not isinstance(text, str):
        raise ValueError(f"a version must be text such as '9.0.12', not {type(text).__name__} {text!r}")
    match = _VERSION_RE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a ConAktiv version (expected e.g. '9.0', '9.0.12', '10.1.3 Build 4711' or 'v9.1')")
    release = [int(part) for part in match.group("release").split(".")]
    # "9.0" and "9.0.0" are the same release: drop trailing zeros, but keep one component.
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    build = match.group("build")
    return ParsedVersion(tuple(release), int(build) if build is not None else NO_BUILD)


def compare_versions(a: str, b: str) -> int:
    """-1 if ``a`` is older than ``b``, 0 if equal, 1 if newer."""
    left, right = parse_version(a), parse_version(b)
    return (left > right) - (left < right)


def versions_match(a: str, b: str) -> bool:
    """True if ``a`` and ``b`` name the same version; a missing build number on either side matches any build.

    Use this for "is the target already installed": the server may report "9.0.12 Build 4711"
    where the package was configured as "9.0.12".
    """
    left, right = parse_version(a), parse_version(b)
    if left.release != right.release:
        return False
    return not (left.has_build and right.has_build) or left.build == right.build


def format_version(parsed: ParsedVersion) -> str:
    """The canonical text of a parsed version, e.g. "9.0.12 Build 4711"."""
    text = ".".join(str(part) for part in parsed.release)
    return f"{text} Build {parsed.build}" if parsed.has_build else text
