# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the temp / _oldNNNN folder naming."""

from __future__ import annotations

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._naming import (
    OLD_SUFFIX,
    TEMP_FOLDER_NAME,
    next_old_folder_name,
    old_folder_number,
    old_folders,
    old_folders_to_remove,
    validate_folder_name,
)

SERVER = "ConAktiv Server"


def test_constants_are_the_vendor_names():
    assert TEMP_FOLDER_NAME == "Temp_Updateordner"
    assert OLD_SUFFIX == "_old"


@pytest.mark.parametrize(
    ("candidate", "case_insensitive", "expected"),
    [
        ("ConAktiv Server_old0001", False, 1),
        ("ConAktiv Server_old0042", False, 42),
        ("ConAktiv Server_old9999", False, 9999),
        ("ConAktiv Server_old10000", False, 10000),
        ("ConAktiv Server_old00007", False, 7),
        ("ConAktiv Server_old0000", False, 0),
        ("ConAktiv Server_old001", False, None),  # the manual's typo "_old001": fewer than 4 digits is not ours
        ("ConAktiv Server_old", False, None),
        ("ConAktiv Server_old0001 ", False, None),
        ("ConAktiv Server_old0001.zip", False, None),
        ("ConAktiv Server_old0001x", False, None),
        ("ConAktiv Server_old-001", False, None),
        ("ConAktiv Server_old\u0661\u0662\u0663\u0664", False, None),  # Arabic-Indic digits are not ASCII digits
        ("ConAktiv Server", False, None),
        ("Other Server_old0001", False, None),
        ("xConAktiv Server_old0001", False, None),
        ("conaktiv server_OLD0003", False, None),
        ("conaktiv server_OLD0003", True, 3),
        ("CONAKTIV SERVER_old0012", True, 12),
        ("ConAktiv Server_old0001", True, 1),
        ("ConAktivXServer_old0001", False, None),  # the space is literal, not a regex wildcard
    ],
)
def test_old_folder_number(candidate, case_insensitive, expected):
    assert old_folder_number(SERVER, candidate, case_insensitive) == expected


def test_old_folder_number_escapes_regex_characters_in_the_server_name():
    assert old_folder_number("Server (1.0)+", "Server (1.0)+_old0002", False) == 2
    assert old_folder_number("Server (1.0)+", "Server (100)+_old0002", False) is None
    assert old_folder_number("a.b", "aXb_old0001", False) is None


@pytest.mark.parametrize(
    ("existing", "case_insensitive", "expected"),
    [
        ([], False, "ConAktiv Server_old0001"),
        (["ConAktiv Server", "Temp_Updateordner"], False, "ConAktiv Server_old0001"),
        (["ConAktiv Server_old0001"], False, "ConAktiv Server_old0002"),
        (["ConAktiv Server_old0001", "ConAktiv Server_old0003"], False, "ConAktiv Server_old0004"),  # gap 0002 is not reused
        (["ConAktiv Server_old0005"], False, "ConAktiv Server_old0006"),  # nothing below is reused either
        (["ConAktiv Server_old9998"], False, "ConAktiv Server_old9999"),
        (["ConAktiv Server_old9999"], False, "ConAktiv Server_old10000"),
        (["ConAktiv Server_old10000", "ConAktiv Server_old9999"], False, "ConAktiv Server_old10001"),
        (["conaktiv server_OLD0003"], False, "ConAktiv Server_old0001"),
        (["conaktiv server_OLD0003"], True, "ConAktiv Server_old0004"),
        (["conaktiv server_OLD0003", "ConAktiv Server_old0001"], True, "ConAktiv Server_old0004"),
        (["ConAktiv Server_old001", "ConAktiv Server_old01"], False, "ConAktiv Server_old0001"),
        (["Other_old0100"], False, "ConAktiv Server_old0001"),
    ],
)
def test_next_old_folder_name(existing, case_insensitive, expected):
    assert next_old_folder_name(SERVER, existing, case_insensitive) == expected


def test_next_old_folder_name_accepts_any_iterable():
    names = (name for name in ["ConAktiv Server_old0002"])
    assert next_old_folder_name(SERVER, names, False) == "ConAktiv Server_old0003"


@pytest.mark.parametrize("bad", ["", "a/b", "a\\b", "..", "x:"])
def test_next_old_folder_name_rejects_a_bad_server_name(bad):
    with pytest.raises(ValueError):
        next_old_folder_name(bad, [], False)


def test_old_folders_sorted_by_number_not_by_text():
    existing = ["ConAktiv Server_old10000", "ConAktiv Server_old0002", "ConAktiv Server", "Temp_Updateordner",
                "ConAktiv Server_old0010", "ConAktiv Server_old9999", "ConAktiv Server_old0001"]
    assert old_folders(SERVER, existing, False) == [
        "ConAktiv Server_old0001", "ConAktiv Server_old0002", "ConAktiv Server_old0010", "ConAktiv Server_old9999", "ConAktiv Server_old10000",
    ]


def test_old_folders_case_insensitive_keeps_the_names_as_listed():
    existing = ["conaktiv server_OLD0003", "ConAktiv Server_old0001", "CONAKTIV SERVER_old0002"]
    assert old_folders(SERVER, existing, True) == ["ConAktiv Server_old0001", "CONAKTIV SERVER_old0002", "conaktiv server_OLD0003"]
    assert old_folders(SERVER, existing, False) == ["ConAktiv Server_old0001"]


def test_old_folders_empty():
    assert not old_folders(SERVER, [], False)


@pytest.mark.parametrize(
    ("keep", "expected"),
    [
        (0, ["ConAktiv Server_old0001", "ConAktiv Server_old0003", "ConAktiv Server_old0010"]),
        (1, ["ConAktiv Server_old0001", "ConAktiv Server_old0003"]),
        (2, ["ConAktiv Server_old0001"]),
        (3, []),
        (10, []),
    ],
)
def test_old_folders_to_remove_keeps_the_newest(keep, expected):
    existing = ["ConAktiv Server_old0010", "ConAktiv Server_old0001", "ConAktiv Server", "ConAktiv Server_old0003"]
    assert old_folders_to_remove(SERVER, existing, keep, False) == expected


def test_old_folders_to_remove_case_insensitive():
    existing = ["conaktiv server_OLD0003", "ConAktiv Server_old0001"]
    assert old_folders_to_remove(SERVER, existing, 1, True) == ["ConAktiv Server_old0001"]
    assert not old_folders_to_remove(SERVER, existing, 1, False)


@pytest.mark.parametrize("keep", [-1, 1.5, "2", None, True])
def test_old_folders_to_remove_rejects_a_bad_keep(keep):
    with pytest.raises(ValueError, match="keep"):
        old_folders_to_remove(SERVER, [], keep, False)


@pytest.mark.parametrize("name", ["ConAktiv Server", "Temp_Updateordner", "Server-9.1_(test)", "Ärzte Server", "a", ".hidden", "CONSOLE", "COM10", "a.b"])
def test_validate_folder_name_accepts(name):
    assert validate_folder_name(name) == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "empty"),
        (".", "not a folder name"),
        ("..", "not a folder name"),
        ("a/b", "path separator"),
        ("a\\b", "path separator"),
        ("/abs", "path separator"),
        ("C:\\ConAktiv", "path separator"),
        ("C:", "not allowed"),
        ("a<b", "not allowed"),
        ("a>b", "not allowed"),
        ('a"b', "not allowed"),
        ("a|b", "not allowed"),
        ("a?b", "not allowed"),
        ("a*b", "not allowed"),
        ("tab\there", "not allowed"),
        ("nul\x00byte", "not allowed"),
        ("line\nbreak", "not allowed"),
        ("\x1f", "not allowed"),
        ("trailing.", "ends with a dot or a space"),
        ("trailing ", "ends with a dot or a space"),
        ("CON", "reserved"),
        ("nul", "reserved"),
        ("Com1", "reserved"),
        ("LPT9.txt", "reserved"),
        ("aux .log", "reserved"),
        ("con.d", "reserved"),
    ],
)
def test_validate_folder_name_rejects(name, message):
    with pytest.raises(ValueError, match=message) as info:
        validate_folder_name(name)
    if name:
        assert repr(name) in str(info.value) or name in ("", ".", "..")


@pytest.mark.parametrize("value", [None, 3, b"bytes", ["a"]])
def test_validate_folder_name_rejects_non_text(value):
    with pytest.raises(ValueError, match="must be text"):
        validate_folder_name(value)
