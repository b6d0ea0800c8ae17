"""The fault harness's own helpers (the rows themselves are tests/faults/test_faults.py)."""

from __future__ import annotations

import subprocess
import sys
import time

from harness import _is_module_process, kill_controller, wait_gone


def test_a_pipelined_module_call_counts_wherever_the_checkout_is():
    assert _is_module_process("/srv/checkout/.venv/bin/python\0")
    assert _is_module_process("/usr/bin/python3.11\0")
    assert _is_module_process("/usr/bin/python3\0/root/.ansible/tmp/ansible-tmp-1-2-3/AnsiballZ_command.py\0")
    assert not _is_module_process("sh\0-c\0sleep 3\0conaktiv-cutover\0")
    assert not _is_module_process("/srv/checkout/.venv/bin/python\0-m\0conaktiv_sim.server\0")
    assert not _is_module_process("")


def test_the_module_call_a_killed_controller_leaves_is_waited_for(tmp_path):
    """A controller (here a Python parent) killed while its pipelined call runs: the call's process is found and waited for."""
    marker = tmp_path / "done"
    parent = subprocess.Popen([sys.executable, "-c", f"""
import subprocess, sys
call = subprocess.Popen([sys.executable], stdin=subprocess.PIPE)
call.communicate(b"import time, pathlib; time.sleep(1.5); pathlib.Path({str(marker)!r}).write_text('x')")
"""])
    time.sleep(0.5)
    left = kill_controller(parent)
    parent.wait(10)
    assert left, "the call in flight was not found"
    wait_gone(left, timeout=30)
    assert marker.exists(), "wait_gone returned before the call ended"
