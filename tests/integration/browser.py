"""A real browser for the tests: Debian's headless Chromium (installed by scripts/test-peers.sh) renders a page from a file.

What Chromium logs from the page's console (errors, Content-Security-Policy violations, failed loads) comes out on stderr as
"...:CONSOLE..." lines with --enable-logging=stderr; those are the page's errors. Flags as on this machine's closed network:
without the background-networking ones Chromium keeps trying to reach Google.
"""

from __future__ import annotations

import dataclasses
import pathlib
import shutil
import subprocess
import tempfile

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0", "--window-size=1200,900"]


@dataclasses.dataclass(frozen=True)
class Rendered:
    """The page as Chromium built it (the DOM after loading) and what its console said."""

    dom: str
    console: list[str]


def chromium() -> str:
    """The Chromium binary; the test is skipped, saying why, where it is not installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("Chromium is not installed (Debian package chromium; scripts/test-peers.sh installs it where it can: root and apt-get)")
    return found


def render(page: pathlib.Path, screenshot: pathlib.Path | None = None) -> Rendered:
    """Load ``page`` in headless Chromium; its DOM and console lines (and a PNG of it, when ``screenshot`` is given)."""
    binary = chromium()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        done = subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        if screenshot is not None:
            subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={screenshot}", page.resolve().as_uri()],
                           capture_output=True, text=True, timeout=120, check=True)
    return Rendered(dom=done.stdout, console=[line for line in done.stderr.splitlines() if ":CONSOLE" in line])
