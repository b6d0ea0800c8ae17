# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter conaktiv.server.window_rrule: the AWX schedule rrule that starts the update inside its window."""

from __future__ import annotations

import datetime
import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.conaktiv.server.plugins.plugin_utils._schedule import window_rrule
from ansible_collections.conaktiv.server.plugins.plugin_utils._window import parse_date, parse_time_of_day

DOCUMENTATION = r"""
name: window_rrule
short_description: Turn the ConAktiv update window into an AWX schedule rrule
version_added: 0.1.0
author:
  - conaktiv.server developers
description:
  - Makes the recurrence rule of an AWX / Automation Platform schedule (the C(rrule) option of C(awx.awx.schedule)) from the window
    the role checks, in the hosts' time zone, e.g. V(DTSTART;TZID=Europe/Berlin:20261123T220000 RRULE:FREQ=MINUTELY;INTERVAL=30;COUNT=8).
  - The job starts when the window opens and again every O(repeat_minutes) while it is open, so an interrupted job or an
    unreachable host is picked up by the next start; the role finishes an interrupted update from its journal, and a
    host already on the target version changes nothing. V(0) starts the job once.
  - A window whose end is not after its start crosses midnight (V(22:00)-V(02:00)); O(time_from) equal to O(time_to) means 24 hours,
    as in the update_window filter. The starts are counted on the wall clock of O(timezone), as the role reads the host's
    local time; on a day with a DST change AWX skips a start that falls into the missing hour.
options:
  _input:
    description: The start date, V(2026-11-23) (ISO) or V(23.11.2026).
    type: str
    required: true
  time_from:
    description: Start of the window, V(22:00). Quote it in YAML.
    type: str
    required: true
  time_to:
    description: End of the window (exclusive), V(02:00). Quote it in YAML.
    type: str
    required: true
  timezone:
    description: The hosts' time zone (IANA name), V(Europe/Berlin); it needs the tz database on the controller.
    type: str
    required: true
  repeat_minutes:
    description: Start the job again every so many minutes while the window is open; V(0) starts it once. AWX allows at most 999 starts.
    type: int
    default: 30
  days_before:
    description:
      - Move the window this many days before the start date, e.g. V(1) for the staging job (C(conaktiv.server.stage)) the day
        before the update, in daytime hours of its own (O(time_from), O(time_to)).
    type: int
    default: 0
"""

EXAMPLES = r"""
- name: Schedule the update job inside the window
  awx.awx.schedule:
    name: ConAktiv-Update 9.1.0
    unified_job_template: ConAktiv-Update
    rrule: "{{ '2026-11-23' | conaktiv.server.window_rrule('22:00', '02:00', 'Europe/Berlin') }}"

- name: Schedule the staging job the day before, every two hours from 08:00 to 18:00
  awx.awx.schedule:
    name: ConAktiv-Bereitstellung 9.1.0
    unified_job_template: ConAktiv-Bereitstellung
    rrule: "{{ '2026-11-23' | conaktiv.server.window_rrule('08:00', '18:00', 'Europe/Berlin', repeat_minutes=120, days_before=1) }}"
"""

RETURN = r"""
_value:
  description: The rrule, V(DTSTART;TZID=<zone>:<opening> RRULE:FREQ=MINUTELY;INTERVAL=<minutes>;COUNT=<starts>).
  type: str
"""


def _whole(value: t.Any) -> t.Any:
    """A whole number given as text (an extra variable, a survey answer) as a number; anything else as it is, for the check."""
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


def rrule(start_date: t.Any, time_from: t.Any, time_to: t.Any, timezone: t.Any, repeat_minutes: t.Any = 30, days_before: t.Any = 0) -> str:
    """The rrule for the window; wrong input raises AnsibleFilterError naming it."""
    try:
        days = _whole(days_before)
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ValueError(f"days_before must be a whole number of days >= 0, not {days_before!r}")
        day = parse_date(start_date) - datetime.timedelta(days=days)
        return window_rrule(day, parse_time_of_day(time_from), parse_time_of_day(time_to), timezone, _whole(repeat_minutes))
    except ValueError as exc:
        raise AnsibleFilterError(f"window_rrule: {exc}") from exc


class FilterModule:
    """conaktiv.server filters."""

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"window_rrule": rrule}
