# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator itself: Windows path rules, the modules' documented results and failures, its own guards."""

from __future__ import annotations

import base64
import codecs

import pytest
import wincontract
from winemu import EmulatorError
from wincontract import ContractViolation

from ansible_collections.conaktiv.server.plugins.plugin_utils._windows_host import CLAIM_SCRIPT, MOVE_SCRIPT, VOLUME_SCRIPT


def call(emulator, module, check_mode=False, internal=False, **args):
    return emulator.execute(module, args, check_mode=check_mode, internal=internal)


def test_windows_paths_map_onto_the_tree(emulator):
    local = emulator.write("D:\\ConAktiv\\ConAktiv Server\\Server Database\\cert.pem", "x")
    assert local == emulator.fs.root / "drive_D" / "ConAktiv" / "ConAktiv Server" / "Server Database" / "cert.pem"
    for alias in ("d:\\conaktiv\\CONAKTIV SERVER\\server database\\CERT.PEM", "D:/ConAktiv/ConAktiv Server/Server Database/cert.pem",
                  "D:\\ConAktiv\\ConAktiv Server.\\Server Database \\cert.pem", "D:\\ConAktiv\\x\\..\\ConAktiv Server\\Server Database\\cert.pem"):
        assert emulator.fs.local(alias) == local, alias
    share = emulator.fs.add_share("FileServer", "Pakete")
    assert emulator.fs.local(f"{share}\\a.zip") == emulator.fs.local("\\\\fileserver\\PAKETE\\a.zip") == emulator.fs.root / "unc/fileserver/pakete/a.zip"
    assert emulator.fs.winpath(local) == "D:\\ConAktiv\\ConAktiv Server\\Server Database\\cert.pem"
    with pytest.raises(EmulatorError, match="relative"):
        emulator.fs.local("ConAktiv Server\\version.txt")


def test_every_call_is_checked_against_the_real_spec(emulator):
    with pytest.raises(ContractViolation, match="unsupported option"):
        call(emulator, "ansible.windows.win_stat", path="C:\\x", get_md5=True)
    assert emulator.violations
    emulator.violations.clear()  # seen; the fixture would fail the test otherwise


def test_stat_and_slurp_answer_like_the_modules(emulator):
    emulator.write("C:\\Temp\\ä.txt", "inhalt")
    stat = call(emulator, "ansible.windows.win_stat", path="c:\\temp\\Ä.TXT", checksum_algorithm="md5")["stat"]
    assert stat["exists"] and stat["isreg"] and stat["size"] == 6 and stat["extension"] == ".txt" and len(stat["checksum"]) == 32
    assert call(emulator, "ansible.windows.win_stat", path="C:\\Temp\\nope")["stat"] == {"exists": False}
    assert base64.b64decode(call(emulator, "ansible.windows.slurp", src="C:\\Temp\\ä.txt")["content"]) == "inhalt".encode()
    assert call(emulator, "ansible.windows.slurp", src="C:\\Temp\\nope") == {"failed": True, "changed": False, "msg": "Path C:\\Temp\\nope is not found"}
    assert call(emulator, "ansible.windows.slurp", src="C:\\Temp")["msg"] == "Path C:\\Temp is a directory"


def test_win_find_warns_for_missing_paths_and_lists_hidden_files_only_when_asked(emulator):
    hidden = emulator.write("C:\\Temp\\desktop.ini", "")
    emulator.fs.hidden.add(hidden)
    emulator.write("C:\\Temp\\a.txt", "")
    found = call(emulator, "ansible.windows.win_find", paths=["C:\\Temp", "C:\\Nope"], file_type="any")
    assert [item["path"] for item in found["files"]] == ["C:\\Temp\\a.txt"]
    assert found["warnings"] == ["Argument path 'C:\\Nope' does not exist or is not accessible, skipping"]
    found = call(emulator, "ansible.windows.win_find", paths=["C:\\Temp"], file_type="any", hidden=True, get_checksum=False)
    assert [item["filename"] for item in found["files"]] == ["a.txt", "desktop.ini"] and found["files"][0]["checksum"] is None


def test_win_file_removes_what_is_not_in_use_and_names_the_file_that_is(emulator):
    emulator.write("D:\\Old\\a.txt", "")
    emulator.write("D:\\Old\\b.log", "")
    emulator.fs.lock("D:\\Old\\b.log")
    result = call(emulator, "ansible.windows.win_file", path="D:\\Old", state="absent")
    assert result["failed"] and result["msg"] == ("Failed to delete D:\\Old\\b.log: The process cannot access the file 'D:\\Old\\b.log' "
                                                  "because it is being used by another process.")
    assert not emulator.fs.local("D:\\Old\\a.txt").exists() and emulator.fs.local("D:\\Old\\b.log").exists()
    assert call(emulator, "ansible.windows.win_file", path="D:\\Nope", state="absent")["changed"] is False
    assert call(emulator, "ansible.windows.win_file", path="Q:\\New", state="directory")["failed"]


def test_win_copy_remote_src_trailing_backslash_semantics(emulator):
    emulator.write("D:\\Src\\Prefs\\a.json", "{}")
    into = call(emulator, "ansible.windows.win_copy", internal=True, _copy_mode="remote", src="D:\\Src\\Prefs", dest="D:\\Dst")
    assert into["dest"] == "D:\\Dst\\Prefs" and emulator.fs.local("D:\\Dst\\Prefs\\a.json").is_file()
    call(emulator, "ansible.windows.win_copy", internal=True, _copy_mode="remote", src="D:\\Src\\Prefs\\", dest="D:\\Flat")
    assert emulator.fs.local("D:\\Flat\\a.json").is_file()
    again = call(emulator, "ansible.windows.win_copy", internal=True, _copy_mode="remote", src="D:\\Src\\Prefs", dest="D:\\Dst")
    assert again["changed"] is False, "same checksums: nothing copied"
    missing = call(emulator, "ansible.windows.win_copy", internal=True, _copy_mode="remote", src="D:\\Src\\a.json", dest="D:\\NoFolder\\a.json")
    assert missing["failed"] and "does not exist" in missing["msg"]


def test_win_lineinfile_quirks(emulator):
    emulator.write("C:\\Temp\\unix.txt", "eins\nzwei\n")
    assert call(emulator, "community.windows.win_lineinfile", path="C:\\Temp\\unix.txt", line="drei")["changed"]
    assert emulator.fs.local("C:\\Temp\\unix.txt").read_bytes() == b"eins\r\nzwei\r\ndrei\r\n", "rewritten with CRLF, final newline kept"
    assert call(emulator, "community.windows.win_lineinfile", path="C:\\Temp\\new.txt", line="x")["msg"] == "Path C:\\Temp\\new.txt does not exist !"


def test_win_lineinfile_regex_replaces_the_last_match_like_present(emulator):
    lines = "community.windows.win_lineinfile"
    emulator.write("C:\\Temp\\conf.txt", "\ufeffname=a\nport=1\nname=b\n".encode())
    replaced = call(emulator, lines, path="C:\\Temp\\conf.txt", regex="^name=", line="name=c")
    assert replaced == {"changed": True, "msg": "line replaced", "backup": "", "encoding": "utf-8"}
    assert emulator.fs.local("C:\\Temp\\conf.txt").read_bytes() == codecs.BOM_UTF8 + b"name=a\r\nport=1\r\nname=c\r\n", "the BOM is kept"
    assert call(emulator, lines, path="C:\\Temp\\conf.txt", regex="^name=", line="name=c")["changed"] is False
    added = call(emulator, lines, path="C:\\Temp\\conf.txt", regex="^host=", line="host=x", newline="unix")
    assert added["msg"] == "line added" and emulator.fs.local("C:\\Temp\\conf.txt").read_bytes().endswith(b"name=c\nhost=x\n")
    # .NET's regex rejects an escaped word character it does not know (Python reads \_ as _): after creating the file.
    refused = call(emulator, lines, path="C:\\Temp\\new.txt", regex="a\\_b", line="a_b", create=True)
    assert refused["failed"] and refused["msg"].endswith('"parsing "a\\_b" - Unrecognized escape sequence \\_."')
    assert emulator.fs.local("C:\\Temp\\new.txt").read_bytes() == b"\r\n"
    with pytest.raises(EmulatorError, match="only state=present"):
        call(emulator, lines, path="C:\\Temp\\conf.txt", regex="^name=", state="absent")


def test_win_stat_reports_links_and_junctions(emulator):
    emulator.write("D:\\ConAktiv\\ConAktiv Server\\version.txt", "1.0.0")
    emulator.fs.link("D:\\ConAktiv\\current", "ConAktiv Server")
    emulator.fs.link("D:\\ConAktiv\\fixed", "D:\\ConAktiv\\ConAktiv Server", junction=True)
    link = call(emulator, "ansible.windows.win_stat", path="D:\\ConAktiv\\current")["stat"]
    assert (link["islnk"], link["isjunction"], link["isdir"], link["isreg"]) == (True, False, True, False)
    assert link["lnk_target"] == "ConAktiv Server" and link["lnk_source"] == "D:\\ConAktiv\\ConAktiv Server"
    junction = call(emulator, "ansible.windows.win_stat", path="D:\\ConAktiv\\fixed")["stat"]
    assert (junction["islnk"], junction["isjunction"]) == (False, True) and "ReparsePoint" in junction["attributes"]
    plain = call(emulator, "ansible.windows.win_stat", path="D:\\ConAktiv\\ConAktiv Server")["stat"]
    assert plain["islnk"] is False and "lnk_target" not in plain
    documented = wincontract.returns("ansible.windows.win_stat")["stat"]["contains"]
    assert {"islnk", "isjunction", "lnk_source", "lnk_target", "lastwritetime"} <= set(documented) and set(link) <= set(documented)


def test_the_claim_snippet_answers_like_dotnet(emulator):
    def claim(path):
        return call(emulator, "ansible.windows.win_powershell", script=CLAIM_SCRIPT, parameters={"Path": path}, error_action="stop")
    emulator.fs.local("D:\\Locks\\folder").mkdir(parents=True)
    assert claim("D:\\Locks\\t1")["result"] == {"created": True} and claim("D:\\Locks\\T1")["result"] == {"created": False}
    folder = claim("D:\\Locks\\folder")["error"][0]["exception"]
    assert folder["message"] == 'Exception calling "Open" with "2" argument(s): "Access to the path \'D:\\Locks\\folder\' is denied."'
    assert folder["inner_exception"]["type"] == "System.UnauthorizedAccessException"
    missing = claim("D:\\Nope\\t1")
    assert missing["failed"] and missing["error"][0]["exception"]["inner_exception"]["type"] == "System.IO.DirectoryNotFoundException"


def test_snippets_must_be_the_constants_with_matching_parameters(emulator):
    with pytest.raises(ContractViolation, match="constant snippets"):
        call(emulator, "ansible.windows.win_powershell", script="Remove-Item -Recurse C:\\", error_action="stop")
    with pytest.raises(ContractViolation, match="do not match the script's param"):
        call(emulator, "ansible.windows.win_powershell", script=MOVE_SCRIPT, parameters={"Path": "C:\\a"}, error_action="stop")
    with pytest.raises(ContractViolation, match="must be a string"):
        call(emulator, "ansible.windows.win_powershell", script=VOLUME_SCRIPT, parameters={"Path": ["C:\\a"]}, error_action="stop")
    emulator.violations.clear()


def test_a_failed_snippet_returns_the_nested_exception(emulator):
    emulator.write("C:\\a\\x", "")
    emulator.write("C:\\b\\x", "")
    result = call(emulator, "ansible.windows.win_powershell", script=MOVE_SCRIPT, parameters={"Path": "C:\\a", "Destination": "C:\\b"},
                  error_action="stop")
    outer = result["error"][0]["exception"]
    assert result["failed"] and outer["type"] == "System.Management.Automation.MethodInvocationException"
    assert outer["inner_exception"] == {"message": "Cannot create a file when that file already exists.", "type": "System.IO.IOException",
                                        "hresult": -2147024713, "help_link": None, "source": "mscorlib", "inner_exception": None}
    assert set(wincontract.returns("ansible.windows.win_powershell")) <= set(result) | {"result"}


def test_check_mode_and_modules_without_it(emulator):
    emulator.programs["hostname"] = lambda argv: (0, "win01", "")
    assert call(emulator, "ansible.windows.win_command", check_mode=True, argv=["hostname.exe"])["skipped"] is True
    assert call(emulator, "ansible.windows.win_file", check_mode=True, path="C:\\New", state="directory")["changed"] is True
    assert not emulator.fs.local("C:\\New").exists()


def test_unsafe_or_unemulated_requests_are_refused(emulator):
    with pytest.raises(EmulatorError, match="pid 0 means every process"):
        call(emulator, "community.windows.win_wait_for_process", state="absent", timeout=1)
    with pytest.raises(EmulatorError, match="only the unfiltered listing"):
        call(emulator, "ansible.windows.win_find", paths=["C:\\"], recurse=True, patterns=["*.zip"])


def test_results_carry_the_documented_return_values(emulator, site):
    checks = {
        "ansible.windows.win_find": call(emulator, "ansible.windows.win_find", paths=["D:\\ConAktiv"]),
        "ansible.windows.win_service_info": call(emulator, "ansible.windows.win_service_info", name="ConAktivServer"),
        "ansible.windows.win_uri": call(emulator, "ansible.windows.win_uri", url="http://127.0.0.1:2049/api/status", return_content=True,
                                        headers={"X-ConAktiv-Token": site.service.token}),
        "community.windows.win_unzip": call(emulator, "community.windows.win_unzip", src="D:\\none.zip", dest="D:\\x"),
    }
    for module, result in checks.items():
        documented = {key for key, value in wincontract.returns(module).items() if value.get("returned") in ("always", "success")}
        assert documented - set(result) <= {"changed"}, f"{module} lacks {documented - set(result)}"
    info = checks["ansible.windows.win_service_info"]["services"][0]
    assert {"name", "display_name", "state", "process_id", "start_mode", "win32_exit_code"} <= set(info)
