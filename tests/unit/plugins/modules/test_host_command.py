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
import json
import subprocess
import sys
import time
import typing as t
from unittest import mock

import pytest
from ansible.executor import module_common
from jsonargs import build as build_module
from jsonargs import run_as_file as module_as_file
from jsonargs import send as send_module
from jsonargs import target_pythons

from ansible_collections.conaktiv.server.plugins.modules import host_command
from ansible_collections.conaktiv.server.plugins.plugin_utils._jsonargs import REWRITTEN_BY_ANSIBLE, rewritten_text
from ansible_collections.conaktiv.server.plugins.plugin_utils._posix_host import PosixHost
from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import ModuleFailed, Runner

MODULE = pathlib.Path(host_command.__file__)
STRANGE = ["a'''b", 'c"""d', "line\nbreak\r\n", "back\\slash\\", "ümlaut – €", "$HOME ~ `id` $(id) *", "", " ", "\t"]


def send(args: dict[str, t.Any]) -> dict[str, t.Any]:
    return send_module("host_command", args)


def run_as_file(args: dict[str, t.Any], tmp_path: pathlib.Path) -> dict[str, t.Any]:
    return module_as_file("host_command", args, tmp_path)


@pytest.mark.parametrize("name", ["host_command", "host_request"])
def test_the_markers_appear_once_each_where_they_belong(name: str):
    """ansible-core replaces every occurrence: one marker line (the style), one arguments string, nothing else."""
    text = (MODULE.parent / f"{name}.py").read_text(encoding="utf-8")
    assert text.count("<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>") == 1 and text.count('"<<INCLUDE_ANSIBLE_MODULE_COMPLEX_ARGS>>"') == 1
    assert all(text.count(marker) == 0 for marker in REWRITTEN_BY_ANSIBLE
               if marker not in ("<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>", "<<INCLUDE_ANSIBLE_MODULE_COMPLEX_ARGS>>"))
    assert "ansible.module_utils import" not in text and "from ansible.module_utils" not in text, "it would become AnsiballZ"


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


def test_without_stdin_the_command_reads_an_empty_stdin():
    assert send({"argv": ["readlink", "/proc/self/fd/0"]})["stdout"] == "/dev/null"


def test_a_background_process_holding_the_output_does_not_keep_the_call_waiting():
    """A start command that leaves the server running in the background with its stderr: the call returns once the command
    ended and the pipes were quiet for a second (AnsibleModule.run_command's rule), not when the server ends."""
    began = time.monotonic()
    result = send({"argv": ["sh", "-c", "sleep 30 >&2 & echo started"]})
    assert result["rc"] == 0 and result["stdout"] == "started"
    assert time.monotonic() - began < 15


def test_a_command_that_ends_without_reading_its_stdin_reports_its_own_failure():
    result = send({"argv": ["sh", "-c", "echo 'cannot create the folder' >&2; exit 5"], "stdin": "x" * 1_000_000})
    assert result["rc"] == 5 and result["stderr"] == "cannot create the folder", "not a broken pipe"


def test_an_unreadable_working_directory_is_left_as_ansible_module_does(tmp_path):
    gone = tmp_path / "gone"
    gone.mkdir()
    built = build_module("host_command", {"argv": ["sh", "-c", "pwd"]})
    done = subprocess.run(["sh", "-c", f'cd "{gone}" && rmdir "{gone}" && exec "$0"', sys.executable], input=built.b_module_data,
                          capture_output=True, check=False, timeout=60)
    result = json.loads(done.stdout)
    assert result["rc"] == 0 and result["stdout"] in (str(pathlib.Path.home()), "/tmp", "/"), result
    assert result["stderr"] == "", "no shell warning about the working directory"


def test_an_argument_that_cannot_be_passed_fails_the_call():
    result = send({"argv": ["echo", "a\x00b"]})
    assert result["failed"] is True and result["rc"] == 257 and "null byte" in result["msg"]


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


def test_an_argument_with_the_arguments_marker_and_a_quote_would_run_as_python_on_the_host(tmp_path):
    """The worst case the refusal prevents: the JSON written a second time into the bytes literal ends it."""
    witness = tmp_path / "ran"
    escape = f"<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>' + __import__('pathlib').Path({str(witness)!r}).write_text('x') * 0 + b'"
    built = build_module("host_command", {"argv": ["true", escape]})
    subprocess.run([sys.executable], input=built.b_module_data, capture_output=True, check=False, timeout=60)
    assert witness.exists(), "ansible-core's substitution is what it was when the refusal was written"
    assert rewritten_text({"argv": ["true", escape]}) == "<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>"


def test_the_check_looks_into_every_key_and_value():
    assert rewritten_text({"headers": {"X-syslog.LOG_USER": "v"}}) == "syslog.LOG_USER"
    assert rewritten_text({"body": {"items": [1, {"a": "<<SELINUX_SPECIAL_FILESYSTEMS>>"}]}}) == "<<SELINUX_SPECIAL_FILESYSTEMS>>"
    assert rewritten_text({"argv": ["ls", "/srv/<<INCLUDE_ANSIBLE_MODULE", "x"], "stdin": None, "n": 5}) is None


@pytest.mark.parametrize("marker", REWRITTEN_BY_ANSIBLE)
def test_posix_host_refuses_such_an_argument_before_any_call(marker: str):
    action = mock.Mock()
    action._task.check_mode = False  # pylint: disable=protected-access
    host = PosixHost(Runner(action, {"inventory_hostname": "crm"}))
    with pytest.raises(ModuleFailed, match="which ansible-core rewrites in the module it sends"):
        host.run(["ls", f"/srv/x{marker}y"])
    with pytest.raises(ModuleFailed, match="which ansible-core rewrites"):
        host._command({"argv": ["cat"], "stdin": f"manifest {marker}"})  # pylint: disable=protected-access
    with pytest.raises(ModuleFailed, match="which ansible-core rewrites") as raised:
        host.http("POST", "http://127.0.0.1:2049/api/message", {"X-ConAktiv-Token": "tok-77"}, {"text": f"bye {marker}"})
    assert "tok-77" not in str(raised.value) and "bye" not in str(raised.value), "the argument itself is not shown"
    action._execute_module.assert_not_called()  # pylint: disable=protected-access


@pytest.mark.parametrize("python", target_pythons())
def test_both_modules_run_on_every_python_a_host_may_have(python: str):
    """Nothing newer than the oldest target Python: the modules are not compiled on the controller."""
    assert send_module("host_command", {"argv": ["cat"], "stdin": "ü"}, python=python)["stdout"] == "ü"
    assert send_module("host_request", {"url": "http://127.0.0.1:1/"}, python=python)["status"] == -1
