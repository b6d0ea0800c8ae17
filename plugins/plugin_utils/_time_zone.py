# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's time zone, so that times recorded in UTC are shown as the host's local time (the update window is local too).

The hosts tell it in their own terms (:meth:`Host.time_zone`): a POSIX host its ``TZ``, the target of ``/etc/localtime``
(``…/zoneinfo/Europe/Berlin`` on Linux and macOS), ``/etc/timezone`` and the current UTC offset; a Windows host the id
in its registry, which ``tzutil /g`` prints ("W. Europe Standard Time"), mapped to the IANA name with CLDR's table as tzlocal
ships it. Pure logic.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import typing as t
import zoneinfo

try:
    from tzlocal.windows_tz import win_tz as WINDOWS_ZONES  # CLDR windowsZones.xml, Windows id -> IANA name
except ImportError:  # pragma: no cover - tzlocal is a requirement of the controller (meta/ee-requirements.txt)
    WINDOWS_ZONES = {}

_OFFSET = re.compile(r"^([+-])(\d\d):?(\d\d)$")


@dataclasses.dataclass(frozen=True)
class HostZone:
    """A host's time zone: an IANA ``name`` when known, else only the UTC ``offset`` it has now (``None``: unknown, UTC used)."""

    name: str | None = None
    offset: str | None = None
    #: What the host called it when that is not an IANA name (a Windows zone id).
    label: str | None = None

    def tzinfo(self) -> datetime.tzinfo:
        """The zone to convert with: the IANA zone (with its summer time), else the fixed current offset, else UTC."""
        if self.name:
            return zoneinfo.ZoneInfo(self.name)
        match = _OFFSET.match(self.offset or "")
        if match:
            minutes = int(match.group(2)) * 60 + int(match.group(3))
            return datetime.timezone(datetime.timedelta(minutes=-minutes if match.group(1) == "-" else minutes))
        return datetime.timezone.utc

    def as_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "offset": self.offset, "label": self.label}


def _iana(candidate: str | None) -> str | None:
    """``candidate`` when it names a zone this controller knows (``Europe/Berlin``, ``UTC``), else None."""
    name = (candidate or "").strip().lstrip(":")
    if not name or name.startswith("/") or ".." in name:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None
    return name


def posix_zone(output: str) -> HostZone:
    """The zone from the probe's lines ``TZ <value>``, ``L <target of /etc/localtime>``, ``F <first line of /etc/timezone>``,
    ``O <date +%z>``: TZ wins (as for every program on the host), then the link, then the file; else only the offset."""
    found: dict[str, str] = {}
    for line in output.splitlines():
        key, value = (line.split(" ", 1) + [""])[:2]
        found.setdefault(key, value.strip())
    link = found.get("L", "")
    candidates = [found.get("TZ"), link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else None, found.get("F")]
    # A TZ that is no zone name (a POSIX rule like "CET-1CEST,M3.5.0,M10.5.0/3") is what programs use: only its offset counts.
    if found.get("TZ") and not _iana(found["TZ"]):
        candidates = []
    name = next((zone for zone in map(_iana, candidates) if zone), None)
    offset = found.get("O") if _OFFSET.match(found.get("O", "")) else None
    return HostZone(name=name, offset=offset, label=None if name else found.get("TZ") or None)


def windows_zone(zone_id: str, summer_time_disabled: bool = False) -> HostZone:
    """The zone of a Windows id (the registry's TimeZoneKeyName, what ``tzutil /g`` prints); with automatic summer time
    switched off only the standard offset holds all year. An id CLDR does not know keeps only its name (times shown in UTC)."""
    # Some Windows versions leave a NUL and garbage after the name in the REG_SZ value.
    zone_id = zone_id.split("\x00", 1)[0].strip()
    name = _iana(WINDOWS_ZONES.get(zone_id))
    if name and summer_time_disabled:
        # Summer time adds to the standard offset, in January on the southern half of the world and in July on the northern.
        standard = min(datetime.datetime(2026, month, 15, tzinfo=zoneinfo.ZoneInfo(name)).utcoffset() or datetime.timedelta() for month in (1, 7))
        minutes = int(standard.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        return HostZone(name=None, offset=f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}", label=zone_id)
    return HostZone(name=name, label=zone_id or None)


def local_time(moment: str | None, zone: HostZone) -> str | None:
    """An ISO 8601 moment (UTC as the history writes it) as the host's local time with its zone: ``2026-11-23 22:07 CET``."""
    when = parse_moment(moment)
    if when is None:
        return None
    local = when.astimezone(zone.tzinfo())
    return f"{local:%Y-%m-%d %H:%M} {zone_abbreviation(local, zone)}"


def parse_moment(moment: str | None) -> datetime.datetime | None:
    """An ISO 8601 moment as an aware datetime (without an offset it is UTC, as the history writes); None for none."""
    if not moment:
        return None
    when = datetime.datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    return when if when.tzinfo is not None else when.replace(tzinfo=datetime.timezone.utc)


def zone_abbreviation(local: datetime.datetime, zone: HostZone) -> str:
    """CET/CEST from the IANA data; a fixed offset as UTC+01:00; "UTC" when nothing is known."""
    if zone.name:
        abbreviation = local.tzname() or zone.name
        # Zones without an abbreviation of their own have "+03" as their name in the IANA data.
        return f"UTC{abbreviation}" if abbreviation[0] in "+-" else abbreviation
    if zone.offset:
        return f"UTC{zone.offset[:3]}:{zone.offset[-2:]}"
    return "UTC"


def from_dict(value: t.Mapping[str, t.Any] | None) -> HostZone:
    """The zone as :meth:`HostZone.as_dict` returned it (info's ``time_zone``); None or an unknown name is UTC."""
    value = value or {}
    return HostZone(name=_iana(value.get("name")), offset=value.get("offset"), label=value.get("label"))
