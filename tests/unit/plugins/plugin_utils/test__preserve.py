# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the preserve list (items carried over into the new server folder)."""

from __future__ import annotations

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._preserve import (
    DEFAULT_PRESERVE,
    nested_conflicts,
    normalize_item,
    preserve_list,
)


def test_defaults_are_the_vendor_items():
    assert DEFAULT_PRESERVE == (
        "Server Database/Preferences",
        "Server Database/cert.pem",
        "Server Database/key.pem",
        "Server Database/Resources/Hunspell",
    )
    assert preserve_list() == list(DEFAULT_PRESERVE)
    assert not nested_conflicts(DEFAULT_PRESERVE)


def test_extra_items_are_appended():
    assert preserve_list(extra=["Server Database/Plugins", "license.dat"]) == list(DEFAULT_PRESERVE) + ["Server Database/Plugins", "license.dat"]


def test_replace_drops_the_defaults():
    assert preserve_list(replace=["Server Database/Preferences"]) == ["Server Database/Preferences"]
    assert not preserve_list(replace=[])
    assert preserve_list(extra=["b"], replace=["a"]) == ["a", "b"]


def test_replace_none_means_defaults():
    assert preserve_list(extra=None, replace=None) == list(DEFAULT_PRESERVE)


@pytest.mark.parametrize(
    ("item", "normalized"),
    [
        ("Server Database\\Preferences", "Server Database/Preferences"),
        ("Server Database/Preferences/", "Server Database/Preferences"),
        ("./Server Database/./cert.pem", "Server Database/cert.pem"),
        ("Server Database//Resources\\\\Hunspell", "Server Database/Resources/Hunspell"),
        ("a..b/c", "a..b/c"),
        ("Ärzte/Einstellungen", "Ärzte/Einstellungen"),
    ],
)
def test_normalize_item(item, normalized):
    assert normalize_item(item) == normalized


def test_duplicates_are_dropped_after_normalizing_and_order_is_kept():
    result = preserve_list(extra=["Server Database\\cert.pem", "x", "./x/", "X"])
    assert result == list(DEFAULT_PRESERVE) + ["x", "X"]  # case-sensitive


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("/etc/passwd", "is absolute"),
        ("\\Windows", "is absolute"),
        ("\\\\server\\share", "is absolute"),
        ("C:\\ConAktiv\\x", "is absolute"),
        ("c:relative", "is absolute"),
        ("..", "contains '..'"),
        ("../other", "contains '..'"),
        ("Server Database/../../x", "contains '..'"),
        ("Server Database\\..\\x", "contains '..'"),
        ("a/..", "contains '..'"),
        (".", "names the server folder itself"),
        ("./", "names the server folder itself"),
        ("a\x00b", "NUL"),
    ],
)
def test_bad_items_are_rejected_naming_the_item(item, message):
    for call in (lambda: preserve_list(extra=[item]), lambda: preserve_list(replace=[item])):
        with pytest.raises(ValueError, match=message) as info:
            call()
        assert repr(item) in str(info.value)


@pytest.mark.parametrize("value", [None, 3, ["ok", 5]])
def test_non_text_items_are_rejected(value):
    with pytest.raises(ValueError, match="relative to the server folder"):
        preserve_list(extra=[value] if not isinstance(value, list) else value)


@pytest.mark.parametrize("value", ["Server Database/Preferences", b"x", 42])
def test_a_bare_string_instead_of_a_list_is_rejected(value):
    with pytest.raises(ValueError, match="must be a list of paths"):
        preserve_list(extra=value)
    with pytest.raises(ValueError, match="must be a list of paths"):
        preserve_list(replace=value)


def test_tuples_are_accepted():
    assert preserve_list(replace=("a", "b")) == ["a", "b"]


def test_nested_conflicts():
    items = ["Server Database", "Server Database/cert.pem", "Server Database/Resources/Hunspell", "Other", "Server Databases/x"]
    assert nested_conflicts(items) == [
        "the preserve item 'Server Database/cert.pem' is inside 'Server Database'; list only one of them",
        "the preserve item 'Server Database/Resources/Hunspell' is inside 'Server Database'; list only one of them",
    ]


def test_nested_conflicts_deeper_and_normalized():
    assert nested_conflicts(["a\\b\\c", "a/b/"]) == ["the preserve item 'a/b/c' is inside 'a/b'; list only one of them"]
    assert not nested_conflicts(["a/b", "a/bc", "ab/c"])  # a prefix of the text is not a parent folder
    assert not nested_conflicts(["a", "a"])  # equal items are duplicates, not nesting
    assert not nested_conflicts([])


def test_nested_conflicts_case_insensitive_for_windows():
    items = ["server database", "Server Database/cert.pem"]
    assert not nested_conflicts(items)
    assert nested_conflicts(items, case_insensitive=True) == [
        "the preserve item 'Server Database/cert.pem' is inside 'server database'; list only one of them",
    ]


def test_nested_conflicts_rejects_bad_items():
    with pytest.raises(ValueError, match="contains '..'"):
        nested_conflicts(["../x"])
