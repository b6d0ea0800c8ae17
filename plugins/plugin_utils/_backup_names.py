# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The names of the backups this collection makes, and which of them retention removes. Pure functions."""

from __future__ import annotations

import datetime
import re

PREFIX = "ConAktiv-backup-"
_NAME = re.compile(r"^ConAktiv-backup-(?P<label>[A-Za-z0-9_]+)-(?P<version>.+)-(?P<stamp>\d{8}-\d{6})\.zip$")


def backup_name(label: str, version: str, now: datetime.datetime) -> str:
    """The file name of a backup: label, version and local time, sortable."""
    safe_version = re.sub(r"[^A-Za-z0-9._]+", "_", version)
    return f"{PREFIX}{label}-{safe_version}-{now.strftime('%Y%m%d-%H%M%S')}.zip"


def safe_version(version: str) -> str:
    """The version as it stands in a backup's name."""
    return re.sub(r"[^A-Za-z0-9._]+", "_", version)


def our_backups(names: list[str]) -> list[tuple[str, re.Match[str]]]:
    """The backups this collection made, oldest first."""
    found = [(name, match) for name in names if (match := _NAME.match(name))]
    return sorted(found, key=lambda item: item[1]["stamp"])


def doomed_backups(names: list[str], keep: int, protect: str) -> list[str]:
    """The names retention removes to keep the newest ``keep`` (0: all), never ``protect`` (the backup just made)."""
    if keep <= 0:
        return []
    backups = [name for name, _match in our_backups(names) if name != protect]
    return backups[:max(0, len(backups) - (keep - 1))]
