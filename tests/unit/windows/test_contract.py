# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract: every module call WindowsHost makes fits the real argument spec of the installed module.

The specs come from the installed collections themselves (documentation with fragments, and the
PowerShell implementation); the validator is shown to reject what the real modules reject.
"""

from __future__ import annotations

import pathlib
import re

import pytest
import wincontract
from wincontract import ContractViolation

from ansible_collections.conaktiv.server.plugins.plugin_utils import _windows_host as winhost
from ansible_collections.conaktiv.server.plugins.plugin_utils._cutover import CutoverPlan, journal_tails
from ansible_collections.conaktiv.server.plugins.plugin_utils._service import ServiceError

# Every module the adapter calls, by the host method that calls it (win_copy through its action plugin).
MODULES_BY_METHOD = {
    "stat": "ansible.windows.win_stat",
    "list_existing_dirs": "ansible.windows.win_find",
    "make_dir / remove": "ansible.windows.win_file",
    "rename / free_bytes / volume_id / make_zip / claim / cutover / read_tail / clients_connected / set_service (error text) / "
    "readers_of_new_files":
        "ansible.windows.win_powershell",
    "read_text": "ansible.windows.slurp",
    "write_text / put_file": "ansible.windows.win_copy",
    "append_line / put_line": "community.windows.win_lineinfile",
    "unpack": "community.windows.win_unzip",
    "run / set_service (sc.exe)": "ansible.windows.win_command",
    "service_state / set_service": "ansible.windows.win_service_info",
    "set_service (process gone)": "community.windows.win_wait_for_process",
    "wait_for_port / wait_for_absent": "ansible.windows.win_wait_for",
    "http": "ansible.windows.win_uri",
    "message_console": "community.windows.win_msg",
}
USED = sorted(set(MODULES_BY_METHOD.values()))
# The documented types the implementation spells differently. An option documented without a type is a str (win_lineinfile's regex).
SAME_TYPE = {("path", "path"), ("str", "str"), ("int", "int"), ("bool", "bool"), ("list", "list"), ("dict", "dict"), ("raw", "raw"),
             ("str", None), ("path", None), (None, "str")}


def tour(world, site, package_path) -> list[str]:
    """Call every WindowsHost method once (most of them successfully) and return the modules used."""
    host = world.host()
    server, temp = site.server, "D:\\ConAktiv\\Temp_Updateordner"
    host.stat(f"{server}\\version.txt", "sha256")
    host.list_dirs(["D:\\ConAktiv", temp])
    host.make_dir(temp)
    host.put_file(str(package_path), f"{temp}\\package.zip")
    host.unpack(f"{temp}\\package.zip", f"{temp}\\.unpack")
    host.rename(f"{temp}\\.unpack\\ConAktiv Server", f"{temp}\\ConAktiv Server")
    host.write_text(f"{temp}\\stage.json", "{}\n")
    host.read_text(f"{temp}\\stage.json")
    host.append_line(f"{temp}\\swap-journal.jsonl", '{"step": "begin"}')
    host.put_line(f"{temp}\\history.jsonl", '{"run_id":"r1","outcome":"started"}', re.escape('"run_id":"r1"'))
    host.claim(f"{temp}\\lock-000001")
    host.free_bytes("D:\\ConAktiv")
    host.readers_of_new_files("D:\\ConAktiv\\Backups")
    host.volume_id(server)
    host.make_zip([f"{server}\\Server Database"], "D:\\ConAktiv\\one.zip")
    host.make_zip([f"{server}\\Server Database", "D:\\ConAktiv\\ConAktiv Data"], "D:\\ConAktiv\\two.zip")
    host.remove(f"{temp}\\.unpack")
    host.read_tail(f"{temp}\\swap-journal.jsonl", 0, 1000)
    host.clients_connected(site.service.client_port)
    site.service.refuse_control = 1079
    with pytest.raises(ServiceError, match="1079"):
        host.set_service(site.service.name, "stopped", timeout=5)
    site.service.refuse_control = None
    site.emulator.programs["whoami"] = lambda argv: (0, "conaktiv-win01\\ansible\r\n", "")
    host.run(["whoami.exe"], probe=True)
    host.service_state(site.service.name)
    host.http("GET", f"http://127.0.0.1:{site.service.control_port}/api/status", {"X-ConAktiv-Token": site.service.token})
    host.set_service(site.service.name, "stopped", timeout=5)
    host.wait_for_port(site.service.client_port, "stopped", 1)
    host.wait_for_absent(f"{server}\\server.pid", 1)
    host.set_service(site.service.name, "started", timeout=5)
    host.message_console("Der ConAktiv-Server wird aktualisiert.")
    lines = journal_tails("r1", version="2.0.0", old_name="x", old_path=f"{temp}\\x", resumed=False, lease_s=600, start_lease_s=None)
    host.cutover(CutoverPlan(journal=f"{temp}\\journal.jsonl", server=f"{temp}\\none", old=f"{temp}\\x", staged=None, move_old=False,
                             items=(), item_paths_old=(), item_paths_new=(), begin_tail=lines.begin, done_tail=lines.done))
    return sorted({call.module for call in site.emulator.calls})


def test_every_host_method_uses_only_the_expected_modules_and_fits_their_specs(world, site, package, emulator):
    used = tour(world, site, package("2.0.0"))
    assert used == USED
    assert not emulator.violations  # (the emulator fixture checks this too)
    powershell = {call.args["script"] for call in emulator.calls if call.module == "ansible.windows.win_powershell"}
    assert powershell == set(winhost.SCRIPTS)


def test_documentation_and_implementation_agree_on_the_options_we_use(world, site, package, emulator):
    """Each option the adapter passes is documented and declared by the .ps1 with the same type."""
    tour(world, site, package("2.0.0"))
    problems = []
    for module in USED:
        doc = wincontract.documentation(module)["options"]
        implementation = wincontract.ps1_spec(module)
        used = {key for call in emulator.calls if call.module == module for key in call.args if not key.startswith("_")}
        if module == "ansible.windows.win_copy":
            # content/remote_src are read by the action plugin; files/directories/symlinks are its protocol with the module.
            used -= {"content", "remote_src", "decrypt", "local_follow", "files", "directories", "symlinks"}
        problems += [f"{module} was not called"] if not used else []
        for option in sorted(used):
            if option not in doc or option not in implementation.options:
                read = option in implementation.options
                problems.append(f"{module}.{option}: documented {option in doc}, read by {wincontract.ps1_path(module).name} {read}")
                continue
            pair = (doc[option].get("type"), implementation.options[option].get("type"))
            if pair not in SAME_TYPE and pair[0] != pair[1]:
                problems.append(f"{module}.{option}: documented as {pair[0]}, implemented as {pair[1]}")
    assert not problems


@pytest.mark.parametrize("module", [name for name in USED if wincontract.ps1_spec(name).style == "basic"])
def test_ansible_basic_modules_document_exactly_what_they_accept(module):
    assert set(wincontract.documentation(module)["options"]) == set(wincontract.ps1_spec(module).options)


def test_doc_fragments_are_merged():
    options = wincontract.documentation("ansible.windows.win_uri")["options"]
    assert {"url_username", "validate_certs", "use_proxy", "headers"} <= set(options), "ansible.windows.web_request fragment"
    assert "url_timeout" in wincontract.ps1_spec("ansible.windows.win_uri").options, "Get-AnsibleWindowsWebRequestSpec merged"


def test_the_implementation_constraints_are_read():
    assert wincontract.ps1_spec("ansible.windows.win_command").constraints == {
        "required_one_of": [["_raw_params", "argv", "cmd"]], "mutually_exclusive": [["_raw_params", "argv", "cmd"]]}
    assert ["pid", "process_name_exact"] in wincontract.ps1_spec("community.windows.win_wait_for_process").constraints["mutually_exclusive"]
    assert wincontract.ps1_spec("ansible.windows.win_command").supports_check_mode is False
    assert wincontract.ps1_spec("ansible.windows.win_wait_for").options["state"]["choices"] == ["present", "started", "stopped", "absent", "drained"]
    assert wincontract.ps1_spec("ansible.windows.win_file").options["path"] == {"type": "path", "aliases": ["dest", "name"], "required": True}


@pytest.mark.parametrize("module, args, problem", [
    ("ansible.windows.win_stat", {"path": "C:\\x", "checksum": True}, "unsupported option"),
    ("ansible.windows.win_find", {"paths": ["C:\\x"], "file_type": "dir"}, "file_type must be one of"),
    ("ansible.windows.win_file", {"state": "directory"}, "missing required arguments: path"),
    ("ansible.windows.win_command", {"argv": ["sc.exe"], "cmd": "sc.exe"}, "mutually exclusive"),
    ("ansible.windows.win_command", {"chdir": "C:\\"}, "one of the following is required: _raw_params, argv, cmd"),
    ("community.windows.win_wait_for_process", {"pid": 4100, "process_name_exact": ["java"]}, "mutually exclusive"),
    ("ansible.windows.win_wait_for", {"port": "client", "state": "started"}, "port"),
    ("ansible.windows.win_wait_for", {"path": "C:\\x", "state": "gone"}, "state must be one of"),
    ("ansible.windows.win_uri", {"url": "http://127.0.0.1", "status_code": ["ok"]}, "status_code"),
    ("ansible.windows.win_powershell", {"script": "x", "path": "y.ps1"}, "mutually exclusive"),
    ("ansible.windows.win_copy", {"src": "C:\\a", "dest": "C:\\b", "_copy_mode": "remote"}, "unsupported option"),
    ("community.windows.win_lineinfile", {"path": "C:\\x", "line": "a", "newline": "mac"}, "newline must be one of"),
    ("community.windows.win_zip", {"src": "C:\\x"}, "missing required arguments: dest"),
])
def test_the_validator_rejects_what_the_module_rejects(module, args, problem):
    with pytest.raises(ContractViolation, match=re.escape(problem)):
        wincontract.validate(module, args)


def test_internal_options_only_for_the_action_plugins_own_calls():
    params = wincontract.validate("ansible.windows.win_copy", {"src": "C:\\a", "dest": "C:\\b", "_copy_mode": "remote"}, internal=True)
    assert params["_copy_mode"] == "remote" and params["force"] is True
    with pytest.raises(ContractViolation, match="unsupported option"):
        wincontract.validate("ansible.windows.win_stat", {"path": "C:\\x", "_copy_mode": "remote"}, internal=True)


def test_aliases_and_defaults_are_what_the_module_sees():
    params = wincontract.validate("ansible.windows.win_uri", {"url": "http://127.0.0.1:2049/api/status", "method": "GET", "timeout": 5})
    assert params["url_method"] == "GET" and params["url_timeout"] == 5 and params["status_code"] == [200] and params["return_content"] is False
    assert wincontract.validate("community.windows.win_lineinfile", {"path": "C:\\x", "line": "a", "insertafter": "^\\[section\\]"})
    assert wincontract.validate("community.windows.win_lineinfile", {"path": "C:\\x", "line": "a", "regexp": "^a"})["regex"] == "^a"


def test_snippets_are_constant_and_take_their_values_only_as_parameters():
    for script in winhost.SCRIPTS:
        assert script.lstrip().lower().startswith("param("), "values come in through param(), set by `parameters`"
        assert "Invoke-Expression" not in script and "iex " not in script.lower() and "ScriptBlock]::Create" not in script, "nothing is evaluated"
        if script is winhost.CUTOVER_SCRIPT:
            # The one designed exception (DESIGN.md): the whole downtime in one call. Its double-quoted strings are data
            # (journal text, CRLF, a message), never code, and take no subexpressions.
            assert "$(" not in script and "& $" not in script
            continue
        assert '"' not in script and "$(" not in script, "nothing is built as text"
        assert len(script.strip().splitlines()) <= 18, "a short snippet"
    repo = pathlib.Path(__file__).resolve().parents[3]
    assert not [path for folder in ("plugins", "roles", "playbooks", "extensions") for path in (repo / folder).rglob("*.ps1")], "no .ps1 of our own"


def test_pid_zero_is_a_default_that_means_every_process():
    """Why WindowsHost never asks win_wait_for_process without a pid: the default pid 0 satisfies the spec and matches all."""
    assert wincontract.validate("community.windows.win_wait_for_process", {"state": "absent"})["pid"] == 0
