# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role through ansible-playbook on an emulated Windows host, along ansible-core's real PowerShell payload path.

ansible-core resolves each module, builds its exec manifest (module_utils, ``_ansible_*`` arguments), transfers files
with ``put_file``; the test connection decodes that and the Windows emulator answers (see conftest.py). The same
scenarios as on POSIX: a full update, an idempotent re-run, check mode, a rollback after a failed start, controller kills
at the points that matter and two runs at once.
"""

from __future__ import annotations

import datetime
import threading
import zoneinfo

import pytest
from winemu import FULL_CONTROL, Ace

from ansible_collections.conaktiv.server.plugins.plugin_utils._history import parse_history

HISTORY = "D:\\ConAktiv\\conaktiv-update-history.jsonl"
BACKUPS = "D:\\ConAktiv\\Backups"


def history(win) -> list:
    records, warnings = parse_history(win.read(HISTORY))
    assert not warnings
    return records


def data(win) -> dict[str, bytes]:
    root = win.emulator.fs.local(win.site.service.data_path)
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file() and path.name != "structure.json"}


def calls_while_down(win) -> list[str]:
    return [f"{entry['module']} {entry['detail']}".strip() for entry in win.server.requests if entry["down"]]


@pytest.mark.parametrize("shell", ["powershell", "cmd"])
def test_a_full_update_then_a_rerun_that_changes_nothing(win, shell):
    win.shell = shell  # cmd: what the winrm connection of ansible-core 2.21 uses by default
    site, before = win.site, data(win)
    preserved = site.preserved()
    run = win.update(win.package())
    assert run.rc == 0, run.output
    assert site.service.state == "started" and site.service.version == "2.0.0" and site.version() == "2.0.0"
    assert site.service.structure_version == "2.0.0" and data(win) == before and site.preserved() == preserved
    (record,) = history(win)
    assert record.outcome == "updated" and record.from_version == "1.0.0" and record.to_version == "2.0.0"
    assert len([name for name in site.names(BACKUPS) if name.endswith(".zip")]) == 2, "a backup before and one after"
    assert not win.emulator.fs.local(f"{site.base}\\Temp_Updateordner").exists()
    assert {entry["shell"] for entry in win.server.requests if entry["op"] == "execute"} == {shell}
    down = calls_while_down(win)
    assert 1 <= len(down) <= 4 and down[-1] == "ansible.windows.win_powershell CUTOVER_SCRIPT", down
    assert site.service.token not in run.output

    win.server.requests.clear()
    rerun = win.update(win.package())
    assert rerun.rc == 0, rerun.output
    writes = [call for call in win.emulator.calls[-len(win.server.requests):] if call.changed]
    assert [call.module for call in writes if call.module != "community.windows.win_lineinfile"] == [], "only the journal is written"
    assert [r.outcome for r in history(win)] == ["updated"], "an up-to-date server gets no new history record"
    assert site.service.version == "2.0.0" and not calls_while_down(win)


def test_check_mode_changes_nothing_on_the_host(win):
    before = win.emulator.fs.snapshot()
    run = win.update(win.package(), extra_args=["--check"])
    assert run.rc == 0, run.output
    assert win.emulator.fs.snapshot() == before
    assert win.site.service.state == "started" and win.site.service.version == "1.0.0"
    # The backup folder inherits the data volume's default ACL: the preflight warns that every user could read the backups.
    said = " ".join(run.output.split())
    assert f"every user of the host may read the backups in {BACKUPS}" in said and "BUILTIN\\Users" in said, run.output
    win.emulator.fs.set_acl(win.site.base, [Ace("S-1-5-32-544", "BUILTIN\\Administrators", FULL_CONTROL),
                                            Ace("S-1-5-18", "NT AUTHORITY\\SYSTEM", FULL_CONTROL)])
    again = win.update(win.package(), extra_args=["--check"])
    assert again.rc == 0 and "every user of the host may read" not in " ".join(again.output.split()), again.output


def test_a_failed_start_is_rolled_back_to_the_old_version_with_the_data_intact(win):
    site, before = win.site, data(win)
    preserved = site.preserved()
    site.service.fail_start_versions = {"2.0.0"}
    run = win.update(win.package())
    assert run.rc != 0 and "ZURÜCKGEROLLT" in run.output
    assert site.service.state == "started" and site.service.version == "1.0.0" and site.version() == "1.0.0"
    assert data(win) == before and site.preserved() == preserved and site.service.structure_version == "1.0.0"
    assert site.version(f"{site.server}_failed0001") == "2.0.0"
    (record,) = history(win)
    assert record.outcome == "rolled_back"


def test_a_failed_structure_update_is_rolled_back_and_the_data_restored_from_the_backup(win):
    site, before = win.site, data(win)
    site.service.fail_migration_versions = {"2.0.0"}
    site.service.structure_log = f"{site.server}\\Server Database\\Logs\\structure.log"
    run = win.update(win.package(), conaktiv_update_structure_log=site.service.structure_log)
    assert run.rc != 0 and "ZURÜCKGEROLLT" in run.output and "table ADRESSEN locked" in run.output
    # One failure block: the reason, the server's log lines each on its own line, what runs, the data, the folders, the next step.
    block = run.task("conaktiv.server.conaktiv_update : Report what went wrong and what to do now")["msg"]
    assert block[0] == "ConAktiv-Update auf 2.0.0 ZURÜCKGEROLLT (Phase structure_update)"
    assert "  Protokoll des Servers (letzte Zeilen):" in block and any(line.endswith("1.0.0 -> 2.0.0 started") for line in block)
    assert "  Jetzt läuft: Version 1.0.0, antwortet" in block
    assert any(line.startswith("  Daten: aus der Sicherung D:\\ConAktiv\\Backups\\ConAktiv-backup-pre-1.0.0-") for line in block)
    assert f"  Ordner: {site.server}_failed0001" in block and block[-1].startswith("  Nächster Schritt:")
    assert run.output.count("Nächster Schritt") == 1 and run.output.count("Protokoll des Servers") == 1, "the block is shown once"
    assert site.service.state == "started" and site.service.version == "1.0.0" and data(win) == before
    assert [r.outcome for r in history(win)] == ["rolled_back"]


def staged(request: dict, site) -> bool:
    """The first online backup request: the package is staged, nothing stopped yet."""
    return request.get("module") == "ansible.windows.win_uri" and str(request["args"].get("url", "")).endswith("/api/backup")


def cutover(request: dict, site) -> bool:
    return "$steps.Add('stopped')" in str((request.get("args") or {}).get("script", ""))


def stopping(request: dict, site) -> bool:
    return site.service.state in ("stop_pending", "stopped") and site.service.version == "1.0.0"


def migrating(request: dict, site) -> bool:
    url = str((request.get("args") or {}).get("url", ""))
    return url.endswith("/api/status") and site.service.version == "2.0.0" and site.service.structure_version == "1.0.0"


@pytest.mark.parametrize("point", [staged, stopping, cutover, migrating],
                         ids=["after-the-stage", "during-the-stop", "right-before-the-cutover", "during-the-structure-update"])
def test_a_killed_controller_and_a_plain_rerun_converge(win, point):
    site, before = win.site, data(win)
    preserved = site.preserved()
    site.service.migration_seconds = 1.5
    package = win.package()
    killed = win.update_killed_at(package, lambda request: point(request, site))
    assert killed.rc < 0
    # Where the kill left the host: a stopped old version, a stopped old version with the new one staged beside it, or the
    # new version in its structure update.
    expected = {"staged": ("1.0.0", True), "stopping": ("1.0.0", True), "cutover": ("1.0.0", True),
                "migrating": ("2.0.0", False)}[point.__name__]
    assert site.version() == expected[0] and win.emulator.fs.local(f"{site.base}\\Temp_Updateordner\\ConAktiv Server").exists() == expected[1]
    assert (site.service.state == "started") == (point in (staged, migrating))
    rerun = win.update(package)
    assert rerun.rc == 0, rerun.output
    assert site.service.state == "started" and site.service.version == "2.0.0" and site.service.structure_version == "2.0.0"
    assert data(win) == before and site.preserved() == preserved
    records = history(win)
    if point is staged:
        # Killed before the stop: that run is recorded as interrupted, and the re-run is an update of its own.
        assert [r.outcome for r in records] == ["interrupted", "updated"]
    else:
        assert [r.outcome for r in records] == ["updated"] and len(records[0].runs) == 2, "one update, worked on by two runs"


def test_a_controller_killed_during_a_failing_structure_update_and_a_rerun_roll_back_once(win):
    site, before = win.site, data(win)
    site.service.migration_seconds, site.service.fail_migration_versions = 1.5, {"2.0.0"}
    package = win.package()
    win.update_killed_at(package, lambda request: migrating(request, site))
    assert site.service.version == "2.0.0"
    rerun = win.update(package)
    assert rerun.rc != 0 and "ZURÜCKGEROLLT" in rerun.output
    assert site.service.state == "started" and site.service.version == "1.0.0" and data(win) == before
    records = history(win)
    assert [r.outcome for r in records] == ["rolled_back"] and len(records[0].runs) == 2


def test_two_runs_at_once_one_updates_and_the_other_refuses(win):
    package = win.package()
    results = {}

    def second() -> None:
        results["second"] = win.update(package)

    win.site.service.migration_seconds = 2.0
    first = threading.Thread(target=lambda: results.setdefault("first", win.update(package)))
    first.start()
    while not any(entry["module"] == "ansible.windows.win_uri" and win.site.service.version == "2.0.0" for entry in win.server.requests):
        if not first.is_alive():
            break
        threading.Event().wait(0.05)
    second()
    first.join()
    assert results["first"].rc == 0, results["first"].output
    assert results["second"].rc != 0 and "another update" in results["second"].output.lower()
    assert win.site.service.version == "2.0.0" and [r.outcome for r in history(win)] == ["updated"]


def test_the_status_playbook_shows_the_update_in_the_servers_local_time(win):
    assert win.update(win.package()).rc == 0
    report = win.workdir / "report"
    run = win.status(win.package(), extra_args=["-e", f"conaktiv_status_report_dir={report}"])
    assert run.rc == 0, run.output
    lines = run.task("Show the server's state and its update history")["msg"]
    # tzutil /g says "W. Europe Standard Time": the history's UTC times are shown in Berlin time.
    assert "Version:          2.0.0 (Steuerschnittstelle)" in lines and "Zeitzone:         Europe/Berlin" in lines
    (record,) = history(win)
    started = datetime.datetime.fromisoformat(record.started).astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))
    assert any(line.startswith(f"{started:%Y-%m-%d %H:%M %Z}  aktualisiert  1.0.0  2.0.0") for line in lines), lines
    table = run.task("Show the fleet as one table")["msg"]
    assert table[2].split()[:3] == ["conaktiv-win01", "2.0.0", "läuft"]
    assert (report / "conaktiv-status.html").is_file()
