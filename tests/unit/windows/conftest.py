# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the Windows adapter tests: an emulated Windows host with a ConAktiv server on drive D:.

  emulator   WindowsEmulator on tmp_path (drives C: and D:); fails the test if any call broke a module's contract
  world      World: run phases / get a WindowsHost against the emulator
  site       Site: ConAktiv 1.0.0 installed in D:\\ConAktiv\\ConAktiv Server, its data, and a running Windows service
  package    callable(version) -> Path of a vendor zip on the controller (built by the simulator's package builder)
"""

from __future__ import annotations

import sys
import typing as t
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

# pylint: disable=wrong-import-position
from winemu import WindowsEmulator  # noqa: E402
from winharness import World  # noqa: E402
from winsite import Site, install_site  # noqa: E402

from ansible_collections.conaktiv.server.plugins.plugin_utils._windows_host import WindowsHost  # noqa: E402

from conaktiv_sim.package import build_package  # noqa: E402


@pytest.fixture(autouse=True)
def fast_service_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulated service changes state within 0.1 s: poll it often (the real default is 0.5 s, over WinRM)."""
    monkeypatch.setattr(WindowsHost, "service_poll_first_s", 0.05)
    monkeypatch.setattr(WindowsHost, "service_poll_cap_s", 0.2)


@pytest.fixture
def emulator(tmp_path: Path) -> t.Iterator[WindowsEmulator]:
    emu = WindowsEmulator(tmp_path / "windows", latency=0.0)  # no WinRM round trip here: the tests that need one set it
    yield emu
    assert not emu.violations, f"module calls that break the real modules' contracts: {emu.violations}"


@pytest.fixture
def world(emulator: WindowsEmulator) -> World:
    return World(emulator)


@pytest.fixture
def site(emulator: WindowsEmulator) -> Site:
    return install_site(emulator)


@pytest.fixture
def package(tmp_path: Path) -> t.Callable[..., Path]:
    """Vendor packages on the controller: package("2.0.0", fmt="zip")."""
    def build(version: str, fmt: str = "zip") -> Path:
        suffix = ".tar.gz" if fmt == "tar.gz" else ".zip"
        return Path(build_package(tmp_path / "packages" / f"ConAktiv-{version}{suffix}", version, fmt=fmt))
    return build
