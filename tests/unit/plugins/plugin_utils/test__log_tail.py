# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""LogFollower: a log read piece by piece gives the same lines as read at once."""

from __future__ import annotations

from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Tail
from ansible_collections.conaktiv.server.plugins.plugin_utils._log_tail import LogFollower


def read(log: bytes, offset: int, max_bytes: int) -> Tail:
    """What Host.read_tail returns for a file holding ``log``."""
    start = max(offset if offset <= len(log) else 0, len(log) - max_bytes)
    return Tail(exists=True, size=len(log), start=start, data=log[start:])


def test_pieces_give_the_lines_of_the_whole_and_only_new_bytes_are_asked_for():
    text = "start 1.0.0 -> 2.0.0\r\nTabelle Adressen fertig\nstructure update 1.0.0 -> 2.0.0 fin"
    follower = LogFollower("log")
    grown = b""
    offsets = []
    for piece in (text[:10], text[10:30], text[30:], "ished\n"):
        grown += piece.encode()
        offsets.append(follower.offset)
        follower.take(read(grown, follower.offset, 1 << 20))
    assert follower.lines() == (text + "ished").replace("\r", "").split("\n")
    assert offsets == [0, 10, 30, len(text.encode())]


def test_an_unfinished_line_counts_and_is_completed_later():
    follower = LogFollower("log")
    follower.take(read(b"eins\nzw", 0, 100))
    assert follower.lines() == ["eins", "zw"]
    follower.take(read(b"eins\nzwei\n", follower.offset, 100))
    assert follower.lines() == ["eins", "zwei"]


def test_a_long_log_is_read_from_its_end_without_the_cut_line():
    log = b"".join(f"Zeile {n}\n".encode() for n in range(1000))
    follower = LogFollower("log", max_bytes=35)
    follower.take(read(log, 0, 35))
    assert follower.lines() == ["Zeile 997", "Zeile 998", "Zeile 999"]


def test_a_replaced_log_starts_over_and_a_missing_one_is_none():
    follower = LogFollower("log")
    follower.take(read(b"alt 1\nalt 2\nalt 3\n", 0, 100))
    follower.take(read(b"neu\n", follower.offset, 100))
    assert follower.lines() == ["neu"]
    follower.take(Tail(exists=False))
    assert follower.lines() is None and follower.offset == 0


def test_umlauts_split_between_two_reads_stay_whole():
    data = "Prüfung läuft\n".encode()
    follower = LogFollower("log")
    follower.take(read(data[:3], 0, 100))
    follower.take(read(data, follower.offset, 100))
    assert follower.lines() == ["Prüfung läuft"]
