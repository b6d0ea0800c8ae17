# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Admin-facing text: message templates with named fields, and durations people read."""

from __future__ import annotations

import math
import string
import typing as t

_FORMATTER = string.Formatter()
_ALLOWED_CONVERSIONS = (None, "s", "r")


def template_fields(template: str) -> list[str]:
    """The field names used in ``template``, in order of appearance; ValueError for anything but plain names."""
    if not isinstance(template, str):
        raise ValueError(f"a message template must be text, not {type(template).__name__}")
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise ValueError(f"the message template {template!r} is malformed ({exc}); write a literal brace as '{{{{' or '}}}}'") from None
    fields = []
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if field == "" or field.isdigit():
            raise ValueError(f"the message template {template!r} has a positional field '{{{field}}}'; use named fields such as {{minutes}}")
        if not field.isidentifier():
            raise ValueError(f"the message template field '{{{field}}}' is not a plain name; attribute and index access is not allowed")
        if spec and ("{" in spec or "}" in spec):
            raise ValueError(f"the message template field '{{{field}}}' has a nested field in its format '{spec}', which is not allowed")
        if conversion not in _ALLOWED_CONVERSIONS:
            raise ValueError(f"the message template field '{{{field}}}' has an unknown conversion '!{conversion}'")
        fields.append(field)
    return fields


def render_message(template: str, **values: t.Any) -> str:
    """Fill the named fields of ``template`` from ``values``; ValueError lists the known fields if one is unknown."""
    unknown = [field for field in template_fields(template) if field not in values]
    if unknown:
        known = ", ".join(sorted(values)) or "none"
        names = ", ".join(sorted(set(unknown)))
        raise ValueError(f"the message template uses unknown field(s) {names}; known fields: {known}")
    try:
        return _FORMATTER.vformat(template, (), values)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"cannot fill the message template {template!r}: {exc}") from None


def format_duration(seconds: float) -> str:
    """A duration as people read it: "2.5 s", "31 s", "84 s", "7 min 5 s", "1 h 2 min".

    Under ten seconds one decimal is kept; under two minutes whole seconds; under an hour
    minutes and seconds; from an hour on, hours and minutes.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a duration must be a finite number of seconds >= 0, not {seconds!r}")
    if round(seconds, 1) < 10:
        return f"{round(seconds, 1):g} s"
    whole = int(round(seconds))
    if whole < 120:
        return f"{whole} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    minutes_total = int(round(seconds / 60))
    hours, minutes = divmod(minutes_total, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
