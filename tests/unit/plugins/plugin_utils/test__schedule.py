# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the AWX schedule of the update window (plugin_utils/_schedule.py, filter window_rrule).

How AWX itself parses the rrule and when it starts the job: tests/integration/test_awx_setup.py.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.conaktiv.server.plugins.filter.window_rrule import rrule
from ansible_collections.conaktiv.server.plugins.plugin_utils._schedule import MAX_STARTS, check_timezone, window_rrule, window_starts

DAY = date(2026, 11, 23)


def test_a_window_across_midnight_starts_every_half_hour_until_it_closes():
    starts = window_starts(DAY, time(22, 0), time(2, 0), 30)
    assert starts[0] == datetime(2026, 11, 23, 22, 0) and starts[-1] == datetime(2026, 11, 24, 1, 30) and len(starts) == 8


def test_the_rrule_names_the_zone_the_opening_the_step_and_the_count():
    assert window_rrule(DAY, time(22, 0), time(2, 0), "Europe/Berlin") == (
        "DTSTART;TZID=Europe/Berlin:20261123T220000 RRULE:FREQ=MINUTELY;INTERVAL=30;COUNT=8")


def test_zero_minutes_starts_the_job_once():
    assert window_rrule(DAY, time(22, 0), time(6, 0), "UTC", 0) == "DTSTART;TZID=UTC:20261123T220000 RRULE:FREQ=MINUTELY;INTERVAL=1;COUNT=1"


@pytest.mark.parametrize(("time_from", "time_to", "minutes", "count"), [
    (time(22, 0), time(22, 0), 60, 24),     # from == to: 24 hours, as the role reads it
    (time(22, 0), time(22, 45), 30, 2),     # 22:00 and 22:30; 23:00 would be outside
    (time(22, 0), time(22, 20), 30, 1),     # a window shorter than the step: the opening only
    (time(8, 0), time(17, 0), 45, 12),      # 8:00 ... 16:15
])
def test_no_start_lies_outside_the_window(time_from, time_to, minutes, count):
    starts = window_starts(DAY, time_from, time_to, minutes)
    assert len(starts) == count
    closes = datetime.combine(DAY, time_to) if time_to > time_from else datetime.combine(date(2026, 11, 24), time_to)
    assert all(datetime.combine(DAY, time_from) <= start < closes for start in starts)


def test_the_starts_are_wall_clock_times_on_a_dst_change_day():
    # Berlin leaves DST on 2026-10-25 at 03:00: the window still starts at 01:00, 01:30, 02:00, 02:30 and 03:00 local time.
    starts = window_starts(date(2026, 10, 25), time(1, 0), time(3, 30), 30)
    assert [start.strftime("%H:%M") for start in starts] == ["01:00", "01:30", "02:00", "02:30", "03:00"]


def test_more_starts_than_awx_allows_are_refused():
    assert len(window_starts(DAY, time(0, 0), time(0, 0), 2)) == 720
    with pytest.raises(ValueError, match=f"at most {MAX_STARTS}"):
        window_starts(DAY, time(0, 0), time(0, 0), 1)


@pytest.mark.parametrize("minutes", [-5, 1.5, "30", True, None])
def test_the_step_is_a_whole_number_of_minutes(minutes):
    with pytest.raises(ValueError, match="whole number of minutes"):
        window_starts(DAY, time(22, 0), time(2, 0), minutes)


@pytest.mark.parametrize("name", ["Mars/Olympus", "Europe/Berlin;X", "Europe/Berlin RRULE:FREQ=DAILY", "", "../etc/passwd", 1])
def test_an_unknown_time_zone_is_refused(name):
    with pytest.raises(ValueError, match="time zone"):
        check_timezone(name)


def test_the_filter_takes_the_role_s_date_and_time_forms():
    assert rrule("23.11.2026", "22:00", "06:00", "Europe/Berlin", "60") == (
        "DTSTART;TZID=Europe/Berlin:20261123T220000 RRULE:FREQ=MINUTELY;INTERVAL=60;COUNT=8")
    assert rrule(DAY, "22:00", "02:00", "Europe/Vienna") == window_rrule(DAY, time(22, 0), time(2, 0), "Europe/Vienna")


@pytest.mark.parametrize(("args", "message"), [
    (("2026-11-31", "22:00", "02:00", "Europe/Berlin"), "not a valid date"),
    (("2026-11-23", 1320, "02:00", "Europe/Berlin"), "quote times in YAML"),
    (("2026-11-23", "22:00", "02:00", "Berlin"), "unknown time zone"),
    (("2026-11-23", "22:00", "02:00", "Europe/Berlin", "often"), "whole number of minutes"),
    (("2026-11-23", "08:00", "18:00", "Europe/Berlin", 120, -1), "days_before must be a whole number of days"),
    (("2026-11-23", "08:00", "18:00", "Europe/Berlin", 120, "the day before"), "days_before must be a whole number of days"),
])
def test_the_filter_names_wrong_input(args, message):
    with pytest.raises(AnsibleFilterError, match=f"window_rrule: .*{message}"):
        rrule(*args)


def test_the_staging_window_lies_days_before_the_update_in_hours_of_its_own():
    # The day before, across a month's end, every two hours from 08:00 until 18:00: 08, 10, 12, 14, 16.
    assert rrule("01.12.2026", "08:00", "18:00", "Europe/Berlin", 120, 1) == (
        "DTSTART;TZID=Europe/Berlin:20261130T080000 RRULE:FREQ=MINUTELY;INTERVAL=120;COUNT=5")
    assert rrule("2026-12-01", "08:00", "18:00", "Europe/Berlin", "120", "3").startswith("DTSTART;TZID=Europe/Berlin:20261128T080000 ")
