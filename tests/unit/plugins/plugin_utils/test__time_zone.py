# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's time zone: what POSIX and Windows hosts tell, and UTC records shown as the host's local time."""

from __future__ import annotations

import os
import pathlib
import subprocess

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._posix_host import TIME_ZONE_SCRIPT
from ansible_collections.conaktiv.server.plugins.plugin_utils._time_zone import HostZone, from_dict, local_time, posix_zone, windows_zone


@pytest.mark.parametrize(("output", "name", "offset"), [
    ("L /usr/share/zoneinfo/Europe/Berlin\nO +0100\n", "Europe/Berlin", "+0100"),
    # macOS links into /var/db/timezone.
    ("L /var/db/timezone/zoneinfo/Europe/Vienna\nO +0100\n", "Europe/Vienna", "+0100"),
    # TZ wins over the system's zone, as it does for every program on the host.
    ("TZ Europe/Zurich\nL /usr/share/zoneinfo/Etc/UTC\nF Etc/UTC\nO +0100\n", "Europe/Zurich", "+0100"),
    ("TZ :Europe/Berlin\nO +0100\n", "Europe/Berlin", "+0100"),
    # A POSIX rule in TZ is no zone name: only the offset it gives now is known.
    ("TZ CET-1CEST,M3.5.0,M10.5.0/3\nL /usr/share/zoneinfo/Etc/UTC\nO +0100\n", None, "+0100"),
    ("F Europe/Berlin\nO +0100\n", "Europe/Berlin", "+0100"),
    ("L /etc/zoneinfo-broken\nO garbage\n", None, None),
])
def test_posix_zone_takes_tz_then_the_link_then_the_file(output, name, offset):
    zone = posix_zone(output)
    assert (zone.name, zone.offset) == (name, offset)


def test_the_posix_script_reports_what_this_machine_has():
    done = subprocess.run(["sh", "-c", TIME_ZONE_SCRIPT], env={**os.environ, "TZ": "America/New_York"}, capture_output=True, text=True, check=True)
    zone = posix_zone(done.stdout)
    assert zone.name == "America/New_York" and zone.offset in ("-0500", "-0400")
    without = {key: value for key, value in os.environ.items() if key != "TZ"}
    done = subprocess.run(["sh", "-c", TIME_ZONE_SCRIPT], env=without, capture_output=True, text=True, check=True)
    if pathlib.Path("/etc/localtime").is_symlink():
        assert posix_zone(done.stdout).name, done.stdout


@pytest.mark.parametrize(("zone_id", "summer_off", "name", "offset"), [
    ("W. Europe Standard Time", False, "Europe/Berlin", None),
    ("GMT Standard Time", False, "Europe/London", None),
    ("Eastern Standard Time\x00garbage", False, "America/New_York", None),
    # Automatic summer time switched off: the standard offset all year (the smaller one, also south of the equator).
    ("W. Europe Standard Time", True, None, "+0100"),
    ("AUS Eastern Standard Time", True, None, "+1000"),
    ("Unknown Planet Time", False, None, None),
])
def test_windows_zone_maps_the_registry_id(zone_id, summer_off, name, offset):
    zone = windows_zone(zone_id, summer_time_disabled=summer_off)
    assert (zone.name, zone.offset) == (name, offset)
    assert zone.label == zone_id.split("\x00")[0]


def test_local_time_follows_summer_time_of_the_moment_not_of_now():
    berlin = HostZone(name="Europe/Berlin")
    assert local_time("2026-11-23T21:07:10+00:00", berlin) == "2026-11-23 22:07 CET"
    assert local_time("2026-07-01T21:07:10+00:00", berlin) == "2026-07-01 23:07 CEST"
    # Without an offset the history means UTC.
    assert local_time("2026-07-01T21:07:10", berlin) == "2026-07-01 23:07 CEST"
    assert local_time("2026-07-01T21:07:10Z", HostZone(offset="-0500")) == "2026-07-01 16:07 UTC-05:00"
    assert local_time("2026-07-01T21:07:10+00:00", HostZone()) == "2026-07-01 21:07 UTC"
    assert local_time(None, berlin) is None


def test_from_dict_ignores_names_the_controller_does_not_know():
    assert from_dict({"name": "Europe/Berlin", "offset": "+0100"}).name == "Europe/Berlin"
    assert from_dict({"name": "../../etc/passwd"}).name is None
    assert from_dict(None) == HostZone()
