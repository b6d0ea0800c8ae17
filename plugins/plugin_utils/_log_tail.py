# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A log file on the host followed across polls: each look reads only what was written since the last one."""

from __future__ import annotations

import dataclasses

from ._host import Host, Tail


@dataclasses.dataclass
class LogFollower:
    """The lines of one log file so far; :meth:`look` reads what is new, :meth:`take` is the pure part of it."""

    path: str
    encoding: str = "utf-8"
    #: The most read in one look (the first look of a long log starts this far before its end).
    max_bytes: int = 1 << 20
    exists: bool = False
    offset: int = 0
    complete: list[str] = dataclasses.field(default_factory=list)
    partial: bytes = b""

    def look(self, host: Host) -> list[str] | None:
        """Read what is new on ``host``; the lines so far (the last one may be unfinished), None while the file does not exist."""
        self.take(host.read_tail(self.path, self.offset, self.max_bytes))
        return self.lines()

    def take(self, tail: Tail) -> None:
        """Add what :meth:`Host.read_tail` returned."""
        if not tail.exists:
            self.exists, self.offset, self.complete, self.partial = False, 0, [], b""
            return
        data = tail.data
        if tail.start != self.offset or not self.exists:
            # The first look, a log that was replaced, or more new than max_bytes: start over from what arrived, without the
            # cut line at its beginning.
            self.complete, self.partial = [], b""
            if tail.start > 0:
                cut = data.find(b"\n")
                data = data[cut + 1:] if cut >= 0 else b""
        self.exists = True
        pieces = (self.partial + data).split(b"\n")
        self.partial = pieces.pop()
        self.complete.extend(self._text(piece) for piece in pieces)
        self.offset = tail.start + len(tail.data)

    def lines(self) -> list[str] | None:
        """The lines so far, the unfinished last one included; None while the file does not exist."""
        if not self.exists:
            return None
        return self.complete + ([self._text(self.partial)] if self.partial else [])

    def _text(self, raw: bytes) -> str:
        return raw.decode(self.encoding, errors="replace").removesuffix("\r").lstrip("\ufeff")
