"""The fault matrix: each row injects one fault into a real update and checks the end state (harness.Bench.verdict).

Groups: source (before anything stops), stop, new version, kill (the controller killed, then a plain re-run),
overlap (two runs), input (refused before the host changes). Rows marked ``representative`` also run in `make test`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import threading
import time
import typing as t
import zipfile

import pytest

from harness import Bench

from testservers import FtpServer

V1, V2 = "1.0.0", "2.0.0"


def checksum(path: pathlib.Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def assert_safe(row: dict) -> None:
    assert row["safe"], "\n".join(row["problems"])


def serve(bench: Bench, data: bytes, name: str = "ConAktiv-2.0.0-broken.zip") -> dict:
    """Put ``data`` on the FTP server; the variables that make the update fetch it (with its own checksum)."""
    path = bench.tmp / name
    path.write_bytes(data)
    (bench.ftp.root / name).write_bytes(data)
    return {"conaktiv_update_source": f"{bench.ftp.url}{name}", "conaktiv_update_checksum": checksum(path)}


def site_listing(bench: Bench) -> list[str]:
    return sorted(str(path.relative_to(bench.site.root)) for path in bench.site.root.iterdir())


@dataclasses.dataclass(frozen=True)
class Fault:
    """One fault that needs no more than switches of the simulator and settings of the role, and what must come of it."""

    version: str
    outcome: str
    failed_phase: str | None = None
    error: str | None = None
    faults: dict = dataclasses.field(default_factory=dict)
    settings: dict = dataclasses.field(default_factory=dict)


def row(name: str, group: str, fault: Fault, representative: bool = False) -> t.Any:
    marks = [pytest.mark.group(group)] + ([pytest.mark.representative] if representative else [])
    return pytest.param(fault, id=name, marks=marks)


FAULTS = [
    row("checksum_mismatch", "source", Fault(V1, "failed", "stage", "checksum mismatch",
                                             settings={"conaktiv_update_checksum": "sha256:" + "0" * 64}), representative=True),
    row("pre_backup_fails", "stop", Fault(V1, "failed", "backup_pre", "simulated backup failure", {"backup_fail": {"versions": [V1]}})),
    row("linger_after_stop", "stop", Fault(V2, "updated", faults={"linger_after_stop": {"seconds": 3}})),
    row("fail_start", "new version", Fault(V1, "rolled_back", "start", "ZURÜCKGEROLLT (Phase start)", {"fail_start": {"versions": [V2]}}),
        representative=True),
    row("structure_update_fails", "new version", Fault(V1, "rolled_back", "structure_update", "simulated structure update failure",
                                                       {"structure_update_fail": {"versions": [V2]}})),
    row("structure_update_hangs", "new version", Fault(V1, "rolled_back", "structure_update", "did not finish within 6 s",
                                                       {"structure_update_hang": {"versions": [V2]}},
                                                       {"conaktiv_update_structure_update_timeout": 6})),
    # Halfway through a structure update of 4 s the process exits (a real one takes minutes).
    row("structure_update_crashes", "new version", Fault(V1, "rolled_back", "structure_update", "process ended during the structure update",
                                                         {"migration_seconds": 4, "crash_during_structure_update": {"versions": [V2]}})),
    row("post_backup_fails", "new version", Fault(V1, "rolled_back", "backup_post", "simulated backup failure",
                                                  {"backup_fail": {"versions": [V2]}})),
]


@pytest.mark.parametrize("fault", FAULTS)
def test_fault(bench, fault):
    """Switch the fault on, run the update once, check the end state."""
    bench.site.set_faults({"migration_seconds": 1, **fault.faults})
    bench.update(**fault.settings)
    assert_safe(bench.verdict(version=fault.version, outcome=fault.outcome, failed_phase=fault.failed_phase, error=fault.error,
                              expect_fail=fault.outcome != "updated"))
    if fault.outcome == "failed" and fault.failed_phase in ("stage", "backup_pre"):
        assert bench.site.messages() == [], "nobody may be told about a stop that does not come"


# -- source: everything fails before the server is touched ------------------------------------------------


@pytest.mark.group("source")
def test_download_cut(make_bench, tmp_path):
    (tmp_path / "cutting-ftp").mkdir()
    with FtpServer(tmp_path / "cutting-ftp", "conaktiv", "cut-pw-71c", work_dir=tmp_path / "cutting", cut_after=40_000) as cutting:
        bench = make_bench(size_mb=1, ftp=cutting)
        run = bench.update()
        assert run.rc != 0
        assert_safe(bench.verdict(version=V1, outcome="failed", failed_phase="stage", error="FEHLGESCHLAGEN (Phase stage)"))
        assert "426" in run.output or "aborted" in run.output


@pytest.mark.group("source")
def test_wrong_ftp_password(bench):
    bench.update(conaktiv_update_source_password="not-the-password-93")
    assert_safe(bench.verdict(version=V1, outcome="failed", failed_phase="stage", error="530"))
    assert "not-the-password-93" not in bench.runs[-1].output


@pytest.mark.group("source")
def test_truncated_zip(bench):
    data = bench.package.read_bytes()
    bench.update(**serve(bench, data[: len(data) // 2]))
    assert_safe(bench.verdict(version=V1, outcome="failed", failed_phase="stage", error="ConAktiv-2.0.0-broken.zip"))


@pytest.mark.group("source")
def test_corrupt_zip(bench):
    data = bytearray(bench.package.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)
    bench.update(**serve(bench, bytes(data)))
    assert_safe(bench.verdict(version=V1, outcome="failed", failed_phase="stage", error="ConAktiv-2.0.0-broken.zip"))


@pytest.mark.group("source")
def test_zip_slip(bench):
    evil = bench.tmp / "evil.zip"
    shutil.copy(bench.package, evil)
    with zipfile.ZipFile(evil, "a") as archive:
        archive.writestr("../../escaped.txt", "owned")
    bench.update(**serve(bench, evil.read_bytes()))
    assert_safe(bench.verdict(version=V1, outcome="failed", failed_phase="stage", error="refusing to unpack"))
    assert not list(bench.tmp.rglob("escaped.txt"))


@pytest.mark.group("source")
def test_disk_full_before_unpack(tmpfs, make_bench):
    disk = tmpfs("40m")
    bench = make_bench(site_root=disk / "site", size_mb=30)
    bench.update()
    assert_safe(bench.verdict(version=V1, outcome="failed", failed_phase="stage", error="not enough free disk space"))


@pytest.mark.group("source")
def test_disk_full_during_unpack(tmpfs, make_bench):
    disk = tmpfs("48m")
    bench = make_bench(site_root=disk / "site", size_mb=18)
    # Another program takes the space the free-space check had seen the moment the unpack begins, and gives it back
    # once the staging has ended (failed): the update must have failed cleanly meanwhile, with nothing left behind. unzip
    # starts only once the space is taken (a shim waits for the filler's flag): on a busy machine the filler could be late.
    flag = bench.tmp / "filled.flag"
    filler = subprocess.Popen([sys.executable, str(pathlib.Path(__file__).with_name("filler.py")),
                               str(bench.site.root / "Temp_Updateordner" / ".unpack"), str(disk / "filler.bin"), str(bench.journal_path),
                               "stage", str(flag)], stdout=subprocess.PIPE, text=True)
    unzip = shutil.which("unzip")
    assert unzip, "unzip is installed by the project's setup"
    shim = f'#!/bin/sh\ni=0\nwhile [ ! -e "{flag}" ] && [ "$i" -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done\nexec "{unzip}" "$@"\n'
    try:
        bench.update(shims={"unzip": shim})
    finally:
        try:
            output, _errors = filler.communicate(timeout=150)
        except subprocess.TimeoutExpired:
            filler.kill()
            output, _errors = filler.communicate()
    assert "filled" in output, "the disk was never filled"
    assert_safe(bench.verdict(version=V1, outcome="failed", failed_phase="stage", error="No space left on device"))
    assert not list((bench.site.root / "Temp_Updateordner").glob(".unpack*")), "the half unpack must be removed"


# -- stop: backups, users, the service --------------------------------------------------------------------


@pytest.mark.group("stop")
def test_users_never_log_off(bench):
    users = bench.site.tcp_users({"carla": None})
    try:
        bench.update(conaktiv_update_max_wait=3)
    finally:
        users.close()
    assert_safe(bench.verdict(version=V2, outcome="updated", expect_fail=False))


@pytest.mark.representative
@pytest.mark.group("stop")
def test_refuse_stop(bench):
    bench.site.set_faults({"migration_seconds": 1, "refuse_stop": {}})
    bench.update(conaktiv_update_stop_timeout=4)
    bench.site.set_faults({"migration_seconds": 1})
    assert_safe(bench.verdict(version=V1, outcome="rolled_back", failed_phase="stop", error="did not stop"))


@pytest.mark.representative
@pytest.mark.group("stop")
def test_refuse_stop_ended_by_force(bench):
    """conaktiv_update_stop_kill_after (opt-in): a server that will not stop is ended by force and the update goes on."""
    bench.site.set_faults({"migration_seconds": 1, "refuse_stop": {"versions": [V1]}})
    pid = bench.site.server_pid()
    bench.update(conaktiv_update_stop_timeout=20, conaktiv_update_stop_kill_after=3,
                 conaktiv_update_stop_command=[str(bench.site.wrapper), "stop", "--timeout", "3"])
    row = bench.verdict(version=V2, outcome="updated", error="wird jetzt zwangsweise beendet")
    assert_safe(row)
    (stop,) = [phase for phase in bench.history()[-1]["phases"] if phase["name"] == "stop"]
    assert f"ended by force: kill -KILL {pid}" in stop["detail"], stop


@pytest.mark.group("stop")
def test_rename_refused(bench):
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("a folder that cannot be renamed is made with chattr +i (root, e2fsprogs)")
    # The kernel refuses to rename an immutable folder (EPERM), as Windows refuses a folder with a file in use.
    server = str(bench.site.server_dir)
    if subprocess.run(["chattr", "+i", server], check=False, capture_output=True).returncode != 0:
        pytest.skip("the file system of the test folder has no immutable flag")
    try:
        bench.update()
    finally:
        subprocess.run(["chattr", "-i", server], check=False)
    assert_safe(bench.verdict(version=V1, outcome="rolled_back", failed_phase="swap", error="Operation not permitted"))


# -- the new version ------------------------------------------------------------------------------------------


@pytest.mark.group("new version")
def test_smtp_down(bench):
    bench.smtp.stop()
    run = bench.update()
    assert_safe(bench.verdict(version=V2, outcome="updated", expect_fail=False))
    mail = [entry for entry in bench.journal() if entry.get("phase") == "mail" and entry.get("event") == "done"]
    assert mail and mail[-1]["data"].get("mail_error"), "the journal must say why no mail went out"
    assert "could not" in run.output or "Connection refused" in run.output
    (record,) = bench.history()
    assert record["mail"]["sent"] is False and record["mail"]["error"], "and so must the history"


# -- kill: the controller dies (every process of it), then the same update is run again ---------------------------


def killed_then_rerun(bench: Bench, trigger, shims=None, **extra) -> None:
    first = bench.update(kill_when=trigger, shims=shims, **extra)
    assert first.killed, f"the trigger never fired:\n{first.output[-3000:]}"
    bench.update(**extra)


@pytest.mark.group("kill")
def test_kill_after_stage(bench):
    killed_then_rerun(bench, bench.journaled("stage"))
    assert_safe(bench.verdict(version=V2, outcome="updated", expect_fail=False, history_records=2))
    assert [record["outcome"] for record in bench.history()] == ["interrupted", "updated"]


@pytest.mark.representative
@pytest.mark.group("kill")
def test_kill_while_the_control_token_is_in_flight(bench):
    # The online backup takes a while: the controller dies while the uri call carrying the control token waits for it. Ansible
    # removes its temporary folder on the host only when the task ends: what a killed controller leaves there must hold no
    # secret (the call ran pipelined: module and arguments went over stdin), even where the play turned pipelining off. The
    # verdict searches those folders.
    bench.site.set_faults({"backup_seconds": 4})
    killed_then_rerun(bench, lambda: any(bench.site.backup_dir.glob(".*.partial")), conaktiv_update_pipelining=False)
    assert_safe(bench.verdict(version=V2, outcome="updated", expect_fail=False, history_records=2))
    assert [record["outcome"] for record in bench.history()] == ["interrupted", "updated"]


@pytest.mark.group("kill")
def test_kill_after_stop(bench):
    killed_then_rerun(bench, bench.journaled("stop"))
    assert_safe(bench.verdict(version=V2, outcome="updated", expect_fail=False, history_records=1))
    assert len(bench.history()[-1]["runs"]) == 2


@pytest.mark.representative
@pytest.mark.group("kill")
def test_kill_between_the_renames(bench):
    # The cutover renames twice within one remote command: the controller and the host side die between the two (the staged
    # tree's rename never happens), as a power cut would; then a plain re-run.
    shims, reached = bench.host_dies_at("mv", str(bench.site.server_dir), source=str(bench.site.root / "Temp_Updateordner" / "ConAktiv Server"))
    killed_then_rerun(bench, reached, shims=shims)
    assert_safe(bench.verdict(version=V2, outcome="updated", expect_fail=False, history_records=1))


@pytest.mark.group("kill")
def test_kill_before_the_carry_over(bench):
    shims, reached = bench.host_dies_at("cp", str(bench.site.server_dir / "Server Database") + "/")
    killed_then_rerun(bench, reached, shims=shims)
    assert_safe(bench.verdict(version=V2, outcome="updated", expect_fail=False, history_records=1))


@pytest.mark.group("kill")
def test_kill_during_the_cutover(bench):
    # Only the controller dies: the host finishes the cutover (and issues the start) on its own.
    killed_then_rerun(bench, bench.journaled("swap", "begin"))
    assert_safe(bench.verdict(version=V2, outcome="updated", expect_fail=False, history_records=1))


@pytest.mark.group("kill")
def test_kill_after_the_start(bench):
    killed_then_rerun(bench, bench.journaled("start"))
    assert_safe(bench.verdict(version=V2, outcome="updated", expect_fail=False, history_records=1))


@pytest.mark.group("kill")
def test_kill_during_a_succeeding_structure_update(bench):
    bench.site.set_faults({"migration_seconds": 4})
    killed_then_rerun(bench, bench.journaled("structure_update", "begin"))
    assert_safe(bench.verdict(version=V2, outcome="updated", expect_fail=False, history_records=1))


@pytest.mark.group("kill")
def test_kill_during_a_failing_structure_update(bench):
    bench.site.set_faults({"migration_seconds": 3, "structure_update_fail": {"versions": [V2]}})
    killed_then_rerun(bench, bench.journaled("structure_update", "begin"))
    assert_safe(bench.verdict(version=V1, outcome="rolled_back", failed_phase="structure_update", history_records=1))


# -- overlap: two runs against one server -----------------------------------------------------------------------


@pytest.mark.group("overlap")
def test_two_runs_started_together(bench):
    first, second = bench.update_twice_at_once()
    refused = [run for run in (first, second) if run.rc != 0]
    assert len(refused) == 1, [run.rc for run in (first, second)]
    assert "lock" in refused[0].output
    bench.runs.append(first if first.rc == 0 else second)  # the verdict looks at the run that updated
    assert_safe(bench.verdict(version=V2, outcome="updated", expect_fail=False, history_records=1))


@pytest.mark.representative
@pytest.mark.group("overlap")
def test_a_second_run_while_the_first_waits_for_the_structure_update(bench):
    bench.site.set_faults({"migration_seconds": 6})
    runs = {}

    def first() -> None:
        runs["first"] = bench.update()

    thread = threading.Thread(target=first)
    thread.start()
    deadline = time.monotonic() + 300
    while not bench.journaled("structure_update", "begin")() and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.05)
    second = bench.update()
    thread.join(600)
    assert second.rc != 0 and "holds the lock" in second.output, second.output[-2000:]
    bench.runs.append(runs["first"])
    assert_safe(bench.verdict(version=V2, outcome="updated", expect_fail=False, history_records=1))
    assert bench.site.root.joinpath("ConAktiv Server_old0001").exists() is False


# -- input: refused before the first change on the host (nobody is told, nothing moves) ----------------------------


def refused(bench: Bench, error: str, **extra) -> None:
    before = site_listing(bench)
    run = bench.update(**extra)
    assert run.rc != 0
    assert_safe(bench.verdict(version=V1, outcome=None, error=error, expect_fail=True))
    assert bench.site.messages() == [], "nobody may be told about an update that is refused"
    assert site_listing(bench) == before, "nothing beside the server folder may change"


@pytest.mark.group("input")
def test_server_path_of_another_server(bench):
    other = bench.site.root / "Another Install" / "ConAktiv Server"
    shutil.copytree(bench.site.server_dir, other)
    refused(bench, "belongs to the server in", conaktiv_update_server_path=str(other))
    assert (other / "version.txt").read_text().strip() == V1


@pytest.mark.group("input")
def test_server_path_that_is_no_conaktiv_server(bench):
    other = bench.site.root / "Somewhere Else"
    (other / "bin").mkdir(parents=True)
    refused(bench, "does not look like a ConAktiv server folder", conaktiv_update_server_path=str(other))


@pytest.mark.representative
@pytest.mark.group("input")
def test_downgrade(bench):
    refused(bench, "older than the installed 1.0.0", conaktiv_update_version="0.9.0")


@pytest.mark.group("input")
def test_preserve_leaving_the_server_folder(bench):
    refused(bench, "contains '..'", conaktiv_update_preserve_extra=["../ConAktiv Daten"])


@pytest.mark.group("input")
def test_preserve_absolute(bench):
    refused(bench, "is absolute", conaktiv_update_preserve=["/etc/passwd"])


@pytest.mark.group("input")
def test_keep_old_negative(bench):
    refused(bench, "must be 0 or more", conaktiv_update_keep_old=-1)


@pytest.mark.group("input")
def test_kill_after_not_shorter_than_the_stop_timeout(bench):
    refused(bench, "conaktiv_update_stop_kill_after must be less than conaktiv_update_stop_timeout (20)",
            conaktiv_update_stop_timeout=20, conaktiv_update_stop_kill_after=20)


@pytest.mark.group("input")
def test_kill_after_without_a_pid_file_for_commands(bench):
    refused(bench, "conaktiv_update_stop_kill_after needs conaktiv_update_pid_file", conaktiv_update_stop_kill_after=5,
            conaktiv_update_pid_file="")


@pytest.mark.group("input")
def test_smtp_port_out_of_range(bench):
    smtp = {"host": "127.0.0.1", "port": 70000, "security": "none"}
    refused(bench, "must be 1 to 65535", conaktiv_update_smtp=smtp)


@pytest.mark.group("input")
def test_admin_email_not_an_address(bench):
    refused(bench, "not an address is not an e-mail address", conaktiv_update_admin_email=["not an address"])


@pytest.mark.group("input")
def test_data_folder_inside_the_server_folder(bench):
    refused(bench, "lies inside the server folder", conaktiv_update_data_path=str(bench.site.server_dir / "Daten"))


@pytest.mark.group("input")
def test_symlinked_server_path(bench):
    link = bench.site.root / "ConAktiv Link"
    link.symlink_to(bench.site.server_dir)
    refused(bench, "is a symbolic link", conaktiv_update_server_path=str(link))


@pytest.mark.group("input")
def test_no_way_to_observe_the_structure_update(bench):
    refused(bench, "nothing tells when the structure update", conaktiv_update_control={"type": "none"})


@pytest.mark.group("input")
def test_unknown_smtp_setting(bench):
    smtp = {"host": "127.0.0.1", "port": bench.smtp.port, "security": "none", "pasword": "typo"}
    refused(bench, "pasword", conaktiv_update_smtp=smtp)
