# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host interface on Linux / macOS targets: shell scripts through ``conaktiv.server.host_command``, and ``ansible.builtin`` modules."""

from __future__ import annotations

import base64
import dataclasses
import pathlib
import time
import typing as t
import urllib.parse

from ._cutover import CutoverPlan, CutoverReport, posix_argv, read_posix_report
from ._host import Access, Bracket, CommandResult, Host, HttpResponse, PathStat, SettledBackup, Survey, Write, http_response
from ._jsonargs import refusal, rewritten_text
from ._runner import ModuleFailed, failure_message
from ._service import ServiceError
from ._time_zone import HostZone, posix_zone

#: Runs the adapter's commands and shell scripts: ansible.builtin.command's argv and stdin, without Python importing
#: Ansible's module runtime on the host for each call (about 0.2 s of CPU each; see plugins/modules/host_command.py).
COMMAND = "conaktiv.server.host_command"
#: Asks the control interface, from the host: ansible.builtin.uri's request and answer, in a tenth of its time on the host.
REQUEST = "conaktiv.server.host_request"


def _refuse_rewritten(module: str, args: dict[str, t.Any]) -> None:
    """Fail before the call when an argument holds a text ansible-core would rewrite (:mod:`._jsonargs`)."""
    marker = rewritten_text(args)
    if marker:
        raise ModuleFailed(module, refusal(module, marker), {})


class PosixHost(Host):
    """Maps host operations onto shell scripts run by ``conaktiv.server.host_command``, requests of ``conaktiv.server.host_request``,
    and ``ansible.builtin`` modules (and ``community.general.archive``) where a module does the job in one call."""

    family = "posix"
    flavour = pathlib.PurePosixPath
    case_insensitive = False

    def stat(self, path: str, checksum_algorithm: str | None = None) -> PathStat:
        args: dict[str, t.Any] = {"path": path, "follow": False, "get_mime": False, "get_attributes": False,
                                  "get_checksum": checksum_algorithm is not None}
        if checksum_algorithm:
            args["checksum_algorithm"] = checksum_algorithm
        found = self.runner.module("ansible.builtin.stat", args, probe=True)["stat"]
        if not found.get("exists"):
            return PathStat(exists=False)
        return PathStat(exists=True, is_dir=bool(found.get("isdir")), size=int(found.get("size", 0)),
                        checksum=found.get("checksum"), mode=found.get("mode"), mtime=found.get("mtime"),
                        is_link=bool(found.get("islnk")), link_target=found.get("lnk_source"))

    def list_existing_dirs(self, paths: list[str]) -> dict[str, list[str]]:
        if not paths:
            return {}
        # find reports a missing folder as a skipped path (and a warning), not as a failure.
        result = self.runner.module("ansible.builtin.find", {"paths": list(paths), "file_type": "any", "hidden": True, "recurse": False},
                                    probe=True, allow_failure=True)
        listing: dict[str, list[str]] = {path: [] for path in paths}
        for item in result.get("files", []):
            found = pathlib.PurePosixPath(item["path"])
            listing.setdefault(str(found.parent), []).append(found.name)
        return {path: sorted(listing.get(str(pathlib.PurePosixPath(path)), [])) for path in paths}

    def make_dir(self, path: str) -> bool:
        return bool(self.runner.module("ansible.builtin.file", {"path": path, "state": "directory"}).get("changed"))

    def remove(self, path: str) -> bool:
        return bool(self.runner.module("ansible.builtin.file", {"path": path, "state": "absent"}).get("changed"))

    def rename(self, source: str, target: str) -> None:
        # No module renames; mv within one volume is an atomic rename(2). -- ends option parsing.
        self._checked_run(["mv", "--", source, target], f"renaming {source} to {target}")

    def claim(self, path: str) -> bool:
        # mkdir(2) without -p fails with EEXIST when the folder exists: atomic, also between two hosts on NFS.
        result = self._command({"argv": ["mkdir", "-m", "0700", "--", path]})
        if result.get("rc") == 0 and not result.get("failed"):
            return True
        detail = str(result.get("stderr") or result.get("msg") or "").strip()
        # The message may be in the host's language: whether the path exists now decides.
        if "File exists" in detail or self.stat(path).exists:
            return False
        raise ModuleFailed(COMMAND, f"creating the lock ticket {path} failed: {detail}", result)

    def cutover(self, plan: CutoverPlan) -> CutoverReport:
        # One sh command (POSIX_SCRIPT): the steps must not wait for a round trip each while the server is down.
        result = self._command({"argv": posix_argv(plan)})
        if "rc" not in result:
            raise ModuleFailed(COMMAND, f"the cutover could not be run: {result.get('msg')}", result)
        return read_posix_report(plan, int(result["rc"]), str(result.get("stdout") or ""), str(result.get("stderr") or ""))

    def survey(self, dirs: t.Sequence[str] = (), files: t.Sequence[str] = (), stats: t.Sequence[str] = (),
               room: tuple[str, str | None] | None = None, mtimes: t.Sequence[tuple[str, str]] = (), run: t.Sequence[str] = ()) -> Survey:
        # One sh command (SURVEY_SCRIPT) instead of find, stat, slurp and df calls, one each.
        space = [path for path in (room or ()) if path]
        argv = ["sh", "-c", SURVEY_SCRIPT, "conaktiv-survey", str(len(dirs)), *dirs, str(len(files)), *files, str(len(stats)), *stats,
                str(len(space)), *space, str(len(mtimes))]
        for folder, prefix in mtimes:
            argv += [folder, prefix]
        argv += list(run)
        result = self._command({"argv": argv}, probe=True)
        if result.get("failed") or result.get("rc"):
            detail = " ".join(str(result.get("stderr") or result.get("msg") or "").split())
            raise ModuleFailed(COMMAND, f"looking at the host failed: {detail or 'exit code ' + str(result.get('rc'))}", result)
        found = read_survey(str(result.get("stdout") or ""), list(dirs), list(files), list(stats), space, list(mtimes))
        if found.case_insensitive is not None:
            # From here on this run's names compare as the volume does (macOS' APFS, a case-insensitive share).
            self.case_insensitive = found.case_insensitive
        if room:
            parent, server = room
            if parent not in found.space:
                raise ModuleFailed("df", f"cannot read the free disk space of {parent} (does it exist?)", result)
            free, volume = found.space[parent]
            found.room = (free, server is None or server not in found.space or found.space[server][1] == volume)
        return found

    def remove_many(self, paths: list[str]) -> None:
        if paths:
            self._checked_run(["rm", "-rf", "--", *paths], f"removing {', '.join(paths)}")

    def same_volume(self, first: str, second: str) -> bool:
        lines = self._checked_run(["df", "-P", "--", first, second], f"finding the volumes of {first} and {second}", probe=True).stdout
        mounts = [_mount_point(line) for line in lines.strip().splitlines()[1:]]
        return len(mounts) == 2 and mounts[0] == mounts[1]

    def room(self, parent: str, server: str | None) -> tuple[int, bool]:
        # One df for both: the free space beside the server folder and whether the rename stays on one volume.
        paths = [parent] + ([server] if server else [])
        out = self._checked_run(["df", "-Pk", "--", *paths], f"reading the free disk space and the volume of {parent}", probe=True).stdout
        lines = out.strip().splitlines()[1:]
        try:
            free = int(lines[0].split()[3]) * 1024
        except (IndexError, ValueError) as exc:
            raise ModuleFailed("df", f"unexpected df output for {parent}: {out!r}", {}) from exc
        mounts = [_mount_point(line) for line in lines]
        return free, len(mounts) < 2 or mounts[0] == mounts[1]

    def settle_backup(self, made: str, target: str, expected_sha256: str | None, keep: int, journal: Bracket | None = None,
                      access: Access | None = None) -> SettledBackup:
        # One sh command (SETTLE_BACKUP_SCRIPT) instead of stat, mkdir, mv, stat, find and rm; the journal lines in the same call.
        limits = [access.file_mode, access.dir_mode, access.owner, access.group, access.owner_from] if access else []
        argv = journaled(["sh", "-c", SETTLE_BACKUP_SCRIPT, "conaktiv-backup", made, target, expected_sha256 or "", str(max(0, keep)), *limits],
                         journal)
        result = self._command({"argv": argv})
        if result.get("failed") or result.get("rc"):
            detail = " ".join(str(result.get("stderr") or result.get("msg") or "").split())
            raise ModuleFailed(COMMAND, detail or f"settling the backup exited {result.get('rc')}", result)
        facts: dict[str, str] = {}
        removed = []
        warnings = []
        for line in str(result.get("stdout") or "").splitlines():
            key, _space, value = line.partition(" ")
            if key == "removed":
                removed.append(self.join(self.parent(target), value))
            elif key in ("sha256", "size", "access"):
                facts[key] = value
            elif key == "open_folder":
                warnings.append(f"every user of the host may list the backup folder {self.parent(target)} (the backups themselves are "
                                "readable by their owner only); consider chmod o-rwx on it")
        owner, group, mode = (facts.get("access", "").split(" ") + ["", "", ""])[:3]
        if access and mode.isdigit() and int(mode[-1]) & 4:
            warnings.append(f"every user of the host may read the backup {target} (owner {owner}, mode {mode.zfill(4)}): only its owner or "
                            "root can change that; run the update with become")
        return SettledBackup(target, int(facts.get("size") or 0), facts.get("sha256") or None, removed,
                             access={"owner": owner, "group": group, "mode": mode.zfill(4)} if mode else None, warnings=warnings)

    def take_access_of(self, tree: str, reference: str) -> list[str]:
        done = self._checked_run(["sh", "-c", TAKE_ACCESS_SCRIPT, "conaktiv-access", tree, reference], f"giving {tree} the access of {reference}")
        return _owner_warnings(done.stdout, tree, reference)

    def make_private_dir(self, path: str, access: Access) -> bool:
        done = self._checked_run(["sh", "-c", PRIVATE_DIR_SCRIPT, "conaktiv-folder", path, access.dir_mode, access.owner, access.group,
                                  access.owner_from], f"creating the folder {path}")
        return done.stdout.strip() == "created"

    def stage_package(self, package: str, temp: str, unpack_dir: str, top: str | None, staged_tree: str, marker_path: str,
                      marker_text: str, required: list[str], journal: Bracket | None = None, reference: str | None = None,
                      manifest: tuple[str, str] | None = None) -> list[str]:
        # One transfer and one sh command (STAGE_SCRIPT), instead of a copy and an unarchive module and their checks: the
        # members were checked on the controller already. The manifest travels as the command's stdin (no argv limit).
        remote = self.runner.transfer(package)
        kind = "zip" if package.lower().endswith(".zip") else "tar"
        argv = journaled(["sh", "-c", STAGE_SCRIPT, "conaktiv-stage", temp, unpack_dir, remote, top or "", staged_tree, marker_path, marker_text,
                          kind, reference or "", manifest[0] if manifest else "", *[item.strip("/") for item in required]], journal)
        args: dict[str, t.Any] = {"argv": argv}
        if manifest:
            args["stdin"] = manifest[1]
        result = self._command(args)
        if result.get("failed") or result.get("rc"):
            detail = " ".join(str(result.get("stderr") or result.get("msg") or "").split())
            raise ModuleFailed(COMMAND, detail or f"the unpack exited {result.get('rc')}", result)
        return _owner_warnings(str(result.get("stdout") or ""), staged_tree, reference or "")

    def free_bytes(self, path: str) -> int:
        out = self._checked_run(["df", "-Pk", "--", path], f"reading free disk space of {path}", probe=True).stdout
        try:
            return int(out.strip().splitlines()[-1].split()[3]) * 1024
        except (IndexError, ValueError) as exc:
            raise ModuleFailed("df", f"unexpected df output for {path}: {out!r}", {}) from exc

    def volume_id(self, path: str) -> str:
        return _mount_point(self._checked_run(["df", "-P", "--", path], f"finding the volume of {path}", probe=True).stdout.strip().splitlines()[-1])

    def put_file(self, local_path: str, remote_path: str) -> None:
        self.runner.action("ansible.builtin.copy", {"src": local_path, "dest": remote_path})

    def unpack(self, archive: str, target: str) -> None:
        self.runner.module("ansible.builtin.unarchive", {"src": archive, "dest": target, "remote_src": True})

    def make_zip(self, sources: list[str], target: str) -> None:
        # The archive holds the whole CRM: readable by its owner only from the start (settle_backup may open it to a group).
        self.runner.module("community.general.archive", {"path": sources, "dest": target, "format": "zip", "force_archive": True, "mode": "0600"})

    def _slurp(self, path: str) -> bytes | None:
        # The bytes ansible.builtin.slurp would return (base64 on the way), through the cheap command module.
        result = self._command({"argv": ["sh", "-c", READ_SCRIPT, "conaktiv-read", path]}, probe=True)
        if result.get("rc") == 3:
            return None
        if result.get("failed") or result.get("rc"):
            detail = " ".join(str(result.get("stderr") or result.get("msg") or "").split())
            raise ModuleFailed(COMMAND, f"reading {path} failed: {detail or 'exit code ' + str(result.get('rc'))}", result)
        return base64.b64decode(str(result.get("stdout") or ""))

    def _command(self, args: dict[str, t.Any], probe: bool = False) -> dict[str, t.Any]:
        """Run :data:`COMMAND` with ``args`` (``argv``, optional ``stdin``); its result, a failure included."""
        _refuse_rewritten(COMMAND, args)
        return self.runner.module(COMMAND, args, probe=probe, allow_failure=True)

    def run(self, command: list[str], probe: bool = False) -> CommandResult:
        result = self._command({"argv": command}, probe=probe)
        if result.get("failed") and "rc" not in result:
            raise ModuleFailed(COMMAND, str(result.get("msg")), result)
        return CommandResult(rc=int(result.get("rc", 1)), stdout=str(result.get("stdout", "")), stderr=str(result.get("stderr", "")))

    def _checked_run(self, command: list[str], what: str, probe: bool = False) -> CommandResult:
        result = self._command({"argv": command}, probe=probe)
        if result.get("failed") or result.get("rc"):
            detail = str(result.get("stderr") or result.get("msg") or "").strip()
            raise ModuleFailed(COMMAND, f"{what} failed: {detail}", result)
        return CommandResult(rc=0, stdout=str(result.get("stdout", "")), stderr=str(result.get("stderr", "")))

    def tree_digests(self, folder: str) -> dict[str, tuple[int, str]]:
        result = self.runner.module("ansible.builtin.find", {"paths": [folder], "recurse": True, "hidden": True, "file_type": "file",
                                                             "follow": False, "get_checksum": True, "checksum_algorithm": "sha256"}, probe=True)
        prefix = folder.rstrip("/") + "/"
        return {str(item["path"])[len(prefix):]: (int(item["size"]), str(item["checksum"])) for item in result.get("files") or []
                if str(item.get("path", "")).startswith(prefix)}

    def kill_server(self, settings: dict[str, t.Any], pid_file: str | None, timeout: float) -> str:
        if settings["manager"] == "systemd":
            # systemd sends the signal to every process of the unit and then reports it failed (inactive): stopped.
            result = self.run(["systemctl", "kill", "--signal=SIGKILL", "--", settings["name"]])
            if result.rc != 0:
                raise ServiceError(f"systemctl kill --signal=SIGKILL {settings['name']} failed: {(result.stderr or result.stdout).strip()}")
            deadline = time.monotonic() + timeout
            while self.service_state(settings["name"]) not in ("stopped", None):
                if time.monotonic() >= deadline:
                    raise ServiceError(f"the unit {settings['name']!r} still runs {timeout:g} s after systemctl kill")
                time.sleep(1)
            if pid_file:
                self.remove(pid_file)  # every process of the unit is gone: nobody else removes it now
            return f"systemctl kill --signal=SIGKILL {settings['name']}"
        if not pid_file:
            raise ServiceError("ending the server by force needs its pid file (pid_file) when it is run by commands")
        result = self.run(["sh", "-c", KILL_SCRIPT, "kill", pid_file, str(max(1, int(timeout)))])
        if result.rc != 0:
            raise ServiceError(f"ending the server by force failed: {(result.stderr or result.stdout).strip() or f'exit code {result.rc}'}")
        return f"kill -KILL {result.stdout.strip()} ({pid_file})"

    def time_zone(self) -> HostZone:
        return posix_zone(self._checked_run(["sh", "-c", TIME_ZONE_SCRIPT], "reading the time zone", probe=True).stdout)

    def service_state(self, name: str) -> str | None:
        result = self.runner.module("ansible.builtin.systemd_service", {"name": name}, probe=True, allow_failure=True)
        status = result.get("status") or {}
        if result.get("failed") or status.get("LoadState") == "not-found":
            return None
        # A unit on its way up or down is neither running nor stopped yet.
        return {"active": "running", "reloading": "running", "activating": "starting", "deactivating": "stopping"}.get(
            str(status.get("ActiveState")), "stopped")

    def set_service(self, name: str, state: str, timeout: float | None = None) -> None:
        # systemd bounds a start/stop job itself (TimeoutStartSec / TimeoutStopSec of the unit).
        del timeout
        self.runner.module("ansible.builtin.systemd_service", {"name": name, "state": state})

    def set_service_journaled(self, name: str, state: str, timeout: float | None = None, journal: Bracket | None = None) -> None:
        if not journal:
            self.set_service(name, state, timeout)
            return
        # With journal lines: systemctl itself (what systemd_service runs), inside the one command that writes them.
        verb = {"started": "start", "stopped": "stop"}.get(state)
        if verb is None:
            raise ValueError(f"a service can be driven to 'started' or 'stopped', not {state!r}")
        result = self.run_change(["systemctl", verb, "--", name], journal)
        if result.rc != 0:
            raise ModuleFailed(COMMAND, f"systemctl {verb} {name} failed: {(result.stderr or result.stdout).strip()}",
                               {"rc": result.rc})

    def run_change(self, command: list[str], journal: Bracket | None = None) -> CommandResult:
        # One round trip: the journal's lines before and after the command are written by the same sh (JOURNALED_SCRIPT).
        return self.run(journaled(command, journal))

    def commit(self, steps: t.Sequence[Write]) -> bool:
        # One sh command (COMMIT_SCRIPT) for all the steps.
        if not steps:
            return True
        argv = ["sh", "-c", COMMIT_SCRIPT, "conaktiv-commit"]
        for step in steps:
            items = list(step.paths) if step.op == "remove" else list(step.lines)
            argv += [step.op, step.path, step.key, str(len(items)), *items]
        result = self._command({"argv": argv})
        if result.get("rc") == 3:
            return False
        if result.get("failed") or result.get("rc"):
            detail = " ".join(str(result.get("stderr") or result.get("msg") or "").split())
            raise ModuleFailed(COMMAND, detail or f"writing on the host exited {result.get('rc')}", result)
        return True

    def wait_for_port(self, port: int, state: str, timeout: int, host: str = "127.0.0.1") -> bool:
        result = self.runner.module("ansible.builtin.wait_for", {"host": host, "port": port, "state": state, "timeout": timeout, "sleep": 1},
                                    probe=True, allow_failure=True)
        return not result.get("failed")

    def clients_connected(self, port: int) -> bool:
        # wait_for state=drained counts only connections whose local address is its host option -- "0.0.0.0" every IPv4 one
        # (also IPv4-mapped on an IPv6 socket), "::" every IPv6 one -- and by default TIME_WAIT ones, which are no users
        # (ansible.builtin.wait_for, LinuxTCPConnectionInfo.get_active_connections_count). Other systems need psutil there.
        for address in ("0.0.0.0", "::"):
            result = self.runner.module("ansible.builtin.wait_for", {"host": address, "port": port, "state": "drained", "timeout": 1, "sleep": 1,
                                                                     "active_connection_states": ["ESTABLISHED", "SYN_RECV"]},
                                        probe=True, allow_failure=True)
            if not result.get("failed"):
                continue
            if "timeout when waiting" in str(result.get("msg", "")).lower():
                return True
            raise ModuleFailed("ansible.builtin.wait_for", f"counting the clients connected to port {port} failed: {failure_message(result)} "
                                                           "(set control so the server names its users instead)", result)
        return False

    def wait_for_absent(self, path: str, timeout: int) -> bool:
        result = self.runner.module("ansible.builtin.wait_for", {"path": path, "state": "absent", "timeout": timeout, "sleep": 1},
                                    probe=True, allow_failure=True)
        return not result.get("failed")

    def http(self, method: str, url: str, headers: dict[str, str], body: t.Any = None, timeout: int = 30) -> HttpResponse:
        args: dict[str, t.Any] = {"url": url, "method": method, "headers": headers, "timeout": timeout}
        if body is not None:
            args["body"] = body
        _refuse_rewritten(REQUEST, args)
        # The headers carry the control token, the URL may carry a password: pipelined, so that neither is ever written to a
        # file on the host (Runner), and kept out of Ansible's own output.
        secret = bool(headers) or urllib.parse.urlsplit(url).password is not None
        result = self.runner.module(REQUEST, args, probe=method == "GET", allow_failure=True, no_log=secret)
        return http_response(result, "status")


# Owner, group and permission bits of a path: GNU stat first, then BSD/macOS stat.
_STAT = r"""
owner_of() { stat -c %U -- "$1" 2>/dev/null || stat -f %Su -- "$1"; }
group_of() { stat -c %G -- "$1" 2>/dev/null || stat -f %Sg -- "$1"; }
ids_of() { stat -c %u:%g -- "$1" 2>/dev/null || stat -f %u:%g -- "$1"; }
perm_of() { stat -c %a -- "$1" 2>/dev/null || stat -f %Lp -- "$1"; }
# The owner to give new files to: $1, else the owner of $2 (the server folder); printed empty when nothing is to change. Only root
# gives files away: a wanted owner fails without it, one taken from the server folder is then left to the running account.
pick_owner() {
  o=$1 d=''
  [ "$o" = "$(id -un)" ] && o=''
  # By number: the service user may have no name here (stat would say UNKNOWN).
  if [ -z "$1" ] && [ -n "$2" ] && [ -e "$2" ]; then o=$(ids_of "$2"); o=${o%%:*}; d=1; [ "$o" = "$(id -u)" ] && o=''; fi
  if [ -n "$o" ] && [ "$(id -u)" != 0 ]; then
    [ -n "$d" ] || { echo "cannot give the backup to $o: only root can change a file's owner (run the update with become)" >&2; return 1; }
    o=''
  fi
  printf '%s' "$o"
}
# Give tree $1 the owner, group (root only; else "owner_differs <have> <want>" is printed) and mode of folder $2, which it replaces.
take_access() {
  want=$(ids_of "$2") have=$(ids_of "$1")
  if [ "$want" != "$have" ]; then
    # -h: a link's own owner changes, never that of what it points to.
    if [ "$(id -u)" = 0 ]; then chown -hR -- "$want" "$1" || { echo "cannot give $1 the owner of $2 ($want)" >&2; return 1; }
    else echo "owner_differs $have $want"; fi
  fi
  chmod -- "$(perm_of "$2")" "$1" || { echo "cannot give $1 the mode of $2" >&2; return 1; }
}
# A new folder $1 (and its parents), private from the start (umask 077), then mode $2, owner $3 and group $4 where given.
make_private_dir() {
  (umask 077 && mkdir -p -- "$1") || { echo "cannot create the folder $1" >&2; return 1; }
  [ -z "$3" ] || chown -- "$3" "$1" || { echo "cannot give the folder $1 to $3" >&2; return 1; }
  [ -z "$4" ] || chgrp -- "$4" "$1" || { echo "cannot give the folder $1 to group $4" >&2; return 1; }
  [ -z "$2" ] || chmod -- "$2" "$1" || { echo "cannot set the mode of the folder $1 to $2" >&2; return 1; }
}
"""

# Host.take_access_of in one command. Positional: tree reference.
TAKE_ACCESS_SCRIPT = _STAT + r"""
[ -d "$2" ] || exit 0
take_access "$1" "$2"
"""

# Host.make_private_dir in one command: an existing folder is left as it is ("exists"), a new one is made private ("created").
# Positional: path dirmode owner group owner_from.
PRIVATE_DIR_SCRIPT = _STAT + r"""
[ -d "$1" ] && { echo exists; exit 0; }
owner=$(pick_owner "$3" "$5") || exit 1
make_private_dir "$1" "$2" "$owner" "$4" || exit 1
echo created
"""


# Unpack a transferred package into the temporary folder, in one command: leftovers of an earlier staging go first (marker
# first, so a crash in between reads as nothing staged), the package is unpacked (unzip keeps the file modes; tar for
# .tar.gz), the required items are checked, the tree gets the staged name and the marker is written (renamed into place).
# Anything failing removes what it unpacked. The staged tree gets the owner, group and mode of the server folder it will replace
# (``reference``; the server runs as its service user, not as the account Ansible connects with): changed when run as root,
# reported as "owner_differs <have> <want>" otherwise. A temporary folder it creates is private (0700). The manifest (its text on
# stdin) is written before the unpack, so that a marker never exists without it.
# Positional: temp unpack package top staged marker marker_text kind reference manifest required...
STAGE_SCRIPT = _STAT + r"""
temp=$1 unpack=$2 package=$3 top=$4 staged=$5 marker=$6 marker_text=$7 kind=$8 reference=$9
shift 9
manifest=$1
shift
fail() { rm -rf -- "$unpack"; echo "$1" >&2; exit 1; }
[ -d "$temp" ] || (umask 077 && mkdir -p -- "$temp") || fail "cannot create $temp"
rm -f -- "$marker" && rm -rf -- "$staged" "$unpack" || fail "cannot remove the earlier staging in $temp"
if [ -n "$manifest" ]; then
  cat > "$manifest.tmp" && mv -f -- "$manifest.tmp" "$manifest" || { rm -f -- "$manifest.tmp"; fail "cannot write the manifest $manifest"; }
fi
mkdir -- "$unpack" || fail "cannot create $unpack"
if [ "$kind" = zip ]; then
  command -v unzip >/dev/null 2>&1 || fail "unzip is not installed on this host (needed for .zip packages)"
  # unzip reports a full disk as "write error (disk full?)" and then asks whether to go on: stdin closed, output kept.
  out=$(unzip -qq -o "$package" -d "$unpack" 2>&1 </dev/null) || case $out in
    *"disk full"*) fail "No space left on device: unzip could not write into $unpack ($(echo "$out" | head -n 1))" ;;
    *) fail "unzip could not unpack the package: $out" ;;
  esac
else
  out=$(tar -xzf "$package" -C "$unpack" 2>&1 </dev/null) || fail "tar could not unpack the package: $out"
fi
tree=$unpack
[ -n "$top" ] && tree=$unpack/$top
for item in "$@"; do
  [ -e "$tree/$item" ] || fail "the unpacked tree lacks '$item'"
done
if [ -n "$reference" ] && [ -d "$reference" ]; then
  take_access "$tree" "$reference" || fail "the staged tree could not be given the access of $reference"
fi
mv -- "$tree" "$staged" || fail "cannot rename $tree to $staged"
rm -rf -- "$unpack"
printf '%s' "$marker_text" > "$marker.tmp" && mv -- "$marker.tmp" "$marker" || fail "cannot write the stage marker $marker"
"""


# A backup into its place, in one command: not empty, its sha256 (checked when the server reported one), private to its owner
# (MODE, e.g. 0600; 0640 with a GROUP) before it moves into the backup folder (created DIRMODE when missing; "open_folder" printed
# when an existing one lets every user list it), given to OWNER (empty: the owner of OWNER_FROM, the server folder, where root
# may change it), and retention - all but the newest KEEP of this collection's backups (ConAktiv-backup-<label>-<version>-
# <stamp>.zip, sorted by stamp) removed, never the new one; the older ones get MODE too.
# Positional: made target expected_sha256 keep [mode dirmode owner group owner_from].
SETTLE_BACKUP_SCRIPT = _STAT + r"""
made=$1 target=$2 expected=$3 keep=$4 mode=${5:-} dirmode=${6:-} owner=${7:-} group=${8:-} owner_from=${9:-}
fail() { echo "$1" >&2; exit 1; }
[ -s "$made" ] || fail "the backup did not produce a file at $made"
# A backup the server wrote belongs to its service user: without root its mode may stay (the access line tells, the action warns).
[ -z "$mode" ] || chmod -- "$mode" "$made" 2>/dev/null
if command -v sha256sum >/dev/null 2>&1; then sum=$(sha256sum "$made"); else sum=$(shasum -a 256 "$made"); fi
sum=${sum%% *}
[ -n "$expected" ] && [ "$sum" != "$expected" ] && fail "the backup $made does not match the checksum the server reported"
owner=$(pick_owner "$owner" "$owner_from") || exit 1
dir=$(dirname "$target")
if [ ! -d "$dir" ]; then
  make_private_dir "$dir" "$dirmode" "$owner" "$group" || exit 1
elif [ -n "$mode" ] && [ -n "$(find "$dir" -maxdepth 0 -perm -0004 2>/dev/null)" ]; then
  echo "open_folder"
fi
if [ "$made" != "$target" ]; then
  mv -- "$made" "$target" || fail "cannot move $made to $target"
fi
[ -z "$owner" ] || chown -- "$owner" "$target" || fail "cannot give the backup $target to $owner"
[ -z "$group" ] || chgrp -- "$group" "$target" || fail "cannot give the backup $target to group $group"
if [ -n "$mode" ]; then
  for older in "$dir"/ConAktiv-backup-*.zip; do
    [ -f "$older" ] && [ ! -L "$older" ] && chmod -- "$mode" "$older" 2>/dev/null
  done
fi
size=$(wc -c < "$target" | tr -d ' ')
echo "sha256 $sum"
echo "size $size"
echo "access $(owner_of "$target") $(group_of "$target") $(perm_of "$target")"
echo "@set sha256 $sum"
echo "@set size $size"
[ "$keep" -gt 0 ] || exit 0
dir=$(dirname "$target") new=$(basename "$target")
pattern='s/^\(ConAktiv-backup-[A-Za-z0-9_][A-Za-z0-9_]*-.*-\([0-9]\{8\}-[0-9]\{6\}\)\.zip\)$/\2 \1/p'
names=$(ls -1 "$dir" | grep -vxF "$new" | sed -n "$pattern" | sort | cut -d' ' -f2-)
count=$(printf '%s\n' "$names" | grep -c .)
excess=$((count - keep + 1))
[ "$excess" -gt 0 ] || exit 0
printf '%s\n' "$names" | head -n "$excess" | while IFS= read -r name; do
  rm -f -- "$dir/$name" && echo "removed $name"
done
"""


# The host's time zone as every program there sees it: TZ, the zone /etc/localtime links to (Linux, macOS), /etc/timezone (Debian),
# and the UTC offset now; _time_zone.posix_zone picks from them.
TIME_ZONE_SCRIPT = r"""
[ -n "${TZ:-}" ] && printf 'TZ %s\n' "$TZ"
[ -L /etc/localtime ] && printf 'L %s\n' "$(readlink /etc/localtime)"
[ -r /etc/timezone ] && printf 'F %s\n' "$(head -n 1 /etc/timezone)"
printf 'O %s\n' "$(date +%z)"
"""


# End the server by force: the pid in its pid file gets SIGKILL; once that process is gone (at most $2 s) the pid file, which
# a killed process cannot remove, is removed too (the cutover waits for it, the next start would find it). Prints the pid.
# Exit 3: no readable pid; 4: the process is still there after $2 s (a process in uninterruptible sleep, e.g. on a hung NFS mount).
KILL_SCRIPT = r"""
pid=$(head -n 1 -- "$1" 2>/dev/null | tr -dc 0-9)
[ -n "$pid" ] || { echo "no process id in $1" >&2; exit 3; }
kill -KILL "$pid" 2>/dev/null
tries=$(($2 * 5))
while kill -0 "$pid" 2>/dev/null; do
  tries=$((tries - 1))
  [ "$tries" -gt 0 ] || { echo "process $pid is still there $2 s after SIGKILL" >&2; exit 4; }
  sleep 0.2
done
rm -f -- "$1"
echo "$pid"
"""


# One look at the host (Host.survey) in one command. Positional: n dirs..., n files..., n stats..., n space..., n (folder prefix)...
# Output, one line each: "L i <base64 of the NUL-separated names>" or "L i -" (not a folder); "F i <base64 text>" or "F i -";
# "S i <kind l|d|f> <mtime> <base64 link target>" or "S i -"; "D i <base64 of df -Pk's line>"; "M i <mtime> <base64 name>";
# "R <exit code>" of the read-only command that follows the mtimes pairs (its output dropped), when one is given;
# "T <host clock>". base64 and find -print0 keep any byte of a name (spaces, newlines, umlauts) intact; GNU and BSD alike.
# A file's bytes as base64 (line breaks are ignored when decoding); exit 3 when it does not exist (a dangling link neither, as
# for ansible.builtin.slurp), 1 when it cannot be read. Positional: path.
READ_SCRIPT = r"""
[ -e "$1" ] || exit 3
data=$(base64 < "$1") || exit 1
printf '%s' "$data"
"""


SURVEY_SCRIPT = r"""
b64() { base64 | tr -d '\n'; }
mtime() { stat -c %Y -- "$1" 2>/dev/null || stat -f %m -- "$1" 2>/dev/null || echo 0; }
count=$1; shift; i=0
[ "$count" -gt 0 ] && probe=$1 || probe=
while [ "$i" -lt "$count" ]; do
  if [ -d "$1" ]; then printf 'L %s ' "$i"; (cd -- "$1" && find . -mindepth 1 -maxdepth 1 -print0) | b64; echo; else echo "L $i -"; fi
  shift; i=$((i + 1))
done
# Whether the first folder's volume ignores letter case: an entry of it found again under its name in swapped case.
if [ -n "$probe" ] && [ -d "$probe" ]; then
  c=-
  for entry in "$probe"/*; do
    name=${entry##*/}
    swapped=$(printf '%s' "$name" | tr 'a-zA-Z' 'A-Za-z')
    [ "$swapped" = "$name" ] && continue
    if [ -e "$probe/$swapped" ] && [ "$entry" -ef "$probe/$swapped" ]; then c=1; else c=0; fi
    break
  done
  echo "C $c"
fi
count=$1; shift; i=0
while [ "$i" -lt "$count" ]; do
  if [ -f "$1" ]; then
    # A file there that cannot be read fails the look: read as empty, a run journal would be a wrong decision.
    data=$(base64 < "$1") || { echo "cannot read $1" >&2; exit 1; }
    printf 'F %s %s\n' "$i" "$(printf '%s' "$data" | tr -d '\n')"
  else echo "F $i -"; fi
  shift; i=$((i + 1))
done
count=$1; shift; i=0
while [ "$i" -lt "$count" ]; do
  if [ -L "$1" ]; then echo "S $i l $(mtime "$1") $(readlink "$1" | b64)"
  elif [ -d "$1" ]; then echo "S $i d $(mtime "$1")"
  elif [ -e "$1" ]; then echo "S $i f $(mtime "$1")"
  else echo "S $i -"; fi
  shift; i=$((i + 1))
done
count=$1; shift; i=0
while [ "$i" -lt "$count" ]; do
  echo "D $i $(df -Pk -- "$1" 2>/dev/null | tail -n 1 | b64)"
  shift; i=$((i + 1))
done
count=$1; shift; i=0
while [ "$i" -lt "$count" ]; do
  for entry in "$1"/"$2"*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    echo "M $i $(mtime "$entry") $(printf '%s' "${entry##*/}" | b64)"
  done
  shift 2; i=$((i + 1))
done
if [ "$#" -gt 0 ]; then "$@" > /dev/null 2>&1 < /dev/null; echo "R $?"; fi
echo "T $(date +%s)"
"""


# Appends one line to a file (its folder made), after a torn last line (no line end) a line end first; shared by the scripts below.
_JAPPEND = r"""
jappend() {
  [ -d "$(dirname "$1")" ] || mkdir -p "$(dirname "$1")" || return 1
  if [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" != '\n' ]; then printf '\n' >> "$1" || return 1; fi
  printf '%s\n' "$2" >> "$1"
}
"""

# Host.commit in one command. Positional, per step: op path key count items... (op: claim | append | put | replace | remove |
# protect).
# Exit 3: a claim found its path taken (nothing after it was done). put writes the file anew (renamed into place) with the
# line in place of the first one holding key, later ones dropped, at the end when none holds it.
COMMIT_SCRIPT = _JAPPEND + r"""
fail() { echo "$1" >&2; exit 1; }
while [ "$#" -gt 0 ]; do
  op=$1 target=$2 key=$3 count=$4
  shift 4
  case $op in
    claim)
      if ! mkdir -m 0700 -- "$target" 2>/dev/null; then [ -e "$target" ] && exit 3; mkdir -m 0700 -- "$target" || exit 1; fi ;;
    append)
      i=0
      while [ "$i" -lt "$count" ]; do jappend "$target" "$1" || fail "cannot append to $target"; shift; i=$((i + 1)); done ;;
    put)
      [ -d "$(dirname "$target")" ] || mkdir -p "$(dirname "$target")" || fail "cannot create the folder of $target"
      [ -e "$target" ] || : > "$target" || fail "cannot create $target"
      # The copy keeps the file's mode and owner; it is written anew and renamed into place (atomic).
      cp -p -- "$target" "$target.$$.tmp" || fail "cannot write $target.$$.tmp"
      LINE=$1 KEY=$key awk 'index($0, ENVIRON["KEY"]) { if (!put) print ENVIRON["LINE"]; put = 1; next } { print }
        END { if (!put) print ENVIRON["LINE"] }' "$target" > "$target.$$.tmp" && mv -f -- "$target.$$.tmp" "$target" \
        || { rm -f -- "$target.$$.tmp"; fail "cannot write $target"; }
      shift ;;
    replace)
      if [ -e "$target" ]; then cp -p -- "$target" "$target.$$.tmp" && : > "$target.$$.tmp"; else : > "$target.$$.tmp"; fi \
        || fail "cannot write $target.$$.tmp"
      i=0
      while [ "$i" -lt "$count" ]; do printf '%s\n' "$1" >> "$target.$$.tmp" || { rm -f -- "$target.$$.tmp"; fail "cannot write $target"; }
        shift; i=$((i + 1)); done
      mv -f -- "$target.$$.tmp" "$target" || { rm -f -- "$target.$$.tmp"; fail "cannot replace $target"; } ;;
    remove)
      i=0
      while [ "$i" -lt "$count" ]; do rm -rf -- "$1" || fail "cannot remove $1"; shift; i=$((i + 1)); done ;;
    protect)
      # Created private (umask 077), then given the group (key) and the mode; appends, put and replace keep both.
      if [ ! -e "$target" ]; then
        [ -d "$(dirname "$target")" ] || mkdir -p "$(dirname "$target")" || fail "cannot create the folder of $target"
        (umask 077 && : >> "$target") || fail "cannot create $target"
      fi
      [ -z "$key" ] || chgrp -- "$key" "$target" || fail "cannot give $target to group $key"
      chmod -- "$1" "$target" || fail "cannot set the mode of $target to $1"
      shift ;;
    *) fail "unknown step $op" ;;
  esac
  echo "$op"
done
"""

# A command with journal lines around it, in one round trip. Positional: journal n_before before... n_after after... argv...
# The before lines are written first; the command runs (its stdout passed on); only when it exits 0 are the after lines
# written, a slot (TAB name TAB) filled with the host's clock (epoch) or a value the command printed as "@set NAME VALUE".
JOURNALED_SCRIPT = _JAPPEND + r"""
journal=$1 count=$2
shift 2
epoch() { e=$(date +%s.%N 2>/dev/null); case $e in *N*|*.|'') date +%s ;; *) echo "$e" ;; esac; }
i=0
while [ "$i" -lt "$count" ]; do
  jappend "$journal" "$1" || { echo "cannot write the run journal $journal" >&2; exit 90; }
  shift; i=$((i + 1))
done
count=$1 after=''
shift
i=0
while [ "$i" -lt "$count" ]; do after="$after$1
"; shift; i=$((i + 1)); done
out=$("$@")
rc=$?
[ -n "$out" ] && printf '%s\n' "$out"
[ "$rc" -eq 0 ] || exit "$rc"
[ -n "$after" ] || exit 0
tab=$(printf '\t')
script="s/${tab}epoch${tab}/$(epoch)/g"
sets=$(printf '%s\n' "$out" | sed -n "s/^@set \([a-z_][a-z0-9_]*\) \([A-Za-z0-9._:+-]*\)\$/s\/${tab}\1${tab}\/\2\/g/p")
[ -n "$sets" ] && script="$script
$sets"
printf '%s' "$after" | sed "$script" | { while IFS= read -r line; do jappend "$journal" "$line" || exit 91; done; } \
  || { echo "cannot write the run journal $journal" >&2; exit 91; }
"""


def journaled(argv: list[str], journal: Bracket | None) -> list[str]:
    """``argv`` wrapped so that the same command writes ``journal``'s lines around it (unchanged without lines)."""
    if not journal:
        return argv
    return ["sh", "-c", JOURNALED_SCRIPT, "conaktiv-journaled", journal.path, str(len(journal.before)), *journal.before,
            str(len(journal.after)), *journal.after, *argv]


def _owner_warnings(stdout: str, tree: str, reference: str) -> list[str]:
    """Warnings for the ``owner_differs`` lines of take_access: the tree stayed with the account that runs the update."""
    warnings = []
    for line in stdout.splitlines():
        word, *ids = line.split() or [""]
        if word == "owner_differs" and len(ids) == 2:
            warnings.append(f"{tree} belongs to {ids[0]} (uid:gid), {reference}, which it replaces, to {ids[1]}: only root can give it that "
                            "owner; run the update with become, or the server may not be able to write its files")
    return warnings


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.strip() + "=" * (-len(text.strip()) % 4)) if text.strip() else b""


@dataclasses.dataclass
class _PosixSurvey(Survey):
    """A survey with the raw df answers (path -> free bytes, mount point) that ``room`` is computed from."""

    space: dict[str, tuple[int, str]] = dataclasses.field(default_factory=dict)


def read_survey(stdout: str, dirs: list[str], files: list[str], stats: list[str], space: list[str],
                mtimes: list[tuple[str, str]]) -> _PosixSurvey:
    """The survey from SURVEY_SCRIPT's output (see there)."""
    found = _PosixSurvey(listings={path: [] for path in dirs}, texts={path: None for path in files},
                         stats={path: PathStat(exists=False) for path in stats}, mtimes={pair: {} for pair in mtimes})
    for line in stdout.splitlines():
        kind, _space, rest = line.partition(" ")
        index_text, _space, value = rest.partition(" ")
        if kind == "T":
            found.now = float(index_text) if index_text.isdigit() else None
            continue
        if kind == "R":
            found.exit_code = int(index_text) if index_text.isdigit() else None
            continue
        if kind == "C":
            found.case_insensitive = {"1": True, "0": False}.get(index_text)
            continue
        if not index_text.isdigit():
            continue
        index = int(index_text)
        if kind == "L" and index < len(dirs) and value != "-":
            names = [name.decode("utf-8", "surrogateescape") for name in _unb64(value).split(b"\0") if name]
            found.listings[dirs[index]] = sorted(name[2:] if name.startswith("./") else name for name in names)
        elif kind == "F" and index < len(files) and value != "-":
            found.texts[files[index]] = _unb64(value).decode("utf-8", "replace")
        elif kind == "S" and index < len(stats) and value != "-":
            parts = value.split(" ")
            link = _unb64(parts[2]).decode("utf-8", "surrogateescape").rstrip("\n") if parts[0] == "l" and len(parts) > 2 else None
            found.stats[stats[index]] = PathStat(exists=True, is_dir=parts[0] == "d", is_link=parts[0] == "l", link_target=link,
                                                 mtime=float(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None)
        elif kind == "D" and index < len(space):
            df_line = _unb64(value).decode("utf-8", "surrogateescape").strip()
            if not df_line:
                continue  # df could not look at it (it does not exist): no entry
            try:
                found.space[space[index]] = (int(df_line.split()[3]) * 1024, _mount_point(df_line))
            except (IndexError, ValueError):
                raise ModuleFailed("df", f"cannot read the free disk space of {space[index]}: {df_line!r}", {}) from None
        elif kind == "M" and index < len(mtimes):
            stamp, _space, name = value.partition(" ")
            found.mtimes[mtimes[index]][_unb64(name).decode("utf-8", "surrogateescape")] = float(stamp) if stamp.isdigit() else 0.0
    return found


def _mount_point(df_line: str) -> str:
    """The "Mounted on" column of a ``df -P`` line: everything after the fifth field (it may hold spaces)."""
    fields = df_line.split(None, 5)
    return fields[5] if len(fields) == 6 else df_line
