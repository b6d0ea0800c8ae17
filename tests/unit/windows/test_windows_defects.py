# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Defects a real Windows host would hit, each against an emulator that fails the way Windows does (issue 10).

Sources of the modelled behaviour: ansible.windows 3.8 (slurp.ps1 File.ReadAllBytes, win_file.ps1 Remove-File,
win_wait_for.ps1 Get-PortConnection, win_stat.ps1 get_size), community.windows 3.3 (win_zip.ps1, win_unzip.ps1),
ansible-core Ansible.Process.cs (UTF-8 decoding of command output), the Win32 service control manager (1061 while a
service is start pending) and the Windows path rules (MAX_PATH, reserved names).
"""

from __future__ import annotations

import time
import zipfile

import pytest
from winsite import BASE, Site

from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import ModuleFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._service import ServiceError
from ansible_collections.conaktiv.server.plugins.plugin_utils._windows_host import WindowsHost

OLD = f"{BASE}\\ConAktiv Server_old0001"


@pytest.fixture
def host(world) -> WindowsHost:
    return world.host()


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(WindowsHost, "in_use_retry_s", 0.3)
    monkeypatch.setattr(WindowsHost, "in_use_backoff_first_s", 0.05)
    monkeypatch.setattr(WindowsHost, "in_use_backoff_cap_s", 0.1)


def calls_of(emulator, module: str) -> int:
    return len([call for call in emulator.calls if call.module == module])


# -- removing: delete pending, German Windows, slow deletes, network paths ---------------------------------------


def test_a_folder_whose_file_is_delete_pending_is_retried_until_it_goes(host, emulator, quick_retries):
    emulator.write(f"{OLD}\\lib\\conaktiv.jar", "jar")
    emulator.write(f"{OLD}\\version.txt", "1.0.0")
    # A virus scanner holds the jar open with delete sharing: the delete succeeds, the folder stays "not empty" until it lets go.
    emulator.fs.lock(f"{OLD}\\lib\\conaktiv.jar", release_after=2, share_delete=True)
    assert host.remove(OLD) is True
    assert not emulator.fs.local(OLD).exists() and calls_of(emulator, "ansible.windows.win_file") >= 2


@pytest.mark.parametrize("language", ["en", "de"])
def test_in_use_is_understood_in_the_display_language_of_windows(host, emulator, quick_retries, language):
    emulator.fs.language = language
    emulator.write(f"{OLD}\\Logs\\server.log", "log")
    emulator.fs.lock(f"{OLD}\\Logs\\server.log", release_after=1)
    assert host.remove(OLD) is True and not emulator.fs.local(OLD).exists()
    emulator.write(f"{OLD}\\Logs\\server.log", "log")
    emulator.fs.lock(f"{OLD}\\Logs\\server.log")
    expected = "von einem anderen Prozess verwendet" if language == "de" else "being used by another process"
    with pytest.raises(ModuleFailed, match=f"still in use .*{expected}"):
        host.remove(OLD)


def test_only_the_pauses_count_against_the_retry_budget(host, emulator, quick_retries):
    # Each delete attempt of a big folder takes longer than the whole budget; it still gets its retries.
    emulator.latency_by_module["ansible.windows.win_file"] = 0.4
    emulator.write(f"{OLD}\\Logs\\server.log", "log")
    emulator.fs.lock(f"{OLD}\\Logs\\server.log", release_after=3)
    assert host.remove(OLD) is True and calls_of(emulator, "ansible.windows.win_file") == 4  # three refusals, then it went


def test_access_denied_on_a_share_is_the_double_hop_and_is_not_retried(host, emulator, quick_retries):
    share = emulator.fs.add_share("nas01", "Sicherung")
    emulator.write(f"{share}\\ConAktiv\\alt.zip", "zip")
    emulator.fs.double_hop.add(share.casefold())
    began = time.monotonic()
    with pytest.raises(ModuleFailed, match=r"access to the network path \\\\nas01\\Sicherung\\ConAktiv\\alt.zip is denied .*double hop.*CredSSP"):
        host.remove(f"{share}\\ConAktiv\\alt.zip")
    assert calls_of(emulator, "ansible.windows.win_file") == 1 and time.monotonic() - began < 0.3
    with pytest.raises(ModuleFailed, match="double hop"):
        host.rename(f"{share}\\ConAktiv\\alt.zip", f"{share}\\ConAktiv\\alt-2.zip")
    assert calls_of(emulator, "ansible.windows.win_powershell") == 1


# -- services: a stop refused while the start is pending, Windows' own words for an error ---------------------------


def test_a_stop_refused_while_the_service_is_still_starting_is_sent_again(host, site, emulator):
    site.service.start_seconds = 0.5
    site.service.stop()
    while site.service.state != "stopped":
        time.sleep(0.02)
    site.service.start()
    assert site.service.state == "start_pending"
    host.set_service(site.service.name, "stopped", timeout=10)
    assert site.service.state == "stopped"
    stops = [call for call in emulator.calls if call.module == "ansible.windows.win_command" and call.args["argv"][1] == "stop"]
    assert [call.result["rc"] for call in stops][0] == 1061 and stops[-1].result["rc"] == 0


def test_a_start_that_hangs_ends_the_stop_with_the_process_to_end(host, site):
    site.service.start_seconds = 100
    site.service.stop()
    while site.service.state != "stopped":
        time.sleep(0.02)
    site.service.start()
    began = time.monotonic()
    with pytest.raises(ServiceError, match=r"refuses the stop request \(sc.exe 1061.*still start_pending after 1 s.*taskkill /PID \d+ /F"):
        host.set_service(site.service.name, "stopped", timeout=1)
    assert time.monotonic() - began < 3


def test_an_unknown_sc_error_is_told_in_windows_words_without_garbled_umlauts(host, site, emulator):
    emulator.fs.language = "de"
    site.service.refuse_control = 1079
    with pytest.raises(ServiceError) as raised:
        host.set_service(site.service.name, "stopped", timeout=5)
    assert "sc.exe stop 'ConAktivServer' failed with 1079: Das für diesen Dienst angegebene Konto" in str(raised.value)
    assert "\ufffd" not in str(raised.value)
    sc_output = next(call.result["stdout"] for call in emulator.calls if call.module == "ansible.windows.win_command")
    assert "\ufffd" in sc_output, "what win_command made of sc.exe's OEM output (the reason not to show it)"


# -- the structure-update log the server holds open ---------------------------------------------------------------------


def migrate_with_log(site: Site) -> str:
    """Install 2.0.0 over the stopped server and start it: it writes its structure-update log and holds it open."""
    service = site.service
    service.structure_log = f"{site.server}\\Server Database\\Logs\\structure.log"
    service.stop()
    while service.state != "stopped":
        time.sleep(0.02)
    site.emulator.write(f"{site.server}\\version.txt", "2.0.0\n")
    service.start()
    while service.state != "started":
        time.sleep(0.02)
    return service.structure_log


def test_the_log_is_read_while_the_server_writes_it_and_only_what_is_new(host, site, emulator):
    log = migrate_with_log(site)
    with pytest.raises(ModuleFailed, match="being used by another process"):
        host.read_text(log)  # slurp: File.ReadAllBytes shares Read only
    first = host.read_tail(log, 0, 1 << 20)
    assert first.exists and b"structure update 1.0.0 -> 2.0.0 started" in first.data
    again = host.read_tail(log, first.size, 1 << 20)
    assert again.start == first.size and b"started" not in again.data


def test_the_structure_update_phase_follows_the_log_of_a_running_server(world, site, emulator):
    log = migrate_with_log(site)
    args = {**site.control(), "version": "2.0.0", "timeout": 10, "poll_interval": 1, "log_file": log}
    result = world.run("conaktiv.server.structure_update", args)
    assert not result.get("failed"), result.get("msg")
    assert result["outcome"] == "finished" and any("1.0.0 -> 2.0.0 finished" in line for line in result["log_tail"])
    assert not [call for call in emulator.calls if call.module == "ansible.windows.slurp"]


# -- stat without a tree walk ----------------------------------------------------------------------------------------


def test_stat_of_a_folder_does_not_walk_its_tree(host, site, emulator):
    assert host.stat(site.server).is_dir
    found = host.stat(f"{site.server}\\version.txt", "sha256")
    assert found.size == len("1.0.0\n") or found.size > 0
    sizes = [call.args.get("get_size") for call in emulator.calls if call.module == "ansible.windows.win_stat"]
    assert sizes == [False, True], "get_size walks a whole folder tree; only a checksummed file's size is read"


# -- packages Windows cannot hold as they are ----------------------------------------------------------------------


def with_member(path, name: str) -> str:
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(name, b"x")
    return str(path)


def stage(world, site: Site, source: str) -> dict:
    return world.run("conaktiv.server.stage", {"server_path": site.server, "version": "2.0.0", "source": source})


def test_a_path_too_long_for_the_unpack_folder_is_refused_before_anything_is_sent(world, site, package, emulator):
    # 250 characters in the server folder pass; in Temp_Updateordner\.unpack\ConAktiv Server they are 276.
    deep = "ConAktiv Server/Server Database/Resources/" + "x" * (250 - len(site.server) - len("\\Server Database\\Resources\\"))
    source = with_member(package("2.0.0"), deep)
    result = stage(world, site, source)
    assert result.get("failed") and "has paths of 276 characters once in D:\\ConAktiv\\Temp_Updateordner\\.unpack (limit 259)" in result["msg"]
    assert not [call for call in emulator.calls if call.module in ("ansible.windows.win_copy", "community.windows.win_unzip")]


@pytest.mark.parametrize(("member", "said"), [
    ("ConAktiv Server/Server Database/Resources/Hunspell/aux.dic", "reserved device name 'aux.dic'"),
    ("ConAktiv Server/Server Database/Vorlagen/Brief: Mahnung.docx", "character Windows does not allow"),
    ("ConAktiv Server/Server Database/Vorlagen/Rechnung. ", "ending in a dot or space"),
    ("ConAktiv Server/server database/Preferences/settings.json", "differ only in letter case"),
])
def test_names_windows_cannot_hold_are_refused_before_anything_is_sent(world, site, package, emulator, member, said):
    result = stage(world, site, with_member(package("2.0.0"), member))
    assert result.get("failed") and "cannot be unpacked on Windows" in result["msg"] and said in result["msg"]
    assert not [call for call in emulator.calls if call.module in ("ansible.windows.win_copy", "community.windows.win_unzip")]


# -- win_uri leaves json out ---------------------------------------------------------------------------------------


def test_a_control_answer_without_a_json_content_type_is_read_from_its_content(host, site, emulator):
    site.service.content_type = "application/octet-stream"  # a proxy or an older server build
    status = host.http("GET", f"http://127.0.0.1:{site.service.control_port}/api/status", {"X-ConAktiv-Token": site.service.token})
    (call,) = [call for call in emulator.calls if call.module == "ansible.windows.win_uri"]
    assert "json" not in call.result and status.status == 200 and status.json["version"] == "1.0.0"


def test_a_package_written_by_a_windows_zip_tool_stages_with_its_names(world, site, emulator, tmp_path):
    from conaktiv_sim.package import UMLAUT_DICTIONARY, build_windows_package  # pylint: disable=import-outside-toplevel

    package = build_windows_package(tmp_path / "oem.zip", "2.0.0", encoding="cp850")
    result = stage(world, site, str(package))
    assert not result.get("failed"), result.get("msg")
    staged = f"{BASE}\\Temp_Updateordner\\ConAktiv Server"
    assert emulator.fs.local(f"{staged}\\{UMLAUT_DICTIONARY}".replace("/", "\\")).read_text(encoding="utf-8") == "1\nKundenstamm\n"
    assert site.version(staged) == "2.0.0"
