# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for ConAktiv version parsing and comparison."""

from __future__ import annotations

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._version import (
    NO_BUILD,
    ParsedVersion,
    compare_versions,
    format_version,
    parse_version,
    versions_match,
)


@pytest.mark.parametrize(
    ("text", "release", "build"),
    [
        ("9", (9,), NO_BUILD),
        ("9.0", (9,), NO_BUILD),
        ("9.0.0", (9,), NO_BUILD),
        ("0", (0,), NO_BUILD),
        ("0.0", (0,), NO_BUILD),
        ("9.0.12", (9, 0, 12), NO_BUILD),
        ("9.1.0", (9, 1), NO_BUILD),
        ("10.1.3 Build 4711", (10, 1, 3), 4711),
        ("10.1.3 build 4711", (10, 1, 3), 4711),
        ("10.1.3 BUILD 4711", (10, 1, 3), 4711),
        ("10.1.3 Build4711", (10, 1, 3), 4711),
        ("10.1.3 (Build 4711)", (10, 1, 3), 4711),
        ("10.1.3-build4711", (10, 1, 3), 4711),
        ("10.1.3, Build 4711", (10, 1, 3), 4711),
        ("10.1.3 Build: 4711", (10, 1, 3), 4711),
        ("10.1.3 Build #4711", (10, 1, 3), 4711),
        ("10.1.3 Build 0", (10, 1, 3), 0),
        ("v9.1", (9, 1), NO_BUILD),
        ("V9.1", (9, 1), NO_BUILD),
        ("v 9.1", (9, 1), NO_BUILD),
        ("  9.0.12\n", (9, 0, 12), NO_BUILD),
        ("09.00.012", (9, 0, 12), NO_BUILD),
        ("1.2.3.4.5", (1, 2, 3, 4, 5), NO_BUILD),
    ],
)
def test_parse_version(text, release, build):
    parsed = parse_version(text)
    assert parsed == ParsedVersion(release, build)
    assert parsed.release == release
    assert parsed.has_build == (build != NO_BUILD)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "abc", "9.", ".9", "9..0", "9.0-beta", "9.0b5", "9.0 Build", "9.0 Build x", "Build 4711", "9,0", "9.0.a", "vv9",
     "9.0 Build 12 extra", "ConAktiv 9.0", "-9.0", "9 0", "9.0\x00"],
)
def test_parse_version_rejects_junk_naming_the_text(text):
    with pytest.raises(ValueError) as info:
        parse_version(text)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize("value", [None, 9, 9.0, b"9.0", ["9.0"]])
def test_parse_version_rejects_non_text(value):
    with pytest.raises(ValueError, match="must be text"):
        parse_version(value)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("9.0", "9.0.0", 0),
        ("9", "9.0.0.0", 0),
        ("v9.1", "9.1", 0),
        ("9.0.12", "9.0.12", 0),
        ("9.0.2", "9.0.12", -1),  # numeric, not text, comparison
        ("9.0.12", "9.0.2", 1),
        ("9.10", "9.9", 1),
        ("10.0", "9.99.99", 1),
        ("9.0", "9.0.1", -1),
        ("9.0.1", "9.0", 1),
        ("9.1.0", "9.0.12", 1),
        ("10.1.3 Build 4711", "10.1.3 Build 4712", -1),
        ("10.1.3 Build 4711", "10.1.3 Build 4711", 0),
        ("10.1.3 Build 900", "10.1.3 Build 4711", -1),
        ("10.1.3 Build 9999", "10.1.4", -1),  # the dotted part decides before the build
        ("10.1.4 Build 1", "10.1.3 Build 9999", 1),
        ("10.1.3", "10.1.3 Build 1", -1),  # no build sorts before any build
        ("10.1.3 Build 0", "10.1.3", 1),
        ("10.1.3.0 Build 5", "10.1.3 Build 5", 0),
    ],
)
def test_compare_versions(first, second, expected):
    assert compare_versions(first, second) == expected
    assert compare_versions(second, first) == -expected


def test_compare_versions_names_the_bad_side():
    with pytest.raises(ValueError, match="'nine'"):
        compare_versions("9.0", "nine")
    with pytest.raises(ValueError, match="'x'"):
        compare_versions("x", "9.0")


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("9.0.12", "9.0.12 Build 4711", True),
        ("9.0.12 Build 4711", "9.0.12", True),
        ("9.0.12 Build 4711", "9.0.12 Build 4711", True),
        ("9.0.12 Build 4711", "9.0.12 Build 4712", False),
        ("9.0", "9.0.0 Build 3", True),
        ("9.0.12", "9.0.13", False),
        ("9.0.12", "9.0.12", True),
        ("v9.1", "9.1.0", True),
    ],
)
def test_versions_match(first, second, expected):
    assert versions_match(first, second) is expected
    assert versions_match(second, first) is expected


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("v9.1", "9.1"), ("9.0.0", "9"), ("10.1.3 (build 4711)", "10.1.3 Build 4711"), ("09.00.012", "9.0.12")],
)
def test_format_version_round_trips(text, canonical):
    assert format_version(parse_version(text)) == canonical
    assert parse_version(canonical) == parse_version(text)
