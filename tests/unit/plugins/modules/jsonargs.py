# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's JSON-arguments modules as ansible-core sends them: built by ansible-core's own modify_module (the
arguments written into the file) and run by Python reading the file from stdin, as a pipelined call does."""

from __future__ import annotations

import json
import pathlib
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


def send(name: str, args: dict[str, t.Any], timeout: float = 60) -> dict[str, t.Any]:
    """Run the built module as a pipelined call does (the file on Python's stdin) and return its JSON result."""
    done = subprocess.run([sys.executable], input=build(name, args).b_module_data, capture_output=True, check=False, timeout=timeout)
    assert done.stderr == b"", done.stderr.decode(errors="replace")
    return json.loads(done.stdout)


def run_as_file(name: str, args: dict[str, t.Any], tmp_path: pathlib.Path) -> dict[str, t.Any]:
    """Run the module file itself with an arguments file, as a runner other than ansible-core would (AnsibleModule reads it)."""
    args_file = tmp_path / f"{name}-args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}), encoding="utf-8")
    done = subprocess.run([sys.executable, str(MODULES / f"{name}.py"), str(args_file)], capture_output=True, text=True, check=False,
                          timeout=60)
    return json.loads(done.stdout)
