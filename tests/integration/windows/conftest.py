# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-playbook against the Windows emulator through the real PowerShell payload path.

  win        winplay.Win: an emulated Windows host with ConAktiv 1.0.0 running as a service; ``play()``, ``update()``,
             ``update_killed_at()`` run ansible-playbook against it
"""

from __future__ import annotations

import pathlib
import sys
import typing as t

import pytest

HERE = pathlib.Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from winplay import Win, emulated_windows  # noqa: E402  # pylint: disable=wrong-import-position


@pytest.fixture
def win(tmp_path: pathlib.Path) -> t.Iterator[Win]:
    # A short WinRM round trip here; the benchmark uses the emulator's default of about 1 s.
    with emulated_windows(tmp_path, latency=0.02) as host:
        yield host
    assert not host.emulator.violations, f"module calls that break the real modules' contracts: {host.emulator.violations}"
