# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter conaktiv.server.update_window: is a moment inside the vendor-style update window?"""

from __future__ import annotations

import datetime
import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.conaktiv.server.plugins.plugin_utils._window import (
    format_moment, parse_date, parse_time_of_day, update_window)

DOCUMENTATION = r"""
name: update_window
short_description: Decide whether a moment lies inside the ConAktiv update window
version_added: 0.1.0
author:
  - conaktiv.server developers
description:
  - The vendor's rule, as the role uses it. The update starts when the start date is today and the time
    lies in the half-open range from O(time_from) to O(time_to).
  - A window whose end is not after its start crosses midnight (V(22:00)-V(02:00) closes the next day at 02:00);
    O(time_from) equal to O(time_to) means 24 hours.
options:
  _input:
    description: The moment, as the host's local date and time, V(2026-11-23 22:05:00) or V(2026-11-23T22:05:00).
    type: str
    required: true
  start_date:
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
"""

EXAMPLES = r"""
- name: Decide whether the update may run now
  ansible.builtin.set_fact:
    window: "{{ (ansible_facts.date_time.date ~ ' ' ~ ansible_facts.date_time.time)
                | conaktiv.server.update_window('2026-11-23', '22:00', '02:00') }}"
"""

RETURN = r"""
_value:
  description: C(inside) (bool), C(reason) (a sentence for the admin), C(opens_at) and C(closes_at) (local times).
  type: dict
"""


def _moment(value: t.Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    try:
        return datetime.datetime.fromisoformat(str(value).strip().replace(" ", "T", 1))
    except ValueError as exc:
        raise AnsibleFilterError(f"update_window: {value!r} is not a date and time like '2026-11-23 22:05:00'") from exc


def window(now: t.Any, start_date: t.Any, time_from: t.Any, time_to: t.Any) -> dict[str, t.Any]:
    """The window decision as plain data."""
    try:
        decision = update_window(_moment(now), parse_date(start_date), parse_time_of_day(time_from), parse_time_of_day(time_to))
    except ValueError as exc:
        raise AnsibleFilterError(f"update_window: {exc}") from exc
    return {"inside": decision.inside, "reason": decision.reason,
            "opens_at": format_moment(decision.opens_at) if decision.opens_at else None,
            "closes_at": format_moment(decision.closes_at) if decision.closes_at else None}


class FilterModule:
    """conaktiv.server filters."""

    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"update_window": window}
