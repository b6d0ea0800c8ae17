# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""conaktiv.server.host_command as ansible-core sends it (conftest.py: built by ansible-core's modify_module, module substyle
"jsonargs", and run by Python reading it from stdin, as a pipelined call does).

tests/integration/test_host_command.py runs it through ansible-playbook (pipelined and not, check mode, the system log).
"""

from __future__ import annotations

import ast
import inspect
import pathlib
import re
import sys
import typing as t
from unittest import mock

import pytest
from ansible.executor import module_common
from jsonargs import build as build_module
from jsonargs import run_as_file as module_as_file
from jsonargs import send as send_module

from ansible_collections.conaktiv.server.plugins.modules import host_command
from ansible_collections.conaktiv.server.plugins.plugin_utils._posix_host import REWRITTEN_BY_ANSIBLE, PosixHost
from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import ModuleFailed, Runner

MODULE = pathlib.Path(host_command.__file__)
STRANGE = ["a'''b", 'c"""d', "line\nbreak\r\n", "back\\slash\\", "ümlaut – €", "$HOME ~ `id` $(id) *", "", " ", "\t"]


def send(args: dict[str, t.Any]) -> dict[str, t.Any]:
    return send_module("host_command", args)


def run_as_file(args: dict[str, t.Any], tmp_path: pathlib.Path) -> dict[str, t.Any]:
    return module_as_file("host_command", args, tmp_path)


def test_it_is_sent_as_it_is_without_ansiballz():
    built = build_module("host_command", {"argv": ["true"]})
    assert built.module_style == "new", "a new-style module: pipelined when pipelining is on"
    assert built.shebang == f"#!{sys.executable}"
    text = built.b_module_data.decode()
    assert "ANSIBALLZ" not in text and "_ansiballz" not in text
    assert len(built.b_module_data) < 3 * len(MODULE.read_bytes()), "the file and its arguments, no bundled module utilities"


def test_it_runs_the_command_with_stdin_exactly():
    result = send({"argv": ["sh", "-c", "od -An -c; echo err >&2; exit 0"], "stdin": "a\nb"})
    assert result["rc"] == 0 and result["changed"] is True and result["msg"] == "" and "failed" not in result
    assert result["stdout"].split() == ["a", "\\n", "b"], "no newline added to stdin"
    assert result["stderr"] == "err", "the last line break is dropped, as ansible.builtin.command does"


def test_without_stdin_the_command_reads_nothing():
    assert send({"argv": ["sh", "-c", "wc -c"]})["stdout"].strip() == "0"


def test_arguments_arrive_unchanged():
    result = send({"argv": ["sh", "-c", 'for a in "$@"; do printf "%s|" "$a"; done', "name", *STRANGE]})
    assert result["stdout"] == "".join(f"{item}|" for item in STRANGE).rstrip("\r\n")


def test_bytes_that_are_not_utf8_travel_both_ways():
    out = send({"argv": ["sh", "-c", r"printf 'x\377y'"]})["stdout"]
    assert out == "x\udcffy", "an undecodable byte comes back as a lone surrogate"
    dumped = send({"argv": ["sh", "-c", 'printf "%s" "$1" | od -An -tx1', "name", out]})["stdout"]
    assert dumped.split() == ["78", "ff", "79"], "and goes out again as the same byte"


def test_a_failing_command_fails_the_call_with_its_exit_code_and_output():
    result = send({"argv": ["sh", "-c", "echo partial; echo 'cannot: no' >&2; exit 7"]})
    assert result["failed"] is True and result["rc"] == 7 and result["msg"] == "non-zero return code"
    assert result["stdout"] == "partial" and result["stderr"] == "cannot: no"


def test_a_missing_command_reports_the_error_number_as_ansible_builtin_command_does():
    result = send({"argv": ["/nonexistent/conaktiv-tool", "x"]})
    assert result["failed"] is True and result["rc"] == 2 and "No such file or directory" in result["msg"]


def test_check_mode_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    result = send({"argv": ["touch", str(marker)], "_ansible_check_mode": True})
    assert result["skipped"] is True and "does not support check mode" in result["msg"]
    assert not marker.exists()


@pytest.mark.parametrize(("args", "message"), [
    ({"argv": ["true"], "chdir": "/tmp"}, "Unsupported parameters for (conaktiv.server.host_command) module: chdir"),
    ({"argv": []}, "argv must be a non-empty list of strings"),
    ({"argv": "true"}, "argv must be a non-empty list of strings"),
    ({"argv": ["echo", 1]}, "argv must be a non-empty list of strings"),
    ({"argv": ["cat"], "stdin": 5}, "stdin must be a string"),
])
def test_wrong_arguments_are_refused(args: dict[str, t.Any], message: str):
    result = send(args)
    assert result["failed"] is True and result["msg"].startswith(message), result


def test_run_as_a_file_it_reads_its_arguments_through_ansible_module(tmp_path):
    """Not filled in by ansible-core (another runner, a developer): the same work through AnsibleModule."""
    result = run_as_file({"argv": ["sh", "-c", "cat; exit 3"], "stdin": "in"}, tmp_path)
    assert result["rc"] == 3 and result["stdout"] == "in" and result["failed"] is True and result["msg"] == "non-zero return code"
    assert "Unsupported parameters" in run_as_file({"argv": ["true"], "chdir": "/"}, tmp_path)["msg"]


# -- the texts ansible-core rewrites -----------------------------------------------------------------------


def _jsonargs_replacements() -> list[bytes]:
    """What ansible-core's module_common replaces in a JSON-arguments module, read from its source."""
    source = inspect.getsource(module_common)
    branch = source.split("elif module_substyle == 'jsonargs':", 1)[1].split("\n    else:", 1)[0]
    found = []
    for target in re.findall(r"b_module_data\.replace\(\s*(b'[^']*'|b\"[^\"]*\"|[A-Za-z_]+)", branch):
        found.append(getattr(module_common, target) if target.isidentifier() else ast.literal_eval(target))
    return found


def test_the_guard_knows_every_text_ansible_core_rewrites():
    replaced = _jsonargs_replacements()
    assert len(replaced) >= 5, replaced  # version, the arguments twice, SELinux, syslog facility: the parse found them
    for marker in replaced:
        assert marker.strip(b'"').decode() in REWRITTEN_BY_ANSIBLE, f"ansible-core rewrites {marker!r}; PosixHost does not refuse it"


def test_an_argument_with_such_a_text_would_be_rewritten_on_the_way():
    """Why PosixHost refuses them: the arguments are in the file ansible-core rewrites."""
    result = send({"argv": ["printf", "%s", "<<SELINUX_SPECIAL_FILESYSTEMS>>"]})
    assert result["stdout"] != "<<SELINUX_SPECIAL_FILESYSTEMS>>"


@pytest.mark.parametrize("marker", REWRITTEN_BY_ANSIBLE)
def test_posix_host_refuses_such_an_argument_before_any_call(marker: str):
    action = mock.Mock()
    action._task.check_mode = False  # pylint: disable=protected-access
    host = PosixHost(Runner(action, {"inventory_hostname": "crm"}))
    with pytest.raises(ModuleFailed, match="ansible-core would rewrite"):
        host.run(["ls", f"/srv/x{marker}y"])
    with pytest.raises(ModuleFailed, match="ansible-core would rewrite"):
        host._command({"argv": ["cat"], "stdin": f"manifest {marker}"})  # pylint: disable=protected-access
    action._execute_module.assert_not_called()  # pylint: disable=protected-access
