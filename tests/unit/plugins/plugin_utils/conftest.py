# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for the plugin_utils tests.

Fixtures:
  run_action   callable(source, items, modules=None) -> list of results: runs the action plugin ``source`` once per
               item of ``items`` (its task arguments) in a real ``ansible-playbook`` against localhost, so module
               results have the exact shapes the installed ansible-core gives an action plugin. ``modules`` maps
               extra module names to their source (found through ANSIBLE_LIBRARY).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def run_action(tmp_path: Path) -> t.Callable[..., list[dict[str, t.Any]]]:
    """Run an action plugin under ansible-playbook (see the module docstring)."""

    def run(source: str, items: list[dict[str, t.Any]], modules: dict[str, str] | None = None) -> list[dict[str, t.Any]]:
        work = tmp_path / "ansible-run"
        for folder in ("action_plugins", "library", "tmp"):
            (work / folder).mkdir(parents=True, exist_ok=True)
        (work / "action_plugins" / "under_test.py").write_text(source)
        for name, text in (modules or {}).items():
            (work / "library" / f"{name}.py").write_text(text)
        results = work / "results.json"
        play = [{"hosts": "localhost", "gather_facts": False, "tasks": [
            {"under_test": "{{ item }}", "loop": items, "register": "outcome"},
            {"ansible.builtin.copy": {"content": "{{ outcome.results | to_json }}", "dest": str(results)}},
        ]}]
        (work / "play.yml").write_text(json.dumps(play))
        env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(REPO_ROOT / ".collections"), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
               "ANSIBLE_LIBRARY": str(work / "library"), "ANSIBLE_ACTION_PLUGINS": str(work / "action_plugins"),
               "ANSIBLE_LOCAL_TEMP": str(work / "tmp"), "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_NOCOLOR": "1"}
        done = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", "localhost,", "-c", "local", str(work / "play.yml")],
                              env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(results.read_text())

    return run
