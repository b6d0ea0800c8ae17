# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run journal on the host: reading it and writing its events (the decisions live in :mod:`._journal`).

Each event is one line appended with the host's lineinfile module: the whole file is written anew and
renamed into place on POSIX (atomic), and a torn line is skipped by readers on any platform.
"""

from __future__ import annotations

import datetime
import typing as t

from ._host import Host, Write
from ._journal import JOURNAL_FILE_NAME, Journal, entry_line, read_journal, utc_now

#: The run's handle (what conaktiv.server.journal state=opened returns), with a phase name.
JOURNAL_HANDLE_SPEC: dict[str, t.Any] = {
    "path": {"type": "str", "required": True},
    "run": {"type": "str", "required": True},
    "phase": {"type": "str"},
}
#: A phase's journal option: the handle, and the begin handed over from the phase before or to the phase after.
JOURNAL_SPEC: dict[str, t.Any] = {
    **JOURNAL_HANDLE_SPEC,
    "begun": {"type": "bool", "default": False},
    "then": {"type": "dict", "options": {"phase": {"type": "str", "required": True}, "lease_s": {"type": "int", "default": 3600}}},
}
JOURNAL_OPTION: dict[str, t.Any] = {"journal": {"type": "dict", "options": JOURNAL_SPEC}}

# Added to every lease: a phase may overrun its own timeout a little (slow round trips) without losing the lock.
LEASE_MARGIN_S = 300


def journal_path(host: Host, server_path: str) -> str:
    """The journal beside the server folder."""
    return host.join(host.parent(server_path.rstrip("/\\") or server_path), JOURNAL_FILE_NAME)


class RunJournal:
    """One run's handle on the journal file of a host."""

    def __init__(self, host: Host, path: str, run: str, secrets: t.Iterable[str] = ()) -> None:
        self.host = host
        self.path = path
        self.run = run
        self.secrets = [secret for secret in secrets if secret]
        self.written: list[str] = []

    @classmethod
    def from_option(cls, host: Host, option: dict[str, t.Any] | None, secrets: t.Iterable[str] = ()) -> "RunJournal | None":
        """The journal named by a phase's ``journal`` option, or None when the phase runs without one."""
        if not option or not option.get("path") or not option.get("run"):
            return None
        return cls(host, str(option["path"]), str(option["run"]), secrets)

    def read(self) -> Journal:
        """The journal as it is on the host now (an empty one when the file does not exist)."""
        return read_journal(self.host.read_text(self.path))

    def line(self, event: str, *, phase: str | None = None, data: dict[str, t.Any] | None = None, lease_s: float | None = None,
             generation: int | None = None, at: datetime.datetime | None = None) -> str:
        """One event of this run as a journal line, not written yet (its lease counted from its time)."""
        moment = at or utc_now()
        lease = moment + datetime.timedelta(seconds=lease_s + LEASE_MARGIN_S) if lease_s is not None else None
        return entry_line(self.run, event, at=moment, phase=phase, lease_until=lease, generation=generation, data=data, secrets=self.secrets)

    def write(self, event: str, *, phase: str | None = None, data: dict[str, t.Any] | None = None, lease_s: float | None = None,
              generation: int | None = None, at: datetime.datetime | None = None) -> str:
        """Append one event (one round trip); returns the line written."""
        line = self.line(event, phase=phase, data=data, lease_s=lease_s, generation=generation, at=at)
        self.append([line])
        return line

    def append(self, lines: t.Sequence[str]) -> None:
        """Append lines in one round trip (one line: the host's lineinfile; more: :meth:`Host.commit`)."""
        if len(lines) == 1:
            self.host.append_line(self.path, lines[0])
        elif lines:
            self.host.commit([Write("append", self.path, tuple(lines))])
        self.written.extend(lines)

    def appending(self, lines: t.Sequence[str]) -> Write:
        """The step that appends ``lines`` (for a :meth:`Host.commit` with other steps); counted as written."""
        self.written.extend(lines)
        return Write("append", self.path, tuple(lines))
