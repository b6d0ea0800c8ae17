"""Logged-in users on the client port: one held connection per user, each logs off N s after a message (or never)."""

from __future__ import annotations

import socket
import sys
import threading
import time
from typing import Dict, List, Optional, TextIO

NEVER = "never"


def parse_user(spec: str) -> "tuple[str, Optional[float]]":
    """"anna:5" -> ("anna", 5.0); "ben:never" or "ben" -> ("ben", None)."""
    name, _sep, delay = spec.partition(":")
    if not name:
        raise ValueError(f"user spec {spec!r}: expected NAME:SECONDS or NAME:never")
    if delay in ("", NEVER):
        return name, None
    seconds = float(delay)
    if seconds < 0:
        raise ValueError(f"user spec {spec!r}: seconds must be >= 0")
    return name, seconds


class Reporter:
    """Thread-safe event lines on the output ("<user> <event>")."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()

    def say(self, line: str) -> None:
        """Print and flush one line."""
        with self.lock:
            self.out.write(line + "\n")
            self.out.flush()


class User:
    """One user with a held connection."""

    def __init__(self, name: str, logoff_after: Optional[float], reporter: Reporter) -> None:
        self.name = name
        self.logoff_after = logoff_after
        self.reporter = reporter
        self.connection: Optional[socket.socket] = None
        self.reader: Optional[TextIO] = None

    def login(self, host: str, port: int) -> bool:
        """Connect and send LOGIN; True when the server answered OK."""
        try:
            self.connection = socket.create_connection((host, port), timeout=10)
            self.reader = self.connection.makefile("r", encoding="utf-8", newline="\n")
            self.connection.sendall(f"LOGIN {self.name}\n".encode("utf-8"))
            answer = self.reader.readline().strip()
        except OSError as exc:
            self.reporter.say(f"{self.name} login failed: {exc}")
            return False
        if answer != "OK":
            self.reporter.say(f"{self.name} login refused: {answer or 'connection closed'}")
            return False
        self.reporter.say(f"{self.name} logged in")
        return True

    def hold(self) -> None:
        """Read messages until logoff time or until the server closes the connection."""
        assert self.connection is not None and self.reader is not None
        deadline: Optional[float] = None
        try:
            while deadline is None or time.monotonic() < deadline:
                self.connection.settimeout(None if deadline is None else max(deadline - time.monotonic(), 0.01))
                try:
                    line = self.reader.readline()
                except socket.timeout:
                    break
                if not line:
                    self.reporter.say(f"{self.name} disconnected by server")
                    return
                if line.startswith("MESSAGE "):
                    self.reporter.say(f"{self.name} received: {line[len('MESSAGE '):].rstrip()}")
                    if self.logoff_after is not None and deadline is None:
                        deadline = time.monotonic() + self.logoff_after
            self.reporter.say(f"{self.name} logged off")
        except OSError as exc:
            self.reporter.say(f"{self.name} connection error: {exc}")
        finally:
            self.close()

    def close(self) -> None:
        """Close the connection; the reader holds the socket open until it is closed too."""
        if self.reader is not None:
            self.reader.close()
        if self.connection is not None:
            self.connection.close()


def run_users(host: str, port: int, users: Dict[str, Optional[float]], out: TextIO = sys.stdout) -> int:
    """Log everyone in, print "ready", hold until all are logged off; 0, or 1 when a login failed."""
    reporter = Reporter(out)
    people = [User(name, delay, reporter) for name, delay in users.items()]
    if not all(person.login(host, port) for person in people):
        for person in people:
            person.close()
        return 1
    reporter.say("ready")
    threads: List[threading.Thread] = [threading.Thread(target=person.hold, name=person.name) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reporter.say("all logged off")
    return 0
