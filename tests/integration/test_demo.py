"""The README's first command, `make demo` (scripts/demo.py after the setup): it must run green as shipped."""

from __future__ import annotations

import subprocess
import sys

from playbook import REPO


def test_the_demo_updates_the_simulated_server_and_shows_the_mail():
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "demo.py")], capture_output=True, text=True, timeout=600, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    assert "=== Demo succeeded" in output
    assert "Subject: ConAktiv-Update auf localhost: aktualisiert (1.0.0 -> 2.0.0)" in output and "Strukturaktualisierung" in output
