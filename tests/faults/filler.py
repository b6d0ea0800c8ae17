"""Fill a volume the moment a folder appears, and give the space back once the run journal shows the phase ended.

    python filler.py WATCHED_FOLDER FILL_FILE JOURNAL PHASE [FILLED_FLAG]

A process of its own (the test's threads share the interpreter with the harness and may be late under load): it
polls every 2 ms, then takes all free space at once with posix_fallocate (no time spent writing), the way another
program that grabs the disk would, and releases it when the journal records PHASE as done or failed (2 min at most).
FILLED_FLAG, when given, is created once the space is taken: a shim of the program that writes can wait for it, so that the
fill comes first however busy the machine is.
"""

from __future__ import annotations

import json
import os
import sys
import time


def phase_ended(journal: str, phase: str) -> bool:
    """Whether the run journal has a done or failed event of ``phase``."""
    try:
        with open(journal, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return False
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("phase") == phase and entry.get("event") in ("done", "failed"):
            return True
    return False


def main(watched: str, fill: str, journal: str, phase: str, flag: str = "") -> int:
    deadline = time.monotonic() + 300
    while not os.path.exists(watched):
        if time.monotonic() > deadline:
            return 1
        time.sleep(0.002)
    stats = os.statvfs(os.path.dirname(fill))
    free = stats.f_bavail * stats.f_frsize
    descriptor = os.open(fill, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        os.posix_fallocate(descriptor, 0, max(1, free - 64 * 1024))
    except OSError:
        pass  # whatever it got, it keeps
    finally:
        os.close(descriptor)
    print("filled", flush=True)
    if flag:
        with open(flag, "w", encoding="utf-8"):
            pass
    deadline = time.monotonic() + 120
    while not phase_ended(journal, phase) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.unlink(fill)
    print("released", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
