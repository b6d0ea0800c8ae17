# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the update window (start date + time from/to, across midnight)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._window import (
    WindowDecision,
    format_moment,
    parse_date,
    parse_time_of_day,
    update_window,
    window_bounds,
)

DAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22:00", time(22, 0)),
        ("7:05", time(7, 5)),
        ("07:05", time(7, 5)),
        ("22:00:30", time(22, 0, 30)),
        ("0:00", time(0, 0)),
        ("00:00:00", time(0, 0)),
        ("23:59:59", time(23, 59, 59)),
        (" 22:00 ", time(22, 0)),
    ],
)
def test_parse_time_of_day(text, expected):
    assert parse_time_of_day(text) == expected


def test_parse_time_of_day_passes_a_time_through():
    assert parse_time_of_day(time(6, 30)) == time(6, 30)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("24:00", "not a valid time"),
        ("23:60", "not a valid time"),
        ("12:00:60", "not a valid time"),
        ("99:99", "not a valid time"),
        ("22", "not a time of day"),
        ("22:0", "not a time of day"),
        ("22.00", "not a time of day"),
        ("22:00 Uhr", "not a time of day"),
        ("10pm", "not a time of day"),
        ("", "not a time of day"),
        ("-1:00", "not a time of day"),
        ("123:00", "not a time of day"),
        ("22:00:00:00", "not a time of day"),
    ],
)
def test_parse_time_of_day_rejects(text, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_time_of_day(text)
    assert repr(text) in str(info.value)


def test_parse_time_of_day_explains_yaml_sexagesimal_numbers():
    # YAML 1.1 turns an unquoted 22:00 into 1320.
    with pytest.raises(ValueError, match="quote times in YAML"):
        parse_time_of_day(1320)
    with pytest.raises(ValueError, match="must be text"):
        parse_time_of_day(None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-23", date(2026, 11, 23)),
        ("23.11.2026", date(2026, 11, 23)),
        ("1.2.2027", date(2027, 2, 1)),
        ("01.02.2027", date(2027, 2, 1)),
        ("2028-02-29", date(2028, 2, 29)),  # leap day
        ("29.02.2028", date(2028, 2, 29)),
        (" 2026-11-23 ", date(2026, 11, 23)),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_parse_date_passes_dates_through():
    # YAML hands an unquoted 2026-11-23 over as a date already.
    assert parse_date(date(2026, 11, 23)) == date(2026, 11, 23)
    assert parse_date(datetime(2026, 11, 23, 22, 0)) == date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027-02-29", "not a valid date"),  # not a leap year
        ("29.02.2027", "not a valid date"),
        ("2026-13-01", "not a valid date"),
        ("2026-00-10", "not a valid date"),
        ("32.01.2026", "not a valid date"),
        ("2026-11-31", "not a valid date"),
        ("11/23/2026", "not a date"),
        ("23.11.26", "not a date"),
        ("2026-1-5", "not a date"),
        ("2026-11-23T22:00", "not a date"),
        ("tomorrow", "not a date"),
        ("", "not a date"),
    ],
)
def test_parse_date_rejects(text, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_date(text)
    assert repr(text) in str(info.value)


def test_parse_date_rejects_non_text():
    with pytest.raises(ValueError, match="must be text"):
        parse_date(20261123)


def _at(day: date, hour: int, minute: int = 0, second: int = 0, tzinfo=None) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=tzinfo)


@pytest.mark.parametrize(
    ("now", "inside"),
    [
        (_at(DAY, 21, 59, 59), False),
        (_at(DAY, 22, 0), True),  # from is inclusive
        (_at(DAY, 23, 30), True),
        (_at(DAY, 23, 59, 59), False),
        (_at(DAY, 10, 0), False),
        (_at(DAY - timedelta(days=1), 22, 30), False),  # the day before is not the start date
        (_at(DAY + timedelta(days=1), 22, 30), False),  # nor is the day after
    ],
)
def test_same_day_window(now, inside):
    decision = update_window(now, DAY, time(22, 0), time(23, 59))
    assert decision.inside is inside
    assert decision.opens_at == _at(DAY, 22, 0)
    assert decision.closes_at == _at(DAY, 23, 59)


def test_to_is_exclusive():
    decision = update_window(_at(DAY, 6, 0), DAY, time(2, 0), time(6, 0))
    assert decision == WindowDecision(False, "the update window closed 2026-11-23 06:00", _at(DAY, 2, 0), _at(DAY, 6, 0))


@pytest.mark.parametrize(
    ("now", "inside"),
    [
        (_at(DAY, 21, 59), False),
        (_at(DAY, 22, 0), True),
        (_at(DAY, 23, 59, 59), True),
        (_at(DAY + timedelta(days=1), 0, 0), True),
        (_at(DAY + timedelta(days=1), 1, 0), True),  # the night after the start date still counts
        (_at(DAY + timedelta(days=1), 1, 59, 59), True),
        (_at(DAY + timedelta(days=1), 2, 0), False),
        (_at(DAY, 1, 0), False),  # early morning of the start date belongs to the day before's window
        (_at(DAY + timedelta(days=1), 22, 30), False),
    ],
)
def test_window_across_midnight(now, inside):
    decision = update_window(now, DAY, time(22, 0), time(2, 0))
    assert decision.inside is inside
    assert decision.opens_at == _at(DAY, 22, 0)
    assert decision.closes_at == _at(DAY + timedelta(days=1), 2, 0)


def test_reasons_are_readable_sentences():
    day = date(2026, 11, 24)
    before = update_window(_at(DAY, 12, 0), day, time(22, 0), time(2, 0))
    assert before.reason == "outside the update window: it opens 2026-11-24 22:00 and closes 2026-11-25 02:00"
    inside = update_window(_at(day, 23, 0), day, time(22, 0), time(2, 0))
    assert inside.reason == "inside the update window until 2026-11-25 02:00"
    after = update_window(_at(day + timedelta(days=2), 0, 0), day, time(22, 0), time(2, 0))
    assert after.reason == "the update window closed 2026-11-25 02:00"
    assert not after.inside


def test_reason_shows_seconds_only_when_set():
    decision = update_window(_at(DAY, 1, 0), DAY, time(22, 0, 30), time(23, 0))
    assert decision.reason == "outside the update window: it opens 2026-11-23 22:00:30 and closes 2026-11-23 23:00"


@pytest.mark.parametrize(
    ("now", "inside"),
    [
        (_at(DAY, 7, 59, 59), False),
        (_at(DAY, 8, 0), True),
        (_at(DAY, 23, 0), True),
        (_at(DAY + timedelta(days=1), 7, 59, 59), True),
        (_at(DAY + timedelta(days=1), 8, 0), False),
    ],
)
def test_from_equals_to_is_a_whole_day(now, inside):
    decision = update_window(now, DAY, time(8, 0), time(8, 0))
    assert decision.inside is inside
    assert decision.closes_at == _at(DAY + timedelta(days=1), 8, 0)


def test_midnight_to_midnight_is_the_start_date():
    decision = update_window(_at(DAY, 0, 0), DAY, time(0, 0), time(0, 0))
    assert decision.inside
    assert decision.closes_at == _at(DAY + timedelta(days=1), 0, 0)
    assert not update_window(_at(DAY + timedelta(days=1), 0, 0), DAY, time(0, 0), time(0, 0)).inside


@pytest.mark.parametrize(
    ("start", "now", "closes"),
    [
        (date(2028, 2, 28), _at(date(2028, 2, 29), 1, 0), _at(date(2028, 2, 29), 2, 0)),  # into a leap day
        (date(2028, 2, 29), _at(date(2028, 3, 1), 1, 0), _at(date(2028, 3, 1), 2, 0)),  # out of a leap day
        (date(2027, 2, 28), _at(date(2027, 3, 1), 1, 0), _at(date(2027, 3, 1), 2, 0)),  # no leap day
        (date(2026, 12, 31), _at(date(2027, 1, 1), 1, 0), _at(date(2027, 1, 1), 2, 0)),  # new year
    ],
)
def test_midnight_crossing_over_month_and_year_ends(start, now, closes):
    decision = update_window(now, start, time(22, 0), time(2, 0))
    assert decision.inside
    assert decision.closes_at == closes


def test_aware_now_keeps_its_timezone():
    berlin = ZoneInfo("Europe/Berlin")
    now = _at(DAY, 23, 0, tzinfo=berlin)
    decision = update_window(now, DAY, time(22, 0), time(2, 0))
    assert decision.inside
    assert decision.opens_at.tzinfo is berlin
    assert decision.closes_at == datetime(2026, 11, 24, 2, 0, tzinfo=berlin)


def test_aware_now_in_another_zone_is_judged_on_its_own_clock():
    # The window is wall-clock time of ``now``: 23:00 UTC is inside a 22:00-02:00 window in UTC.
    now = _at(DAY, 23, 0, tzinfo=timezone.utc)
    assert update_window(now, DAY, time(22, 0), time(2, 0)).inside
    fixed = timezone(timedelta(hours=1))
    assert not update_window(_at(DAY, 21, 30, tzinfo=fixed), DAY, time(22, 0), time(2, 0)).inside


def test_window_across_a_dst_change():
    # Europe/Berlin leaves summer time on 2026-10-25 at 03:00 -> 02:00; the wall-clock window still applies.
    berlin = ZoneInfo("Europe/Berlin")
    start = date(2026, 10, 24)
    assert update_window(datetime(2026, 10, 25, 1, 30, tzinfo=berlin), start, time(22, 0), time(4, 0)).inside
    assert not update_window(datetime(2026, 10, 25, 4, 0, tzinfo=berlin), start, time(22, 0), time(4, 0)).inside


def test_window_bounds_directly():
    assert window_bounds(DAY, time(1, 0), time(3, 0)) == (_at(DAY, 1, 0), _at(DAY, 3, 0))
    assert window_bounds(DAY, time(23, 0), time(0, 0)) == (_at(DAY, 23, 0), _at(DAY + timedelta(days=1), 0, 0))


def test_format_moment():
    assert format_moment(_at(DAY, 6, 0)) == "2026-11-23 06:00"
    assert format_moment(_at(DAY, 6, 0, 5)) == "2026-11-23 06:00:05"


@pytest.mark.parametrize(
    ("now", "start", "time_from", "time_to", "message"),
    [
        ("2026-11-23 22:00", DAY, time(22, 0), time(2, 0), "now must be a datetime"),
        (_at(DAY, 22, 0), "2026-11-23", time(22, 0), time(2, 0), "start date must be a date"),
        (_at(DAY, 22, 0), _at(DAY, 0, 0), time(22, 0), time(2, 0), "start date must be a date"),
        (_at(DAY, 22, 0), DAY, "22:00", time(2, 0), "'from' time must be a time"),
        (_at(DAY, 22, 0), DAY, time(22, 0), None, "'to' time must be a time"),
        (_at(DAY, 22, 0), DAY, time(22, 0, tzinfo=timezone.utc), time(2, 0), "must not carry a timezone"),
    ],
)
def test_update_window_rejects_wrong_types(now, start, time_from, time_to, message):
    with pytest.raises(ValueError, match=message):
        update_window(now, start, time_from, time_to)


def test_decision_is_frozen():
    decision = update_window(_at(DAY, 22, 0), DAY, time(22, 0), time(2, 0))
    with pytest.raises(AttributeError):
        decision.inside = False  # type: ignore[misc]
