# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the POSIX adapter: each host operation's module call, result mapping, and a contract test.

The contract test validates every module call the adapter makes against the *real* argument spec of
the module it calls. The spec is taken from the installed module itself: the module is imported, its
``AnsibleModule`` name is replaced by a recorder that keeps the keyword arguments and aborts, and its
``main()`` is called. That yields exactly what the module validates against at run time (types,
choices, elements, ``mutually_exclusive``, ``required_one_of``, ``required_by``, file common arguments),
including options added by helper functions (``url_argument_spec`` for ``uri``), which parsing
DOCUMENTATION would only approximate. The arguments are then checked with
``ModuleArgumentSpecValidator``, the validator ``AnsibleModule`` itself uses. A negative control makes
sure the check can fail.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import functools
import importlib
import typing as t
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible.module_utils.basic import FILE_COMMON_ARGUMENTS
from ansible.module_utils.common.arg_spec import ModuleArgumentSpecValidator

from ansible_collections.conaktiv.server.plugins.plugin_utils._host import CommandResult, HttpResponse, PathStat
from ansible_collections.conaktiv.server.plugins.plugin_utils._posix_host import READ_SCRIPT, PosixHost
from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import CheckModeViolation, ModuleFailed, Runner

Handler = t.Callable[[dict[str, t.Any]], dict[str, t.Any]]


class FakeAction:
    """What the Runner needs of an action plugin; modules and action plugins answer from ``handlers``."""

    def __init__(self, handlers: dict[str, Handler | dict[str, t.Any]], check_mode: bool = False) -> None:
        self._task = mock.MagicMock(name="task")
        self._task.check_mode = check_mode
        self._connection = self._play_context = self._loader = self._templar = mock.MagicMock()
        self._shared_loader_obj = mock.MagicMock(name="shared_loader_obj")
        self._shared_loader_obj.action_loader.get.side_effect = self._action_plugin
        self.handlers = handlers
        # (kind, name, args, check mode seen)
        self.calls: list[tuple[str, str, dict[str, t.Any], bool]] = []

    def _answer(self, name: str, args: dict[str, t.Any]) -> dict[str, t.Any]:
        handler = self.handlers.get(name, {})
        return handler(args) if callable(handler) else copy.deepcopy(handler)

    def _execute_module(self, module_name: str, module_args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        self.calls.append(("module", module_name, copy.deepcopy(module_args), bool(self._task.check_mode)))
        return self._answer(module_name, module_args)

    def _action_plugin(self, name: str, task: t.Any, **_: t.Any) -> t.Any:
        plugin = mock.MagicMock(name=name)

        def run(task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
            self.calls.append(("action", name, copy.deepcopy(task.args), bool(self._task.check_mode)))
            return self._answer(name, task.args)

        plugin.run.side_effect = run
        return plugin

    def module_calls(self) -> list[tuple[str, dict[str, t.Any]]]:
        """(name, args) of every module and action plugin run."""
        return [(name, args) for _kind, name, args, _check in self.calls]


def posix_host(handlers: dict[str, Handler | dict[str, t.Any]] | None = None, check_mode: bool = False) -> tuple[PosixHost, FakeAction]:
    action = FakeAction(handlers or {}, check_mode)
    return PosixHost(Runner(action, {"inventory_hostname": "srv1"})), action


def command_result(rc: int = 0, stdout: str = "", stderr: str = "") -> Handler:
    return lambda args: {"rc": rc, "stdout": stdout, "stderr": stderr, "failed": rc != 0, "changed": True}


DF_K = "Filesystem     1024-blocks    Used Available Capacity Mounted on\n/dev/sda1         10000000 6000000   3000000      67% /srv\n"
DF = "Filesystem     512-blocks    Used Available Capacity Mounted on\n/dev/sda1      20000000 12000000   6000000      67% /srv\n"
STAT_ARGS = {"follow": False, "get_mime": False, "get_attributes": False}


@dataclasses.dataclass(frozen=True)
class Case:
    """One host operation: how to call it, what the fake modules answer, what must be called and returned."""

    id: str
    call: t.Callable[[PosixHost], t.Any]
    handlers: dict[str, t.Any]
    calls: list[tuple[str, dict[str, t.Any]]]
    returns: t.Any
    probe: bool


CASES = [
    Case("stat-dir", lambda h: h.stat("/srv/ConAktiv Server"),
         {"ansible.builtin.stat": {"stat": {"exists": True, "isdir": True, "size": 4096, "mode": "0755"}}},
         [("ansible.builtin.stat", {"path": "/srv/ConAktiv Server", **STAT_ARGS, "get_checksum": False})],
         PathStat(exists=True, is_dir=True, size=4096, checksum=None, mode="0755"), True),
    Case("stat-checksum", lambda h: h.stat("/srv/pkg.zip", checksum_algorithm="sha256"),
         {"ansible.builtin.stat": {"stat": {"exists": True, "isdir": False, "size": 12, "checksum": "ab12", "mode": "0644"}}},
         [("ansible.builtin.stat", {"path": "/srv/pkg.zip", **STAT_ARGS, "get_checksum": True, "checksum_algorithm": "sha256"})],
         PathStat(exists=True, is_dir=False, size=12, checksum="ab12", mode="0644"), True),
    Case("stat-missing", lambda h: h.stat("/srv/none"), {"ansible.builtin.stat": {"stat": {"exists": False}}},
         [("ansible.builtin.stat", {"path": "/srv/none", **STAT_ARGS, "get_checksum": False})], PathStat(exists=False), True),
    Case("list_existing_dirs", lambda h: h.list_existing_dirs(["/srv/a", "/srv/b c"]),
         {"ansible.builtin.find": {"files": [{"path": "/srv/a/x"}, {"path": "/srv/a/.hidden"}, {"path": "/srv/b c/y z"}], "matched": 3}},
         [("ansible.builtin.find", {"paths": ["/srv/a", "/srv/b c"], "file_type": "any", "hidden": True, "recurse": False})],
         {"/srv/a": [".hidden", "x"], "/srv/b c": ["y z"]}, True),
    Case("make_dir", lambda h: h.make_dir("/srv/Temp_Updateordner"), {"ansible.builtin.file": {"changed": True}},
         [("ansible.builtin.file", {"path": "/srv/Temp_Updateordner", "state": "directory"})], True, False),
    Case("remove", lambda h: h.remove("/srv/old"), {"ansible.builtin.file": {"changed": False}},
         [("ansible.builtin.file", {"path": "/srv/old", "state": "absent"})], False, False),
    Case("rename", lambda h: h.rename("/srv/-a", "/srv/b"), {"conaktiv.server.host_command": command_result()},
         [("conaktiv.server.host_command", {"argv": ["mv", "--", "/srv/-a", "/srv/b"]})], None, False),
    Case("read_text", lambda h: h.read_text("/srv/version.txt"),
         {"conaktiv.server.host_command": command_result(stdout=base64.encodebytes("2.0.0 – ü\n".encode()).decode().rstrip("\n"))},
         [("conaktiv.server.host_command", {"argv": ["sh", "-c", READ_SCRIPT, "conaktiv-read", "/srv/version.txt"]})], "2.0.0 – ü\n", True),
    Case("read_text-missing", lambda h: h.read_text("/srv/none"), {"conaktiv.server.host_command": command_result(3)},
         [("conaktiv.server.host_command", {"argv": ["sh", "-c", READ_SCRIPT, "conaktiv-read", "/srv/none"]})], None, True),
    Case("write_text", lambda h: h.write_text("/srv/t/stage.json", "{}\n"), {"ansible.builtin.copy": {"changed": True}},
         [("ansible.builtin.copy", {"content": "{}\n", "dest": "/srv/t/stage.json"})], None, False),
    Case("append_line", lambda h: h.append_line("/srv/h.jsonl", '{"a": 1}'), {"ansible.builtin.lineinfile": {"changed": True}},
         [("ansible.builtin.lineinfile", {"path": "/srv/h.jsonl", "line": '{"a": 1}', "insertafter": "EOF", "create": True})], True, False),
    Case("remove_many", lambda h: h.remove_many(["/srv/n/Prefs", "/srv/n/cert.pem"]), {"conaktiv.server.host_command": command_result()},
         [("conaktiv.server.host_command", {"argv": ["rm", "-rf", "--", "/srv/n/Prefs", "/srv/n/cert.pem"]})], None, False),
    Case("same_volume", lambda h: h.same_volume("/srv/S", "/srv/T"), {"conaktiv.server.host_command": command_result(stdout=DF + DF.splitlines()[1])},
         [("conaktiv.server.host_command", {"argv": ["df", "-P", "--", "/srv/S", "/srv/T"]})], True, True),
    Case("free_bytes", lambda h: h.free_bytes("/srv"), {"conaktiv.server.host_command": command_result(stdout=DF_K)},
         [("conaktiv.server.host_command", {"argv": ["df", "-Pk", "--", "/srv"]})], 3000000 * 1024, True),
    Case("volume_id", lambda h: h.volume_id("/srv/x"), {"conaktiv.server.host_command": command_result(stdout=DF)},
         [("conaktiv.server.host_command", {"argv": ["df", "-P", "--", "/srv/x"]})], "/srv", True),
    Case("put_file", lambda h: h.put_file("/tmp/pkg.zip", "/srv/t/pkg.zip"), {"ansible.builtin.copy": {"changed": True}},
         [("ansible.builtin.copy", {"src": "/tmp/pkg.zip", "dest": "/srv/t/pkg.zip"})], None, False),
    Case("unpack", lambda h: h.unpack("/srv/t/pkg.zip", "/srv/t/.unpack"), {"ansible.builtin.unarchive": {"changed": True}},
         [("ansible.builtin.unarchive", {"src": "/srv/t/pkg.zip", "dest": "/srv/t/.unpack", "remote_src": True})], None, False),
    Case("make_zip", lambda h: h.make_zip(["/data", "/srv/S/Server Database"], "/b/x.zip"), {"community.general.archive": {"changed": True}},
         [("community.general.archive", {"path": ["/data", "/srv/S/Server Database"], "dest": "/b/x.zip", "format": "zip",
                                         "force_archive": True, "mode": "0600"})], None, False),
    Case("run", lambda h: h.run(["/opt/ctl", "status"]), {"conaktiv.server.host_command": command_result(3, "stopped", "")},
         [("conaktiv.server.host_command", {"argv": ["/opt/ctl", "status"]})], CommandResult(rc=3, stdout="stopped", stderr=""), False),
    Case("run-probe", lambda h: h.run(["/opt/ctl", "status"], probe=True), {"conaktiv.server.host_command": command_result(0, "up")},
         [("conaktiv.server.host_command", {"argv": ["/opt/ctl", "status"]})], CommandResult(rc=0, stdout="up", stderr=""), True),
    Case("service_state", lambda h: h.service_state("conaktiv"),
         {"ansible.builtin.systemd_service": {"status": {"LoadState": "loaded", "ActiveState": "active"}}},
         [("ansible.builtin.systemd_service", {"name": "conaktiv"})], "running", True),
    Case("set_service", lambda h: h.set_service("conaktiv", "stopped"), {"ansible.builtin.systemd_service": {"changed": True}},
         [("ansible.builtin.systemd_service", {"name": "conaktiv", "state": "stopped"})], None, False),
    Case("wait_for_port", lambda h: h.wait_for_port(2048, "drained", 5), {"ansible.builtin.wait_for": {"elapsed": 0}},
         [("ansible.builtin.wait_for", {"host": "127.0.0.1", "port": 2048, "state": "drained", "timeout": 5, "sleep": 1})], True, True),
    Case("wait_for_absent", lambda h: h.wait_for_absent("/run/conaktiv.pid", 30),
         {"ansible.builtin.wait_for": {"failed": True, "msg": "Timeout when waiting for /run/conaktiv.pid to be absent."}},
         [("ansible.builtin.wait_for", {"path": "/run/conaktiv.pid", "state": "absent", "timeout": 30, "sleep": 1})], False, True),
    Case("http-get", lambda h: h.http("GET", "http://127.0.0.1:2049/api/status", {"X-ConAktiv-Token": "tok"}, timeout=7),
         {"conaktiv.server.host_request": {"status": 200, "json": {"state": "ready"}}},
         [("conaktiv.server.host_request", {"url": "http://127.0.0.1:2049/api/status", "method": "GET", "headers": {"X-ConAktiv-Token": "tok"},
                                            "timeout": 7})],
         HttpResponse(status=200, json={"state": "ready"}), True),
    Case("http-post", lambda h: h.http("POST", "http://127.0.0.1:2049/api/message", {}, {"text": "bye"}),
         {"conaktiv.server.host_request": {"status": 200, "content": '{"delivered_to": ["anna"]}'}},
         [("conaktiv.server.host_request", {"url": "http://127.0.0.1:2049/api/message", "method": "POST", "headers": {}, "timeout": 30,
                                            "body": {"text": "bye"}})],
         HttpResponse(status=200, json={"delivered_to": ["anna"]}), False),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_operation_calls_the_expected_module(case: Case):
    host, action = posix_host(case.handlers)
    assert case.call(host) == case.returns
    assert action.module_calls() == case.calls
    assert host.runner.calls == [name for name, _args in case.calls]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_only_read_only_operations_run_under_check_mode(case: Case):
    host, action = posix_host(case.handlers, check_mode=True)
    if case.probe:
        assert case.call(host) == case.returns
        assert [check for _kind, _name, _args, check in action.calls] == [False] * len(case.calls)
    else:
        with pytest.raises(CheckModeViolation):
            case.call(host)
        assert action.calls == []


# -- the contract with the real modules -----------------------------------------------------------


class _Captured(Exception):
    """Raised by the recording AnsibleModule to stop the module right after it declared its spec."""


def _python_module(fqcn: str) -> str:
    namespace, collection, name = fqcn.split(".")
    if (namespace, collection) == ("ansible", "builtin"):
        return f"ansible.modules.{name}"
    return f"ansible_collections.{namespace}.{collection}.plugins.modules.{name}"


@functools.cache
def real_module_kwargs(fqcn: str) -> dict[str, t.Any]:
    """The keyword arguments the installed module ``fqcn`` passes to AnsibleModule."""
    module = importlib.import_module(_python_module(fqcn))
    captured: dict[str, t.Any] = {}

    def recorder(*args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        assert not args, f"{fqcn} passes positional arguments to AnsibleModule"
        captured.update(kwargs)
        raise _Captured()

    # Where the module looks it up: its own name (the ansible.builtin modules import it), or the module utility itself
    # (conaktiv.server.host_command imports that only by name, when ansible-core did not fill in its arguments).
    with mock.patch.object(module, "AnsibleModule", recorder) if hasattr(module, "AnsibleModule") else mock.patch.object(basic, "AnsibleModule", recorder):
        with pytest.raises(_Captured):
            module.main()
    return captured


def real_validation_errors(fqcn: str, args: dict[str, t.Any]) -> list[str]:
    """What the real module would say about ``args`` (empty when it accepts them)."""
    kwargs = real_module_kwargs(fqcn)
    spec = dict(kwargs["argument_spec"])
    if kwargs.get("add_file_common_args"):
        for name, option in FILE_COMMON_ARGUMENTS.items():
            spec.setdefault(name, option)
    unknown = sorted(set(args) - set(spec))
    validator = ModuleArgumentSpecValidator(spec, kwargs.get("mutually_exclusive"), kwargs.get("required_together"),
                                            kwargs.get("required_one_of"), kwargs.get("required_if"), kwargs.get("required_by"))
    errors = list(validator.validate(copy.deepcopy(args)).error_messages)
    # Aliases are valid today but get deprecated; the adapter uses the canonical names only.
    return errors + [f"{name} is an alias or unknown" for name in unknown]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_call_validates_against_the_real_module_spec(case: Case):
    host, action = posix_host(case.handlers)
    case.call(host)
    assert action.calls, "the operation made no module call"
    for _kind, name, args, _check in action.calls:
        assert real_validation_errors(name, args) == [], f"{name} {args}"


@pytest.mark.parametrize(("fqcn", "args", "error"), [
    ("ansible.builtin.stat", {"path": "/x", "get_checksums": True}, "get_checksums"),
    ("ansible.builtin.file", {"path": "/x", "state": "folder"}, "value of state must be one of"),
    ("ansible.builtin.wait_for", {"port": "http"}, "port"),
    ("ansible.builtin.find", {"paths": ["/x"], "file_type": "dir"}, "file_type"),
    ("ansible.builtin.uri", {"url": "http://x", "body": "a", "src": "/f"}, "mutually exclusive"),
    ("community.general.archive", {"path": ["/x"], "format": "7z"}, "format"),
    ("ansible.builtin.slurp", {"path": "/x", "source": "/y"}, "source is an alias or unknown"),
])
def test_the_contract_check_catches_wrong_arguments(fqcn: str, args: dict[str, t.Any], error: str):
    assert any(error in message for message in real_validation_errors(fqcn, args))


def test_the_captured_specs_are_the_real_ones():
    assert real_module_kwargs("ansible.builtin.stat")["argument_spec"]["checksum_algorithm"]["choices"][:1] == ["md5"]
    assert real_module_kwargs("community.general.archive")["add_file_common_args"] is True
    assert "url_username" in real_module_kwargs("ansible.builtin.uri")["argument_spec"]


# -- result mapping details -----------------------------------------------------------------------


def test_read_text_raises_on_other_failures():
    host, _action = posix_host({"conaktiv.server.host_command": command_result(1, "", "sh: 3: cannot open /srv/secret: Permission denied\n")})
    with pytest.raises(ModuleFailed, match="reading /srv/secret failed: sh: 3: cannot open /srv/secret: Permission denied"):
        host.read_text("/srv/secret")


@pytest.mark.parametrize(("operation", "what"), [
    (lambda h: h.rename("/a", "/b"), "renaming /a to /b failed: cannot stat '/a'"),
    (lambda h: h.remove_many(["/a"]), "removing /a failed: cannot stat '/a'"),
])
def test_checked_commands_fail_with_what_and_stderr(operation: t.Callable[[PosixHost], t.Any], what: str):
    host, _action = posix_host({"conaktiv.server.host_command": command_result(1, "", "cannot stat '/a': No such file or directory\n")})
    with pytest.raises(ModuleFailed, match=what):
        operation(host)


def test_remove_many_of_nothing_makes_no_call():
    host, action = posix_host({})
    host.remove_many([])
    assert action.calls == []


def test_clients_are_counted_on_every_address_and_time_wait_is_no_client():
    host, action = posix_host({"ansible.builtin.wait_for": {"changed": False, "elapsed": 0}})
    assert host.clients_connected(2048) is False
    hosts = [call[2]["host"] for call in action.calls]
    # 127.0.0.1 would see only loopback clients: 0.0.0.0 matches every IPv4 (and mapped) address, :: every IPv6 one.
    assert hosts == ["0.0.0.0", "::"]
    assert all(call[2]["active_connection_states"] == ["ESTABLISHED", "SYN_RECV"] and call[2]["state"] == "drained" for call in action.calls)


def test_a_client_on_the_first_address_family_ends_the_count():
    host, action = posix_host({"ansible.builtin.wait_for": {"failed": True, "msg": "Timeout when waiting for 0.0.0.0:2048 to drain"}})
    assert host.clients_connected(2048) is True and len(action.calls) == 1


def test_a_drain_count_that_cannot_run_is_an_error_not_a_user():
    host, _action = posix_host({"ansible.builtin.wait_for": {"failed": True, "msg": "Failed to import the required Python library (psutil)"}})
    with pytest.raises(ModuleFailed, match="counting the clients connected to port 2048 failed: .*psutil.*set control"):
        host.clients_connected(2048)


@pytest.mark.parametrize(("stdout", "same"), [
    ("Filesystem 512-blocks Used Available Capacity Mounted on\n/dev/a 1 1 1 1% /srv\n/dev/b 1 1 1 1% /srv/ConAktiv Server\n", False),
    ("Filesystem 512-blocks Used Available Capacity Mounted on\n/dev/a 1 1 1 1% /srv\n", False),
])
def test_same_volume_needs_two_equal_mount_points(stdout: str, same: bool):
    host, _action = posix_host({"conaktiv.server.host_command": command_result(stdout=stdout)})
    assert host.same_volume("/srv/T", "/srv/ConAktiv Server") is same


def test_mount_points_with_spaces_are_told_apart():
    stdout = "Filesystem 512-blocks Used Available Capacity Mounted on\n/dev/a 1 1 1 1% /mnt/new data\n/dev/b 1 1 1 1% /mnt/old data\n"
    host, _action = posix_host({"conaktiv.server.host_command": command_result(stdout=stdout)})
    assert host.same_volume("/mnt/new data/T", "/mnt/old data/S") is False
    host, _action = posix_host({"conaktiv.server.host_command": command_result(stdout=stdout.rsplit("\n", 2)[0] + "\n")})
    assert host.volume_id("/mnt/new data/T") == "/mnt/new data"


def test_free_bytes_refuses_unexpected_df_output():
    host, _action = posix_host({"conaktiv.server.host_command": command_result(0, "df: weird\n")})
    with pytest.raises(ModuleFailed, match="unexpected df output"):
        host.free_bytes("/srv")


def test_run_without_rc_is_a_module_failure():
    host, _action = posix_host({"conaktiv.server.host_command": {"failed": True, "msg": "[Errno 2] No such file or directory: b'/opt/nope'"}})
    with pytest.raises(ModuleFailed, match="No such file"):
        host.run(["/opt/nope"])


@pytest.mark.parametrize(("answer", "state"), [
    ({"status": {"LoadState": "loaded", "ActiveState": "active"}}, "running"),
    ({"status": {"LoadState": "loaded", "ActiveState": "inactive"}}, "stopped"),
    ({"status": {"LoadState": "loaded", "ActiveState": "failed"}}, "stopped"),
    ({"status": {"LoadState": "not-found", "ActiveState": "inactive"}}, None),
    ({"failed": True, "msg": "Could not find the requested service conaktiv"}, None),
])
def test_service_state_mapping(answer: dict[str, t.Any], state: str | None):
    host, _action = posix_host({"ansible.builtin.systemd_service": answer})
    assert host.service_state("conaktiv") == state


@pytest.mark.parametrize(("active_state", "state"), [("deactivating", "stopping"), ("activating", "starting"), ("reloading", "running")])
def test_service_in_transition_is_not_reported_stopped(active_state: str, state: str):
    host, _action = posix_host({"ansible.builtin.systemd_service": {"status": {"LoadState": "loaded", "ActiveState": active_state}}})
    assert host.service_state("conaktiv") == state


@pytest.mark.parametrize(("answer", "expected"), [
    ({"status": -1, "failed": True, "msg": "[Errno 111] Connection refused"}, HttpResponse(status=0, json=None, error="Connection refused")),
    ({"status": -1, "failed": True, "msg": "timed out"}, HttpResponse(status=0, json=None, error="timed out")),
    ({"status": 500, "content": "<html>oops</html>"}, HttpResponse(status=500, json=None)),
    ({"status": 401, "json": {"error": "bad token"}}, HttpResponse(status=401, json={"error": "bad token"})),
])
def test_http_result_mapping(answer: dict[str, t.Any], expected: HttpResponse):
    host, _action = posix_host({"conaktiv.server.host_request": answer})
    assert host.http("GET", "http://127.0.0.1:2049/api/status", {}) == expected


# -- list_dirs batching ---------------------------------------------------------------------------


class FindOnATree:
    """``ansible.builtin.find`` over a small tree; records what was asked and complains about missing paths."""

    def __init__(self, tree: dict[str, list[str]]) -> None:
        self.tree = tree
        self.asked: list[list[str]] = []
        self.missing: list[str] = []

    def __call__(self, args: dict[str, t.Any]) -> dict[str, t.Any]:
        self.asked.append(list(args["paths"]))
        files = []
        for path in args["paths"]:
            if path not in self.tree:
                self.missing.append(path)
                continue
            files.extend({"path": f"{path}/{name}"} for name in self.tree[path])
        return {"files": files, "matched": len(files), "skipped_paths": {path: "does not exist" for path in self.missing}}


def test_list_dirs_lists_a_child_only_when_its_parent_shows_it():
    find = FindOnATree({"/srv": ["ConAktiv Server", "other"], "/srv/ConAktiv Server": ["Server Database", "version.txt"]})
    host, _action = posix_host({"ansible.builtin.find": find})
    listing = host.list_dirs(["/srv", "/srv/Temp_Updateordner", "/srv/Temp_Updateordner/ConAktiv Server", "/srv/ConAktiv Server"])
    assert listing == {"/srv": ["ConAktiv Server", "other"], "/srv/Temp_Updateordner": [], "/srv/Temp_Updateordner/ConAktiv Server": [],
                       "/srv/ConAktiv Server": ["Server Database", "version.txt"]}
    assert find.missing == []
    assert find.asked == [["/srv"], ["/srv/ConAktiv Server"]]


def test_list_dirs_needs_one_round_trip_per_nesting_level():
    find = FindOnATree({"/a": ["b"], "/a/b": ["c"], "/a/b/c": ["d"], "/x": []})
    host, _action = posix_host({"ansible.builtin.find": find})
    listing = host.list_dirs(["/a/b/c", "/a", "/a/b", "/x"])
    assert listing == {"/a/b/c": ["d"], "/a": ["b"], "/a/b": ["c"], "/x": []}
    assert find.asked == [["/a", "/x"], ["/a/b"], ["/a/b/c"]]
    assert find.missing == []


def test_list_dirs_of_nothing_makes_no_call():
    host, action = posix_host({})
    assert host.list_dirs([]) == {}
    assert action.calls == []


def test_list_dir_of_one_folder():
    find = FindOnATree({"/srv": ["a"]})
    host, _action = posix_host({"ansible.builtin.find": find})
    assert host.list_dir("/srv") == ["a"]


def test_requests_carrying_the_token_are_not_logged_on_the_host():
    """A call carrying the token runs with the task's no_log (ActionBase._execute_module passes it on as _ansible_no_log, and the
    Runner pipelines such a call): the task is no_log while such a call runs, and only then."""
    seen: list[bool] = []
    host, action = posix_host({"conaktiv.server.host_request": lambda args: seen.append(bool(action._task.no_log)) or {"status": 200, "json": {}},
                               "ansible.builtin.stat": lambda args: seen.append(bool(action._task.no_log)) or {"stat": {"exists": False}}})
    action._task.no_log = False
    host.http("GET", "http://127.0.0.1:2049/api/status", {"X-ConAktiv-Token": "tok"})
    host.http("GET", "http://127.0.0.1:2049/api/status", {})
    host.http("GET", "http://admin:pw@127.0.0.1:2049/api/status", {})  # a password in the URL is a secret too
    host.stat("/srv")
    assert seen == [True, False, True, False] and action._task.no_log is False
