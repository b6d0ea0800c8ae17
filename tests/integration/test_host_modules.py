"""conaktiv.server.host_command (and host_request) through ansible-playbook: pipelined and through the remote temporary folder, with a
discovered interpreter, under check mode, failing; and that it writes nothing to the host's system log."""

from __future__ import annotations

import shutil
import socket

from hostlog import HostSyslog
from playbook import run_tasks

ECHO = ["sh", "-c", 'cat; for a in "$@"; do printf "|%s" "$a"; done', "name", "ä b", "'\"", "$HOME"]
EXPECTED = "in\n|ä b|'\"|$HOME"


def _echo(name: str, **task: object) -> dict[str, object]:
    return {"name": name, "conaktiv.server.host_command": {"argv": ECHO, "stdin": "in\n"}, "register": "echoed", **task}


def test_the_module_runs_pipelined_through_files_with_a_discovered_python_and_not_in_check_mode(tmp_path):
    marker = tmp_path / "ran"
    tasks = [
        _echo("pipelined", vars={"ansible_pipelining": True}),
        _echo("through files", vars={"ansible_pipelining": False}),
        {"name": "check mode", "conaktiv.server.host_command": {"argv": ["touch", str(marker)]}, "check_mode": True},
        {"name": "failing", "conaktiv.server.host_command": {"argv": ["sh", "-c", "echo why >&2; exit 4"]}, "ignore_errors": True},
    ]
    if shutil.which("python3", path="/usr/bin:/bin"):
        tasks.append(_echo("discovered", vars={"ansible_python_interpreter": "auto_silent", "ansible_pipelining": True}))
    run = run_tasks(tmp_path / "play", tasks, extra_args=["-e", f"ansible_remote_tmp={tmp_path / 'remote'}"])
    assert run.rc == 0, run.output
    for name in ("pipelined", "through files") + (("discovered",) if len(tasks) == 5 else ()):
        result = run.task(name)
        assert result["rc"] == 0 and result["stdout"] == EXPECTED and result["changed"] is True, (name, result)
    assert run.status("check mode") == "skipped" and not marker.exists()
    failing = run.task("failing")
    assert run.status("failing") == "failed" and failing["rc"] == 4 and failing["stderr"] == "why" and failing["msg"] == "non-zero return code"
    assert not list((tmp_path / "remote").glob("ansible-tmp-*")), "the temporary folder of the non-pipelined call was removed"


def test_they_write_nothing_to_the_system_log_where_ansible_builtin_command_does(tmp_path):
    with socket.socket() as closed:  # bound, not listening: refused, and no other test takes the port meanwhile
        closed.bind(("127.0.0.1", 0))
        tasks = [{"name": "builtin", "ansible.builtin.command": {"argv": ["echo", "LOGGED-7f3a"]}},
                 {"name": "ours", "conaktiv.server.host_command": {"argv": ["echo", "QUIET-7f3a"]}},
                 {"name": "request", "ignore_errors": True,
                  "conaktiv.server.host_request": {"url": f"http://127.0.0.1:{closed.getsockname()[1]}/", "headers": {"X-Token": "QUIET-TOKEN-7f3a"}}}]
        with HostSyslog(tmp_path / "syslog") as syslog:
            run = run_tasks(tmp_path / "play", tasks, wrapper=syslog.wrapper)
            assert run.rc == 0, run.output
            text = syslog.text()
    assert "LOGGED-7f3a" in text, "the capture works in this very run"
    assert "QUIET-7f3a" not in text and "QUIET-TOKEN" not in text, text
    assert run.task("ours")["stdout"] == "QUIET-7f3a"
    assert run.task("request")["msg"] == "[Errno 111] Connection refused"


def test_a_playbook_cannot_smuggle_python_through_a_text_ansible_core_rewrites(tmp_path):
    witness = tmp_path / "ran"
    escape = f"<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>' + __import__('pathlib').Path({str(witness)!r}).write_text('x') * 0 + b'"
    tasks = [{"name": "command", "conaktiv.server.host_command": {"argv": ["true", escape]}, "ignore_errors": True},
             {"name": "request", "conaktiv.server.host_request": {"url": "http://127.0.0.1:1/", "headers": {"X": escape}},
              "ignore_errors": True}]
    run = run_tasks(tmp_path / "play", tasks)
    assert run.rc == 0, run.output
    for name in ("command", "request"):
        assert run.status(name) == "failed" and "which ansible-core rewrites" in run.task(name)["msg"], run.task(name)
    assert not witness.exists()


def test_a_playbook_gets_the_modules_own_validation(tmp_path):
    tasks = [{"name": "unknown", "conaktiv.server.host_command": {"argv": ["true"], "chdir": "/"}, "ignore_errors": True},
             {"name": "method", "conaktiv.server.host_request": {"url": "http://127.0.0.1:1/", "method": "PATCH"}, "ignore_errors": True}]
    run = run_tasks(tmp_path / "play", tasks)
    assert run.rc == 0, run.output
    assert run.status("unknown") == "failed" and "chdir" in run.task("unknown")["msg"], run.task("unknown")
    assert run.status("method") == "failed" and "PATCH" in run.task("method")["msg"], run.task("method")
