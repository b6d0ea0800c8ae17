# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An AWX schedule for the update window: the rrule that starts the update job inside the window.

The job starts when the window opens and, every ``repeat_minutes``, again until the window closes, so that a job
that was interrupted (or a host that was unreachable) is picked up by the next start: the role resumes from its
journal, and a host already on the target version changes nothing. The starts are counted on the wall clock of the
time zone (COUNT, not UNTIL), as AWX's rrule library steps through them and as the role reads the host's local
time, so no instant is converted and a day with a DST change keeps its wall-clock starts.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ansible_collections.conaktiv.server.plugins.plugin_utils._window import window_bounds

# AWX refuses an rrule with COUNT above 999 (awx/api/serializers.py, SchedulePreviewSerializer.validate_rrule).
MAX_STARTS = 999
_ZONE_RE = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")


def check_timezone(name: str) -> str:
    """The IANA time zone name, checked against the tz database; raise ValueError otherwise."""
    if not isinstance(name, str) or not _ZONE_RE.fullmatch(name.strip()):
        raise ValueError(f"{name!r} is not a time zone name like 'Europe/Berlin'")
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (an IANA name like 'Europe/Berlin'; needs the tz database, e.g. the tzdata package)") from exc
    return name.strip()


def window_starts(start_date: date, time_from: time, time_to: time, repeat_minutes: int) -> list[datetime]:
    """The wall-clock moments the job starts: the window's opening, then every ``repeat_minutes`` before it closes."""
    if isinstance(repeat_minutes, bool) or not isinstance(repeat_minutes, int) or repeat_minutes < 0:
        raise ValueError(f"repeat_minutes must be a whole number of minutes >= 0 (0: start once), not {repeat_minutes!r}")
    opens, closes = window_bounds(start_date, time_from, time_to)
    if repeat_minutes == 0:
        return [opens]
    step = timedelta(minutes=repeat_minutes)
    count = -(-(closes - opens) // step)  # the starts before the window closes, the opening included
    if count > MAX_STARTS:
        raise ValueError(f"{count} starts of the job in the window, AWX allows at most {MAX_STARTS}: repeat less often than every {repeat_minutes} minutes")
    return [opens + index * step for index in range(count)]


def window_rrule(start_date: date, time_from: time, time_to: time, timezone: str, repeat_minutes: int = 30) -> str:
    """The AWX rrule, e.g. ``DTSTART;TZID=Europe/Berlin:20261123T220000 RRULE:FREQ=MINUTELY;INTERVAL=30;COUNT=8``."""
    zone = check_timezone(timezone)
    starts = window_starts(start_date, time_from, time_to, repeat_minutes)
    # AWX's rules (validate_rrule): a DTSTART with TZID, INTERVAL in every rule, no SECONDLY, COUNT <= 999.
    return f"DTSTART;TZID={zone}:{starts[0]:%Y%m%dT%H%M%S} RRULE:FREQ=MINUTELY;INTERVAL={repeat_minutes or 1};COUNT={len(starts)}"
