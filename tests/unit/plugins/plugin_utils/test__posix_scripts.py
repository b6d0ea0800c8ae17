# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The POSIX adapter's scripts (cutover, stage, backup, survey, commit, journaled command), run by this machine's real
``sh`` on a scratch folder.

The adapter passes these scripts to ``conaktiv.server.host_command`` as ``sh -c SCRIPT name args...``; here the same argv is
run directly, so what is asserted is what the host does: files moved, journal lines written (and readable by the
journal's own parser), the report the adapter reads back.
"""

from __future__ import annotations

import base64
import datetime
import grp
import hashlib
import json
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile
import zipfile

import pytest

from ansible_collections.conaktiv.server.plugins.plugin_utils._cutover import CutoverPlan, journal_tails, posix_argv, read_posix_report
from ansible_collections.conaktiv.server.plugins.plugin_utils._journal import parse_journal, read_journal
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Access, Bracket, protecting
from ansible_collections.conaktiv.server.plugins.plugin_utils._journal import entry_line, slot, with_slots
from ansible_collections.conaktiv.server.plugins.modules import host_command
from ansible_collections.conaktiv.server.plugins.plugin_utils._posix_host import (
    COMMIT_SCRIPT, READ_SCRIPT, SETTLE_BACKUP_SCRIPT, STAGE_SCRIPT, SURVEY_SCRIPT, journaled, read_survey)

ITEMS = ("Server Database/Preferences", "cert.pem", "Resources/Hunspell")


def site(root: pathlib.Path) -> pathlib.Path:
    """A server folder with two of the three preserved items, and a staged version of it."""
    server = root / "ConAktiv Server"
    (server / "Server Database" / "Preferences").mkdir(parents=True)
    (server / "Server Database" / "Preferences" / "prefs.json").write_text("customer", encoding="utf-8")
    (server / "cert.pem").write_text("CUSTOMER CERT", encoding="utf-8")
    (server / "version.txt").write_text("1.0.0", encoding="utf-8")
    staged = root / "Temp_Updateordner" / "ConAktiv Server"
    (staged / "Server Database" / "Preferences").mkdir(parents=True)
    (staged / "Server Database" / "Preferences" / "prefs.json").write_text("package default", encoding="utf-8")
    (staged / "cert.pem").write_text("DEMO CERT", encoding="utf-8")
    (staged / "version.txt").write_text("2.0.0", encoding="utf-8")
    return server


def plan_for(root: pathlib.Path, start_argv: tuple[str, ...] = (), pid_file: str | None = None, wait_s: int = 2) -> CutoverPlan:
    old = root / "ConAktiv Server_old0001"
    server = root / "ConAktiv Server"
    lines = journal_tails("run-1", version="2.0.0", old_name=old.name, old_path=str(old), resumed=False, lease_s=900,
                          start_lease_s=600 if start_argv else None, then=("structure_update", 3900) if start_argv else None)
    return CutoverPlan(journal=str(root / "journal.jsonl"), server=str(server), old=str(old),
                       staged=str(root / "Temp_Updateordner" / "ConAktiv Server"), move_old=True, items=ITEMS,
                       item_paths_old=tuple(str(old / item) for item in ITEMS), item_paths_new=tuple(str(server / item) for item in ITEMS),
                       begin_tail=lines.begin, done_tail=lines.done, start_tail=lines.start, start_done_tail=lines.start_done,
                       then_tail=lines.then, start_argv=start_argv, pid_file=pid_file, wait_s=wait_s)


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)


def cut_over(plan: CutoverPlan):
    done = run(posix_argv(plan))
    return read_posix_report(plan, done.returncode, done.stdout, done.stderr)


def journal(root: pathlib.Path) -> list[dict]:
    events, problems = parse_journal((root / "journal.jsonl").read_text(encoding="utf-8"))
    assert problems == []
    return events


def test_the_cutover_renames_carries_over_and_journals_in_one_command(tmp_path):
    server = site(tmp_path)
    report = cut_over(plan_for(tmp_path))
    assert report.failed_step is None and report.steps == ["stopped", "begin", "renamed_old", "renamed_new", "carried", "done"]
    assert report.carried == ["Server Database/Preferences", "cert.pem"] and report.absent == ["Resources/Hunspell"]
    assert (server / "version.txt").read_text(encoding="utf-8") == "2.0.0"
    assert (server / "Server Database" / "Preferences" / "prefs.json").read_text(encoding="utf-8") == "customer"
    assert (server / "cert.pem").read_text(encoding="utf-8") == "CUSTOMER CERT"
    assert (tmp_path / "ConAktiv Server_old0001" / "version.txt").read_text(encoding="utf-8") == "1.0.0"
    assert not (tmp_path / "Temp_Updateordner" / "ConAktiv Server").exists()
    events = journal(tmp_path)
    assert [(entry["phase"], entry["event"]) for entry in events] == [("swap", "begin"), ("swap", "done")]
    assert events[1]["data"]["carried_over"] == ["Server Database/Preferences", "cert.pem"]
    assert events[1]["data"]["not_present"] == ["Resources/Hunspell"]
    chain = read_journal((tmp_path / "journal.jsonl").read_text(encoding="utf-8")).chain("run-1")
    assert chain is not None and chain.done("swap")


def test_the_cutover_starts_the_server_and_records_the_start(tmp_path):
    site(tmp_path)
    marker = tmp_path / "started"
    report = cut_over(plan_for(tmp_path, start_argv=("touch", str(marker))))
    assert report.failed_step is None and report.started and report.steps[-4:] == ["start_begin", "started", "start_done", "then_begin"]
    assert marker.exists()
    events = journal(tmp_path)
    assert [(entry["phase"], entry["event"]) for entry in events][-3:] == [("start", "begin"), ("start", "done"), ("structure_update", "begin")]
    started_at = events[-2]["data"]["started_at"]
    assert isinstance(started_at, (int, float)) and abs(started_at - datetime.datetime.now().timestamp()) < 60
    # The leases count from the host's time of each line: the stop before the cutover may have taken long.
    state = read_journal((tmp_path / "journal.jsonl").read_text(encoding="utf-8")).run("run-1")
    assert state is not None and events[-1]["lease_s"] == 3900
    lease = datetime.datetime.fromisoformat(state.lease_until) - datetime.datetime.fromisoformat(events[-1]["at"])
    assert lease.total_seconds() == 3900


def test_a_failing_start_is_reported_as_the_start_with_the_swap_done(tmp_path):
    site(tmp_path)
    report = cut_over(plan_for(tmp_path, start_argv=("sh", "-c", "echo 'port 2048 in use' >&2; exit 3")))
    assert report.failed_step == "started" and "the start command exited 3" in report.error
    assert "done" in report.steps and not report.started
    assert [(entry["phase"], entry["event"]) for entry in journal(tmp_path)][-1] == ("start", "begin")


def test_a_server_still_running_stops_the_cutover_before_anything_moves(tmp_path):
    server = site(tmp_path)
    pid_file = tmp_path / "server.pid"
    pid_file.write_text("4711", encoding="utf-8")
    report = cut_over(plan_for(tmp_path, pid_file=str(pid_file), wait_s=1))
    assert report.failed_step == "stopped" and "still runs" in report.error and report.steps == []
    assert (server / "version.txt").read_text(encoding="utf-8") == "1.0.0" and not (tmp_path / "journal.jsonl").exists()
    assert "nothing was changed" in report.failure_message()


def test_an_existing_old_folder_is_never_overwritten(tmp_path):
    server = site(tmp_path)
    (tmp_path / "ConAktiv Server_old0001").mkdir()
    report = cut_over(plan_for(tmp_path))
    assert report.failed_step == "renamed_old" and "exists already" in report.error and report.steps == ["stopped", "begin"]
    assert (server / "version.txt").read_text(encoding="utf-8") == "1.0.0"


def test_a_torn_last_journal_line_is_not_glued_to_the_next(tmp_path):
    site(tmp_path)
    (tmp_path / "journal.jsonl").write_text('{"at":"2026-01-01T00:00:00+00:00","event":"op', encoding="utf-8")
    assert cut_over(plan_for(tmp_path)).failed_step is None
    events, problems = parse_journal((tmp_path / "journal.jsonl").read_text(encoding="utf-8"))
    assert len(problems) == 1 and [(entry["phase"], entry["event"]) for entry in events] == [("swap", "begin"), ("swap", "done")]


@pytest.mark.parametrize(("rc", "stdout", "failed"), [(0, "stopped\nbegin\n", None), (13, "stopped\nbegin\nrenamed_old\n", "renamed_new"),
                                                      (99, "stopped\n", "begin")])
def test_the_report_names_the_failed_step_from_the_exit_code(rc: int, stdout: str, failed: str | None):
    report = read_posix_report(plan_for(pathlib.Path("/srv")), rc, stdout, "boom")
    assert report.failed_step == failed and report.steps == stdout.split()


# -- staging --------------------------------------------------------------------------------------------


def stage(tmp_path: pathlib.Path, package: pathlib.Path, kind: str = "zip", required: tuple[str, ...] = ("version.txt",), reference: str = "",
          manifest: str | None = None):
    temp = tmp_path / "Temp_Updateordner"
    argv = ["sh", "-c", STAGE_SCRIPT, "conaktiv-stage", str(temp), str(temp / ".unpack"), str(package), "ConAktiv Server",
            str(temp / "ConAktiv Server"), str(temp / "stage.json"), '{"version": "2.0.0"}', kind, reference,
            str(temp / "stage-manifest.txt") if manifest is not None else "", *required]
    return subprocess.run(argv, input=manifest or "", capture_output=True, text=True, check=False, timeout=60), temp


AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="giving files to another owner needs root (CI runs as root)")
# An owner and group no account on this machine has: only root can give files to them.
SERVICE_IDS = (4711, 4712)


def modes_and_owners(root: pathlib.Path) -> dict[str, tuple[int, int, int]]:
    """Path below ``root`` -> (mode bits, uid, gid), links not followed."""
    found = {}
    for path in [root, *sorted(root.rglob("*"))]:
        info = path.lstat()
        found[str(path.relative_to(root))] = (info.st_mode & 0o7777, info.st_uid, info.st_gid)
    return found


@AS_ROOT
def test_the_staged_tree_gets_the_owner_and_mode_of_the_server_folder_it_replaces(tmp_path):
    server = tmp_path / "ConAktiv Server"
    server.mkdir()
    os.chown(server, *SERVICE_IDS)
    server.chmod(0o750)
    package = tmp_path / "ConAktiv-2.0.0.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("ConAktiv Server/version.txt", "2.0.0")
        archive.writestr("ConAktiv Server/Server Database/Preferences/prefs.json", "{}")
    done, temp = stage(tmp_path, package, reference=str(server))
    assert done.returncode == 0, done.stderr
    staged = modes_and_owners(temp / "ConAktiv Server")
    assert staged["."] == (0o750, *SERVICE_IDS)
    assert {(uid, gid) for _mode, uid, gid in staged.values()} == {SERVICE_IDS}, "every file and folder of the tree"
    assert (temp.stat().st_mode & 0o777) == 0o700, "the temporary folder it created is private"


def test_without_root_the_staged_tree_keeps_its_owner_and_says_so(tmp_path):
    server = tmp_path / "ConAktiv Server"
    server.mkdir()
    package = tmp_path / "ConAktiv-2.0.0.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("ConAktiv Server/version.txt", "2.0.0")
    # A reference folder owned by someone else is simulated with a stat that reports another owner (PATH put first).
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "stat").write_text('#!/bin/sh\ncase "$*" in *"%u:%g"*"ConAktiv Server") case "$*" in *Temp_Updateordner*) exec /usr/bin/stat "$@";; esac;'
                               ' echo 4711:4712;; *) exec /usr/bin/stat "$@";; esac\n', encoding="utf-8")
    (fake / "stat").chmod(0o755)
    (fake / "id").write_text('#!/bin/sh\n[ "$1" = -u ] && { echo 1000; exit 0; }\nexec /usr/bin/id "$@"\n', encoding="utf-8")
    (fake / "id").chmod(0o755)
    temp = tmp_path / "Temp_Updateordner"
    argv = ["sh", "-c", f"PATH={fake}:$PATH; export PATH; " + STAGE_SCRIPT.replace("\ntemp=$1", "\n" + "temp=$1", 1), "conaktiv-stage",
            str(temp), str(temp / ".unpack"), str(package), "ConAktiv Server", str(temp / "ConAktiv Server"), str(temp / "stage.json"), "{}", "zip",
            str(server), "", "version.txt"]
    done = run(argv)
    assert done.returncode == 0, done.stderr
    mine = f"{os.getuid()}:{os.getgid()}"
    assert f"owner_differs {mine} 4711:4712" in done.stdout.splitlines()
    assert (temp / "ConAktiv Server").stat().st_uid == os.getuid(), "nothing was given away"


def test_staging_unpacks_renames_and_writes_the_marker_last(tmp_path):
    package = tmp_path / "ConAktiv-2.0.0.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("ConAktiv Server/version.txt", "2.0.0")
        archive.writestr("ConAktiv Server/Server Database/Preferences/prefs.json", "{}")
    done, temp = stage(tmp_path, package)
    assert done.returncode == 0, done.stderr
    assert (temp / "ConAktiv Server" / "version.txt").read_text(encoding="utf-8") == "2.0.0"
    assert json.loads((temp / "stage.json").read_text(encoding="utf-8")) == {"version": "2.0.0"}
    assert sorted(path.name for path in temp.iterdir()) == ["ConAktiv Server", "stage.json"]


def test_the_manifest_comes_on_stdin_byte_for_byte_and_stays_when_the_unpack_fails(tmp_path):
    text = "".join(f"{n:06d} {'ab' * 32} ConAktiv Server/file-{n}.txt\n" for n in range(3000))  # > 128 KiB: no argv could carry it
    package = tmp_path / "ConAktiv-2.0.0.zip"
    package.write_bytes(b"PK\x03\x04 not really a zip")
    done, temp = stage(tmp_path, package, manifest=text)
    assert done.returncode == 1 and "unzip could not unpack the package" in done.stderr
    assert (temp / "stage-manifest.txt").read_text(encoding="utf-8") == text, "written before the unpack, without a newline added"
    assert sorted(path.name for path in temp.iterdir()) == ["stage-manifest.txt"], "no marker without a good unpack"


def test_staging_without_a_required_item_leaves_nothing_and_no_marker(tmp_path):
    package = tmp_path / "ConAktiv-2.0.0.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("ConAktiv Server/readme.txt", "x")
    done, temp = stage(tmp_path, package)
    assert done.returncode == 1 and "lacks 'version.txt'" in done.stderr
    assert list(temp.iterdir()) == []


def test_a_damaged_package_fails_with_unzips_reason(tmp_path):
    package = tmp_path / "ConAktiv-2.0.0.zip"
    package.write_bytes(b"PK\x03\x04 not really a zip")
    done, temp = stage(tmp_path, package)
    assert done.returncode == 1 and "unzip could not unpack the package" in done.stderr
    assert list(temp.iterdir()) == []


# -- settling a backup ----------------------------------------------------------------------------------


def settle(made: pathlib.Path, target: pathlib.Path, expected: str = "", keep: int = 0, access: Access | None = None) -> subprocess.CompletedProcess[str]:
    limits = [access.file_mode, access.dir_mode, access.owner, access.group, access.owner_from] if access else []
    return run(["sh", "-c", SETTLE_BACKUP_SCRIPT, "conaktiv-backup", str(made), str(target), expected, str(keep), *limits])


def test_a_backup_is_private_from_the_move_on_and_a_new_folder_too(tmp_path):
    made = tmp_path / "online.zip"
    made.write_bytes(b"the whole CRM")
    made.chmod(0o644)
    target = tmp_path / "Backups" / "nested" / "ConAktiv-backup-pre-1.0.0-20261201-120000.zip"
    done = settle(made, target, access=Access())
    assert done.returncode == 0, done.stderr
    assert target.stat().st_mode & 0o777 == 0o600 and target.parent.stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "Backups").stat().st_mode & 0o077 == 0, "the parents made with it are private too"
    assert f"access {pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name} 600" in done.stdout.splitlines()
    assert "open_folder" not in done.stdout


def test_an_existing_folder_is_left_as_it_is_and_reported_when_every_user_may_list_it(tmp_path):
    folder = tmp_path / "Backups"
    folder.mkdir()
    folder.chmod(0o755)
    older = folder / "ConAktiv-backup-pre-0.9.0-20261101-120000.zip"
    older.write_bytes(b"older CRM")
    older.chmod(0o644)
    made = tmp_path / "online.zip"
    made.write_bytes(b"the whole CRM")
    done = settle(made, folder / "ConAktiv-backup-pre-1.0.0-20261201-120000.zip", access=Access())
    assert done.returncode == 0, done.stderr
    assert "open_folder" in done.stdout.splitlines() and folder.stat().st_mode & 0o777 == 0o755
    assert older.stat().st_mode & 0o777 == 0o600, "an older backup of this collection is made private as well"


@AS_ROOT
def test_a_backup_goes_to_the_server_folders_owner_and_the_admin_group(tmp_path):
    server = tmp_path / "ConAktiv Server"
    server.mkdir()
    os.chown(server, *SERVICE_IDS)
    made = tmp_path / "online.zip"
    made.write_bytes(b"the whole CRM")
    target = tmp_path / "Backups" / "ConAktiv-backup-pre-1.0.0-20261201-120000.zip"
    done = settle(made, target, access=Access(group=str(SERVICE_IDS[1] + 1), owner_from=str(server)))
    assert done.returncode == 0, done.stderr
    assert modes_and_owners(target.parent) == {".": (0o750, SERVICE_IDS[0], SERVICE_IDS[1] + 1), target.name: (0o640, SERVICE_IDS[0], SERVICE_IDS[1] + 1)}


def test_an_owner_only_root_could_give_fails_clearly_when_not_root(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "id").write_text('#!/bin/sh\n[ "$1" = -u ] && { echo 1000; exit 0; }\nexec /usr/bin/id "$@"\n', encoding="utf-8")
    (fake / "id").chmod(0o755)
    made = tmp_path / "online.zip"
    made.write_bytes(b"the whole CRM")
    access = Access(owner="conaktiv")
    done = run(["sh", "-c", f"PATH={fake}:$PATH; export PATH; " + SETTLE_BACKUP_SCRIPT, "conaktiv-backup", str(made), str(tmp_path / "B" / "x.zip"), "",
                "0", access.file_mode, access.dir_mode, access.owner, access.group, access.owner_from])
    assert done.returncode == 1 and "only root can change a file's owner" in done.stderr


def test_a_backup_is_checked_moved_and_pruned(tmp_path):
    folder = tmp_path / "Backups"
    folder.mkdir()
    older = [folder / f"ConAktiv-backup-pre-1.0.0-2026110{day}-120000.zip" for day in (1, 2, 3)]
    for path in older:
        path.write_bytes(b"old")
    foreign = folder / "ConAktiv-backup-by-hand.zip"
    foreign.write_bytes(b"mine")
    made = tmp_path / "online.zip"
    made.write_bytes(b"new backup")
    target = folder / "ConAktiv-backup-pre-1.0.0-20261201-120000.zip"
    digest = hashlib.sha256(b"new backup").hexdigest()
    done = settle(made, target, digest, keep=2)
    assert done.returncode == 0, done.stderr
    assert f"sha256 {digest}" in done.stdout.splitlines() and "size 10" in done.stdout.splitlines()
    assert sorted(path.name for path in folder.iterdir()) == sorted([older[2].name, target.name, foreign.name])
    assert not made.exists() and target.read_bytes() == b"new backup"


def test_a_backup_with_another_checksum_is_refused_and_left_where_it_is(tmp_path):
    made = tmp_path / "online.zip"
    made.write_bytes(b"new backup")
    done = settle(made, tmp_path / "Backups" / "x.zip", "0" * 64)
    assert done.returncode == 1 and "does not match the checksum" in done.stderr and made.exists()


def test_an_empty_backup_is_refused(tmp_path):
    made = tmp_path / "online.zip"
    made.write_bytes(b"")
    done = settle(made, made)
    assert done.returncode == 1 and "did not produce a file" in done.stderr


# -- the survey ------------------------------------------------------------------------------------------


def test_the_survey_reads_folders_files_links_space_tickets_and_the_clock_in_one_command(tmp_path):
    parent = tmp_path / "ConAktiv"
    (parent / "ConAktiv Server" / ".hidden").mkdir(parents=True)
    (parent / "ConAktiv Server" / "a name\nwith a line break ü").write_text("x", encoding="utf-8")
    (parent / "Temp_Updateordner").mkdir()
    (parent / "journal.jsonl").write_text('{"a": "ü"}\n', encoding="utf-8")
    (parent / "conaktiv-update-lock.000007").mkdir()
    (parent / "link").symlink_to(parent / "ConAktiv Server")
    dirs = [str(parent), str(parent / "ConAktiv Server"), str(parent / "Temp_Updateordner"), str(parent / "missing"), str(parent / "link")]
    files = [str(parent / "journal.jsonl"), str(parent / "missing.txt")]
    stats = [str(parent / "link"), str(parent / "ConAktiv Server"), str(parent / "journal.jsonl"), str(parent / "missing")]
    space = [str(parent), str(parent / "ConAktiv Server"), str(parent / "missing" / "x")]
    mtimes = [(str(parent), "conaktiv-update-lock.")]
    argv = ["sh", "-c", SURVEY_SCRIPT, "survey", str(len(dirs)), *dirs, str(len(files)), *files, str(len(stats)), *stats, str(len(space)), *space,
            str(len(mtimes)), *[part for pair in mtimes for part in pair], "sh", "-c", "echo noise; exit 3"]
    done = run(argv)
    assert done.returncode == 0, done.stderr
    seen = read_survey(done.stdout, dirs, files, stats, space, mtimes)
    assert seen.listings[str(parent)] == ["ConAktiv Server", "Temp_Updateordner", "conaktiv-update-lock.000007", "journal.jsonl", "link"]
    assert seen.listings[str(parent / "ConAktiv Server")] == [".hidden", "a name\nwith a line break ü"]
    assert seen.listings[str(parent / "Temp_Updateordner")] == [] and seen.listings[str(parent / "missing")] == []
    assert seen.listings[str(parent / "link")] == seen.listings[str(parent / "ConAktiv Server")], "a link to a folder lists the folder"
    assert seen.texts == {str(parent / "journal.jsonl"): '{"a": "ü"}\n', str(parent / "missing.txt"): None}
    link = seen.stats[str(parent / "link")]
    assert link.is_link and not link.is_dir and link.link_target == str(parent / "ConAktiv Server")
    assert seen.stats[str(parent / "ConAktiv Server")].is_dir and not seen.stats[str(parent / "journal.jsonl")].is_dir
    assert not seen.stats[str(parent / "missing")].exists
    assert seen.space[str(parent)][0] > 0 and seen.space[str(parent)][1] == seen.space[str(parent / "ConAktiv Server")][1]
    assert str(parent / "missing" / "x") not in seen.space
    ticket_age = datetime.datetime.now().timestamp() - seen.mtimes[mtimes[0]]["conaktiv-update-lock.000007"]
    assert 0 <= ticket_age < 60 and seen.now is not None and abs(seen.now - datetime.datetime.now().timestamp()) < 60
    assert seen.exit_code == 3, "the status command's exit code (an LSB 'not running')"
    assert seen.case_insensitive is False, "this volume tells ConAktiv Server from cONaKTIV sERVER"


def test_the_case_probe_says_nothing_without_a_name_that_has_letters(tmp_path):
    (tmp_path / "1.0").mkdir()
    done = run(["sh", "-c", SURVEY_SCRIPT, "survey", "1", str(tmp_path), "0", "0", "0", "0"])
    assert done.returncode == 0, done.stderr
    assert read_survey(done.stdout, [str(tmp_path)], [], [], [], []).case_insensitive is None


# -- commit ----------------------------------------------------------------------------------------------


def commit(*steps: tuple[str, str, str, list[str]]) -> subprocess.CompletedProcess[str]:
    argv = ["sh", "-c", COMMIT_SCRIPT, "commit"]
    for op, path, key, items in steps:
        argv += [op, path, key, str(len(items)), *items]
    return run(argv)


def test_commit_claims_writes_and_removes_in_order(tmp_path):
    journal_file, ticket, stale = tmp_path / "journal.jsonl", tmp_path / "lock.000002", tmp_path / "lock.000001"
    stale.mkdir()
    journal_file.write_text('{"torn', encoding="utf-8")
    done = commit(("claim", str(ticket), "", []), ("append", str(journal_file), "", ['{"n": 1}', '{"n": 2}']), ("remove", "", "", [str(stale)]))
    assert done.returncode == 0, done.stderr
    assert ticket.is_dir() and not stale.exists()
    assert journal_file.read_text(encoding="utf-8") == '{"torn\n{"n": 1}\n{"n": 2}\n', "a torn last line is never glued to the next"
    again = commit(("claim", str(ticket), "", []), ("append", str(journal_file), "", ['{"n": 3}']))
    assert again.returncode == 3, "the ticket is taken: nothing after the claim is done"
    assert '{"n": 3}' not in journal_file.read_text(encoding="utf-8")


def test_put_replaces_the_line_with_the_key_in_place_and_keeps_the_file_mode(tmp_path):
    history = tmp_path / "sub" / "history.jsonl"
    assert commit(("put", str(history), '"run_id":"b"', ['{"run_id":"b","v":1}'])).returncode == 0
    assert commit(("append", str(history), "", ['{"run_id":"c","v":1}'])).returncode == 0
    history.chmod(0o640)
    assert commit(("put", str(history), '"run_id":"b"', ['{"run_id":"b","v":2,"text":"a \\"quoted\\" \\\\ line"}'])).returncode == 0
    assert history.read_text(encoding="utf-8").splitlines() == ['{"run_id":"b","v":2,"text":"a \\"quoted\\" \\\\ line"}', '{"run_id":"c","v":1}']
    assert history.stat().st_mode & 0o777 == 0o640


def test_protect_makes_a_file_private_and_appends_and_puts_keep_it(tmp_path):
    history = tmp_path / "sub" / "history.jsonl"
    step = protecting(str(history))
    assert commit((step.op, step.path, step.key, list(step.lines))).returncode == 0
    assert history.read_text(encoding="utf-8") == "" and history.stat().st_mode & 0o777 == 0o600
    assert commit(("append", str(history), "", ['{"run_id":"a"}']), ("put", str(history), '"run_id":"b"', ['{"run_id":"b"}'])).returncode == 0
    assert history.stat().st_mode & 0o777 == 0o600 and history.read_text(encoding="utf-8") == '{"run_id":"a"}\n{"run_id":"b"}\n'
    journal_file = tmp_path / "journal.jsonl"
    journal_file.write_text("kept\n", encoding="utf-8")
    journal_file.chmod(0o644)
    group = grp.getgrgid(os.getgid()).gr_name
    step = protecting(str(journal_file), group)
    assert commit((step.op, step.path, step.key, list(step.lines))).returncode == 0
    assert journal_file.stat().st_mode & 0o777 == 0o640 and journal_file.read_text(encoding="utf-8") == "kept\n"


def test_protect_with_a_group_that_does_not_exist_fails_clearly(tmp_path):
    step = protecting(str(tmp_path / "journal.jsonl"), "no-such-group-here")
    done = commit((step.op, step.path, step.key, list(step.lines)))
    assert done.returncode == 1 and "cannot give" in done.stderr and "no-such-group-here" in done.stderr


def test_replace_writes_the_file_anew(tmp_path):
    journal_file = tmp_path / "journal.jsonl"
    journal_file.write_text("old\n", encoding="utf-8")
    assert commit(("replace", str(journal_file), "", ["new 1", "new 2"])).returncode == 0
    assert journal_file.read_text(encoding="utf-8") == "new 1\nnew 2\n" and list(tmp_path.iterdir()) == [journal_file]


# -- a command with its journal lines ----------------------------------------------------------------------


def test_a_journaled_command_writes_begin_before_and_done_after_with_its_slots_filled(tmp_path):
    journal_file = tmp_path / "journal.jsonl"
    moment = datetime.datetime.now(datetime.timezone.utc)
    begin = entry_line("r1", "begin", at=moment, phase="backup_pre", lease_until=moment)
    done = with_slots(entry_line("r1", "done", at=moment, phase="backup_pre", data={"changed": True, "path": "/b/x.zip"}),
                      numbers={"size": "size", "stopped_at": "epoch"}, strings={"sha256": "sha256"})
    assert slot("size") in done
    script = f"test -s {tmp_path}/journal.jsonl && echo output && echo '@set sha256 abc123' && echo '@set size 42'"
    result = run(journaled(["sh", "-c", script], Bracket(str(journal_file), (begin,), (done,))))
    assert result.returncode == 0, result.stderr
    assert "output" in result.stdout.splitlines(), "the command's own output is passed on"
    events = journal(tmp_path)
    assert [entry["event"] for entry in events] == ["begin", "done"], "the begin is written before the command runs"
    assert events[1]["data"]["sha256"] == "abc123" and events[1]["data"]["size"] == 42 and events[1]["data"]["path"] == "/b/x.zip"
    assert abs(events[1]["data"]["stopped_at"] - datetime.datetime.now().timestamp()) < 60


def test_a_failing_journaled_command_writes_only_the_begin_and_keeps_its_exit_code(tmp_path):
    journal_file = tmp_path / "journal.jsonl"
    moment = datetime.datetime.now(datetime.timezone.utc)
    bracket = Bracket(str(journal_file), (entry_line("r1", "begin", at=moment, phase="stop"),),
                      (entry_line("r1", "done", at=moment, phase="stop", data={"changed": True}),))
    result = run(journaled(["sh", "-c", "echo 'cannot stop' >&2; exit 7"], bracket))
    assert result.returncode == 7 and "cannot stop" in result.stderr
    assert [entry["event"] for entry in journal(tmp_path)] == ["begin"]


# -- READ_SCRIPT, through the command module's own code ------------------------------------------------------


def read(path: pathlib.Path) -> dict:
    """What PosixHost's read gets back for ``path`` (the module's result: rc, stdout as the adapter sees it)."""
    return host_command.run({"argv": ["sh", "-c", READ_SCRIPT, "conaktiv-read", str(path)]})


def test_read_returns_every_byte_of_a_file(tmp_path):
    data = "Zeile ü\n".encode() + bytes(range(256)) * 40 + b"\n\n"  # not UTF-8, more than one base64 line, two trailing line ends
    (tmp_path / "f").write_bytes(data)
    result = read(tmp_path / "f")
    assert result["rc"] == 0, result
    assert base64.b64decode(result["stdout"]) == data
    (tmp_path / "empty").write_bytes(b"")
    assert read(tmp_path / "empty")["rc"] == 0 and base64.b64decode(read(tmp_path / "empty")["stdout"]) == b""


def test_read_tells_a_missing_file_from_an_unreadable_one(tmp_path):
    assert read(tmp_path / "none")["rc"] == 3
    (tmp_path / "dangling").symlink_to(tmp_path / "none")
    assert read(tmp_path / "dangling")["rc"] == 3, "a dangling link reads as missing, as for ansible.builtin.slurp"
    (tmp_path / "folder").mkdir()
    result = read(tmp_path / "folder")
    assert result["rc"] not in (0, 3) and result["failed"] and result["stderr"], result


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv to look as another user")
def test_the_survey_fails_on_a_file_it_cannot_read_instead_of_reading_it_as_empty():
    """An unreadable run journal read as empty would be a wrong decision (a free lock, nothing to resume)."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="conaktiv-survey-"))  # not below tmp_path, whose parents only root may enter
    try:
        folder.chmod(0o755)
        journal = folder / "journal.jsonl"
        journal.write_text('{"event": "begin"}\n', encoding="utf-8")
        journal.chmod(0o600)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        done = run([*as_nobody, "sh", "-c", SURVEY_SCRIPT, "survey", "0", "1", str(journal), "0", "0", "0"])
        assert done.returncode == 1 and f"cannot read {journal}" in done.stderr, (done.stdout, done.stderr)
        journal.chmod(0o644)
        done = run([*as_nobody, "sh", "-c", SURVEY_SCRIPT, "survey", "0", "1", str(journal), "0", "0", "0"])
        assert done.returncode == 0 and read_survey(done.stdout, [], [str(journal)], [], [], []).texts[str(journal)] == '{"event": "begin"}\n'
    finally:
        shutil.rmtree(folder)
