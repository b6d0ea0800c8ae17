# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's JSON-arguments modules as ansible-core sends them: built by ansible-core's own modify_module (the
arguments written into the file) and run by Python reading the file from stdin, as a pipelined call does."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import typing as t

from ansible.executor import module_common
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

MODULES = pathlib.Path(__file__).resolve().parents[4] / "plugins" / "modules"


def build(name: str, args: dict[str, t.Any]) -> module_common._BuiltModule:  # pylint: disable=protected-access
    """Module ``name`` of this collection with ``args`` as ansible-core builds it before sending it."""
    return module_common.modify_module(module_name=f"conaktiv.server.{name}", module_path=str(MODULES / f"{name}.py"), module_args=args,
                                       templar=Templar(loader=DataLoader()), task_vars={"ansible_python_interpreter": sys.executable})


def send(name: str, args: dict[str, t.Any], timeout: float = 60, python: str = sys.executable) -> dict[str, t.Any]:
    """Run the built module as a pipelined call does (the file on ``python``'s stdin) and return its JSON result."""
    done = subprocess.run([python], input=build(name, args).b_module_data, capture_output=True, check=False, timeout=timeout)
    assert done.stderr == b"", done.stderr.decode(errors="replace")
    return json.loads(done.stdout)


def run_as_file(name: str, args: dict[str, t.Any], tmp_path: pathlib.Path) -> dict[str, t.Any]:
    """Run the module file itself with an arguments file, as a runner other than ansible-core would (AnsibleModule reads it)."""
    args_file = tmp_path / f"{name}-args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}), encoding="utf-8")
    done = subprocess.run([sys.executable, str(MODULES / f"{name}.py"), str(args_file)], capture_output=True, text=True, check=False,
                          timeout=60)
    return json.loads(done.stdout)


def target_pythons() -> list[str]:
    """The Pythons of this machine a host may have, from 3.9 (the oldest ansible-core 2.21 runs modules on) to this one:
    on PATH (not pyenv's shims, which want a version chosen) or among pyenv's versions."""
    pyenv = pathlib.Path(os.environ.get("PYENV_ROOT") or pathlib.Path.home() / ".pyenv") / "versions"
    found = {}
    for minor in range(9, sys.version_info[1] + 1):
        candidates = [shutil.which(f"python3.{minor}") or "", *map(str, sorted(pyenv.glob(f"3.{minor}.*/bin/python3.{minor}")))]
        for path in candidates:
            if path and "shims" not in pathlib.Path(path).parts and \
                    subprocess.run([path, "-c", ""], capture_output=True, check=False, timeout=30).returncode == 0:
                found[f"3.{minor}"] = path
                break
    return list(found.values())
