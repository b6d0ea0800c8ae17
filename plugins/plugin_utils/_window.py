# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The update window: a start date and a time range (from/to), as in the vendor's update settings.

The update starts when the start date is today and the time is in [from, to). A range whose
end is not after its start crosses midnight and closes the next day; from == to means 24 hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo as TzInfo

_TIME_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
_ISO_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_GERMAN_DATE_RE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")


@dataclass(frozen=True)
class WindowDecision:
    """Whether ``now`` is inside the update window, why, and when the window opens and closes."""

    inside: bool
    reason: str
    opens_at: datetime | None
    closes_at: datetime | None


def parse_time_of_day(text: str | time) -> time:
    """Parse "22:00", "7:05" or "22:00:30" into a time; raise ValueError otherwise."""
    if isinstance(text, time):
        return text
    if not isinstance(text, str):
        # YAML 1.1 reads an unquoted 22:00 as the number 1320 (base 60), so say how to fix it.
        raise ValueError(f"a time of day must be text like '22:00', not {type(text).__name__} {text!r}; quote times in YAML ('22:00')")
    match = _TIME_RE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time of day (expected HH:MM or HH:MM:SS, e.g. '22:00')")
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{text!r} is not a valid time of day (hours 0-23, minutes and seconds 0-59)")
    return time(hour, minute, second)


def parse_date(text: str | date) -> date:
    """Parse an ISO date ("2026-11-23") or a German one ("23.11.2026"); raise ValueError otherwise."""
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        # YAML reads an unquoted 2026-11-23 as a date already.
        return text
    if not isinstance(text, str):
        raise ValueError(f"a date must be text like '2026-11-23' or '23.11.2026', not {type(text).__name__} {text!r}")
    stripped = text.strip()
    iso = _ISO_DATE_RE.fullmatch(stripped)
    german = _GERMAN_DATE_RE.fullmatch(stripped)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif german:
        day, month, year = (int(part) for part in german.groups())
    else:
        raise ValueError(f"{text!r} is not a date (expected YYYY-MM-DD such as '2026-11-23', or DD.MM.YYYY such as '23.11.2026')")
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid date: {exc}") from None


def window_bounds(start_date: date, time_from: time, time_to: time, tzinfo: TzInfo | None = None) -> tuple[datetime, datetime]:
    """The moments the window opens and closes (closing moment excluded)."""
    opens = datetime.combine(start_date, time_from, tzinfo=tzinfo)
    if time_to > time_from:
        closes = datetime.combine(start_date, time_to, tzinfo=tzinfo)
    elif time_to < time_from:
        closes = datetime.combine(start_date + timedelta(days=1), time_to, tzinfo=tzinfo)
    else:
        closes = opens + timedelta(days=1)
    return opens, closes


def format_moment(moment: datetime) -> str:
    """A moment as an admin reads it: "2026-11-23 22:00" (seconds only when not zero)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")


def update_window(now: datetime, start_date: date, time_from: time, time_to: time) -> WindowDecision:
    """Decide whether ``now`` is inside the update window; the window takes the tzinfo of ``now``."""
    if not isinstance(now, datetime):
        raise ValueError(f"now must be a datetime, not {type(now).__name__}")
    if isinstance(start_date, datetime) or not isinstance(start_date, date):
        raise ValueError(f"the start date must be a date, not {type(start_date).__name__}")
    for label, value in (("from", time_from), ("to", time_to)):
        if not isinstance(value, time):
            raise ValueError(f"the window's '{label}' time must be a time, not {type(value).__name__}")
        if value.tzinfo is not None:
            raise ValueError(f"the window's '{label}' time must not carry a timezone; the window uses the timezone of now")
    opens, closes = window_bounds(start_date, time_from, time_to, now.tzinfo)
    if now < opens:
        reason = f"outside the update window: it opens {format_moment(opens)} and closes {format_moment(closes)}"
        return WindowDecision(False, reason, opens, closes)
    if now >= closes:
        return WindowDecision(False, f"the update window closed {format_moment(closes)}", opens, closes)
    return WindowDecision(True, f"inside the update window until {format_moment(closes)}", opens, closes)
