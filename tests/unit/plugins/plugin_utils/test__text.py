# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for admin message templates and duration formatting."""

from __future__ import annotations

import math

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._text import format_duration, render_message, template_fields

STOP_MESSAGE = "The ConAktiv server will be stopped in {minutes} minutes for an update to {version}."


def test_render_message():
    assert render_message(STOP_MESSAGE, minutes=10, version="9.1.0") == "The ConAktiv server will be stopped in 10 minutes for an update to 9.1.0."


@pytest.mark.parametrize(
    ("template", "values", "expected"),
    [
        ("no fields", {}, "no fields"),
        ("no fields", {"unused": 1}, "no fields"),
        ("{a}{a}", {"a": "x"}, "xx"),
        ("{{literal}} {a}", {"a": 1}, "{literal} 1"),
        ("{minutes:>3}", {"minutes": 5}, "  5"),
        ("{ratio:.1f} %", {"ratio": 12.345}, "12.3 %"),
        ("{version!r}", {"version": "9.1"}, "'9.1'"),
        ("{version!s}", {"version": 9.1}, "9.1"),
        ("Server {host}: Update auf {version} um {zeit}.", {"host": "ca01", "version": "9.1", "zeit": "22:00"}, "Server ca01: Update auf 9.1 um 22:00."),
        ("", {}, ""),
    ],
)
def test_render_message_cases(template, values, expected):
    assert render_message(template, **values) == expected


def test_unknown_fields_list_the_known_ones():
    with pytest.raises(ValueError, match="unknown field\\(s\\) minuten; known fields: minutes, version"):
        render_message("stopped in {minuten} minutes", minutes=5, version="9.1")
    with pytest.raises(ValueError, match="known fields: none"):
        render_message("{x}")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{version.__class__}", "not a plain name"),
        ("{version.upper}", "not a plain name"),
        ("{values[0]}", "not a plain name"),
        ("{values[key]}", "not a plain name"),
        ("{}", "positional field"),
        ("{0}", "positional field"),
        ("{version:{width}}", "nested field"),
        ("{version!x}", "malformed|unknown conversion"),
        ("{version!a}", "unknown conversion"),
        ("{version", "malformed"),
        ("version}", "malformed"),
        ("{ version }", "not a plain name"),
    ],
)
def test_unsafe_or_malformed_templates_are_rejected(template, message):
    with pytest.raises(ValueError, match=message):
        render_message(template, version="9.1", values=["a"], width=5)


def test_bad_format_spec_is_a_value_error():
    with pytest.raises(ValueError, match="cannot fill the message template"):
        render_message("{minutes:d}", minutes="ten")


def test_template_fields():
    assert template_fields(STOP_MESSAGE) == ["minutes", "version"]
    with pytest.raises(ValueError, match="must be text"):
        template_fields(None)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0 s"),
        (0.04, "0 s"),
        (0.4, "0.4 s"),
        (2.5, "2.5 s"),
        (5, "5 s"),
        (9.94, "9.9 s"),
        (9.96, "10 s"),
        (10, "10 s"),
        (31, "31 s"),
        (31.4, "31 s"),
        (84, "84 s"),
        (119.4, "119 s"),
        (119.6, "2 min"),
        (120, "2 min"),
        (425, "7 min 5 s"),
        (3599, "59 min 59 s"),
        (3599.6, "1 h"),
        (3600, "1 h"),
        (3720, "1 h 2 min"),
        (3749, "1 h 2 min"),
        (7170, "2 h"),
        (90000, "25 h"),
    ],
)
def test_format_duration(seconds, expected):
    assert format_duration(seconds) == expected


@pytest.mark.parametrize("bad", [-1, -0.1, math.nan, math.inf, None, "31", True])
def test_format_duration_rejects(bad):
    with pytest.raises(ValueError, match="finite number of seconds"):
        format_duration(bad)
