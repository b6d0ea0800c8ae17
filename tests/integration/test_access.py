"""Who can read what the update leaves behind (issue 14), tried for real: a staging and an update of a simulator site whose
server folder belongs to a service user, run as root through ansible-playbook; then a second, unprivileged local user made
by this test tries to read every backup, the staged tree, the run journal, the history, the controller's cache and the
temporary folders. It must find nothing but the one file the test left public on purpose (which proves it could look)."""

from __future__ import annotations

import datetime
import os
import pathlib
import pwd
import grp
import shutil
import stat
import subprocess
import tempfile

import pytest

from playbook import REPO, run_playbook
from roleargs import role_vars, write_inventory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd"),
                       reason="needs root and useradd: the test makes a service user and an unprivileged user to try as"),
]

CARRIED = ("Server Database/Preferences", "Server Database/cert.pem", "Server Database/key.pem", "Server Database/Resources/Hunspell")


@pytest.fixture(name="accounts")
def fixture_accounts():
    """A service user (the server folder's owner), an admin group and an unprivileged user in neither; removed at the end."""
    tag = f"{os.getpid() % 100000}"
    made: list[tuple[str, str]] = []
    try:
        subprocess.run(["groupadd", "--system", f"cakadm{tag}"], check=True, capture_output=True)
        made.append(("groupdel", f"cakadm{tag}"))
        for name in (f"caksvc{tag}", f"cakprobe{tag}"):
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name],
                           check=True, capture_output=True)
            made.append(("userdel", name))
        yield pwd.getpwnam(f"caksvc{tag}"), grp.getgrnam(f"cakadm{tag}"), pwd.getpwnam(f"cakprobe{tag}")
    finally:
        for command, name in reversed(made):
            subprocess.run([command, name], check=False, capture_output=True)


@pytest.fixture(name="public_root")
def fixture_public_root():
    """A folder every local user may enter (pytest's own tmp folders are private to root: a probe there would prove nothing)."""
    root = pathlib.Path(tempfile.mkdtemp(prefix="conaktiv-access-", dir="/tmp"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def snapshot(folder: pathlib.Path) -> dict[str, tuple[int, int, int]]:
    """Relative path -> (permission bits, uid, gid) of ``folder`` and everything below it (links not followed)."""
    found = {}
    for path in [folder, *sorted(folder.rglob("*"))]:
        info = path.lstat()
        found[str(path.relative_to(folder))] = (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
    return found


def readable_by(user: pwd.struct_passwd, paths: list[pathlib.Path]) -> list[str]:
    """Every file below ``paths`` that ``user`` can open for reading, found by find(1) running as that user."""
    done = subprocess.run(["find", *map(str, paths), "(", "-type", "f", "-o", "-type", "l", ")", "-readable", "-print"],
                          user=user.pw_uid, group=user.pw_gid, extra_groups=[], capture_output=True, text=True, check=False, timeout=60)
    return sorted(done.stdout.splitlines())


def can_read(user: pwd.struct_passwd, path: pathlib.Path) -> bool:
    """Whether ``user`` can read the file (cat as that user)."""
    return subprocess.run(["cat", "--", str(path)], user=user.pw_uid, group=user.pw_gid, extra_groups=[], capture_output=True,
                          check=False, timeout=30).returncode == 0


def play(private: pathlib.Path, public: pathlib.Path, playbook: pathlib.Path, settings: dict, name: str):
    """ansible-playbook with the inventory (it holds the secrets) in a private folder and Ansible's temporary folders on the
    controller and the host (beside the results file) where the probe can look."""
    inventory = write_inventory(private / f"{name}.yml", {"localhost": settings})
    return run_playbook(playbook, public / "run" / f"{name}.jsonl", inventory=inventory)


def test_nothing_the_update_writes_is_readable_by_another_user(tmp_path, public_root, accounts, sim_package, ftp_server):
    from conaktiv_sim.testing import Site  # pylint: disable=import-outside-toplevel

    service, admins, probe = accounts
    site = Site.install(public_root / "site", version="1.0.0", faults={"migration_seconds": 1})
    try:
        # The server's certificate and its key (private), and a preference file of its own mode: carried over as they are.
        (site.server_dir / "Server Database" / "cert.pem").write_text("CERTIFICATE\n", encoding="utf-8")
        (site.server_dir / "Server Database" / "key.pem").write_text("PRIVATE KEY\n", encoding="utf-8")
        (site.server_dir / "Server Database" / "key.pem").chmod(0o600)
        (site.server_dir / "Server Database" / "Preferences" / "settings.json").chmod(0o640)
        # As an administrator sets it up: the server folder and the data belong to the service user, closed to others.
        for folder in (site.server_dir, site.data_dir):
            subprocess.run(["chown", "-R", f"{service.pw_uid}:{service.pw_gid}", str(folder)], check=True)
            folder.chmod(0o750)
        before = {item: snapshot(site.server_dir / item) for item in CARRIED if (site.server_dir / item).exists()}
        assert len(before) == len(CARRIED), before
        server_top = snapshot(site.server_dir)["."]
        site.start()
        (public_root / "run").mkdir(mode=0o755)
        control = public_root / "public.txt"
        control.write_text("anyone may read this\n", encoding="utf-8")
        control.chmod(0o644)

        package = sim_package("2.0.0", files=5)
        (ftp_server.root / package.name).write_bytes(package.read_bytes())
        backups = public_root / "Sicherungen"
        cache = public_root / "cache"
        tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
        settings = role_vars(site, package, conaktiv_update_source=f"{ftp_server.url}{package.name}",
                             conaktiv_update_source_username=ftp_server.user, conaktiv_update_source_password=ftp_server.password,
                             conaktiv_update_cache_dir=str(cache), conaktiv_update_backup_group=admins.gr_name, conaktiv_update_keep_old=1,
                             conaktiv_update_backup={"method": "server", "dir": str(backups), "keep": 5},
                             conaktiv_update_force=False, conaktiv_update_start_date=tomorrow,
                             conaktiv_update_time_from="22:00", conaktiv_update_time_to="02:00")

        # By day: the staging. The staged tree already has the server folder's owner and mode; its folder is private.
        staged_run = play(tmp_path, public_root, REPO / "playbooks" / "stage.yml", settings, "stage")
        assert staged_run.rc == 0, staged_run.output
        temp = site.root / "Temp_Updateordner"
        staged = snapshot(temp / "ConAktiv Server")
        assert staged["."] == server_top, "the staged tree has the owner, group and mode of the server folder it will replace"
        assert {(uid, gid) for _mode, uid, gid in staged.values()} == {(service.pw_uid, service.pw_gid)}
        assert stat.S_IMODE(temp.stat().st_mode) == 0o700
        assert readable_by(probe, [temp]) == [], "nothing of the staging is readable by another user"
        for name in ("stage.json", "stage-manifest.txt"):
            text = "".join(path.read_text(encoding="utf-8") for path in temp.glob(name))
            assert ftp_server.password not in text and site.token not in text

        # In the window: the update.
        updated = play(tmp_path, public_root, REPO / "playbooks" / "update.yml", {**settings, "conaktiv_update_force": True}, "update")
        assert updated.rc == 0, updated.output
        assert site.server_status()["version"] == "2.0.0"

        # Backups: the service user's, readable by the admin group, closed to everyone else; their new folder too.
        made = sorted(backups.glob("ConAktiv-backup-*.zip"))
        assert len(made) == 2, made
        expected = (0o640, service.pw_uid, admins.gr_gid)
        assert snapshot(backups) == {".": (0o750, service.pw_uid, admins.gr_gid), **{path.name: expected for path in made}}

        # The new server folder: owner, group and mode of the old one; the carried-over items file by file as they were.
        new, old = site.server_dir, site.root / "ConAktiv Server_old0001"
        assert snapshot(new)["."] == snapshot(old)["."] == server_top
        for item, was in before.items():
            assert snapshot(new / item) == was, f"{item} was carried over with another owner or mode"

        # Journal and history: the owner and the admin group only; no secret in them.
        for name in ("conaktiv-update-journal.jsonl", "conaktiv-update-history.jsonl"):
            path = site.root / name
            info = path.stat()
            assert (stat.S_IMODE(info.st_mode), info.st_gid) == (0o640, admins.gr_gid), name
            text = path.read_text(encoding="utf-8")
            assert ftp_server.password not in text and site.token not in text, name

        # The controller's cache: the user running Ansible's only.
        assert stat.S_IMODE(cache.stat().st_mode) == 0o700 and sorted(cache.rglob("*.zip"))
        assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in cache.rglob("*.zip"))

        # The try: everything the update wrote, and Ansible's temporary folders on the controller and the host.
        written = [backups, temp, cache, new, old, *(public_root / "run").glob(".ansible-*"), *(site.root / name for name in
                   ("conaktiv-update-journal.jsonl", "conaktiv-update-history.jsonl"))]
        assert can_read(probe, control) and readable_by(probe, [control]) == [str(control)], "the probe can look: it reads the public file"
        assert readable_by(probe, [path for path in written if path.exists()]) == [], "another user could read what the update wrote"
        assert not any(can_read(probe, path) for path in made)
    finally:
        site.cleanup()


def test_data_restored_by_a_rollback_belongs_to_the_service_user_as_before(tmp_path, public_root, accounts, sim_package):
    from conaktiv_sim.testing import Site  # pylint: disable=import-outside-toplevel

    service, _admins, _probe = accounts
    site = Site.install(public_root / "site", version="1.0.0", faults={"migration_seconds": 1, "structure_update_fail": {"versions": ["2.0.0"]}})
    try:
        subprocess.run(["chown", "-R", f"{service.pw_uid}:{service.pw_gid}", str(site.data_dir)], check=True)
        site.data_dir.chmod(0o750)
        before = snapshot(site.data_dir)
        top = before["."]
        records = {path.name: path.read_bytes() for path in (site.data_dir / "records").iterdir()}
        site.start()
        package = sim_package("2.0.0", files=3)
        settings = role_vars(site, package, conaktiv_update_backup={"method": "server", "dir": str(public_root / "Sicherungen"), "keep": 5})
        run = play(tmp_path, public_root, REPO / "playbooks" / "update.yml", settings, "update")
        assert run.rc != 0 and site.server_status()["version"] == "1.0.0", run.output
        assert (site.root / "ConAktiv Data_failed0001").is_dir(), "the data the failed structure update touched is kept"
        # The restored data is the service user's, with the folder's mode, as the data it replaced was.
        assert snapshot(site.data_dir)["."] == top
        # (The server, root in this test, writes its lock and pid files anew when it starts again: not restored, not compared.)
        after = snapshot(site.data_dir)
        restored = {path: after[path][1:] for path in before if path in after and path not in (".lock", "server.pid")}
        assert len(restored) > 3 and set(restored.values()) == {(service.pw_uid, service.pw_gid)}, after
        assert {path.name: path.read_bytes() for path in (site.data_dir / "records").iterdir()} == records
    finally:
        site.cleanup()
