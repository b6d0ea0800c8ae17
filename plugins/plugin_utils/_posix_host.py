# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host interface on Linux / macOS targets, through ``ansible.builtin`` modules."""

from __future__ import annotations

import pathlib
import typing as t

from ._host import CommandResult, Host, HttpResponse, PathStat, http_response
from ._runner import ModuleFailed


class PosixHost(Host):
    """Maps host operations onto ``ansible.builtin`` (and ``community.general.archive``)."""

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
        result = self.runner.module("ansible.builtin.command", {"argv": ["mkdir", "-m", "0700", "--", path]}, allow_failure=True)
        if result.get("rc") == 0 and not result.get("failed"):
            return True
        detail = str(result.get("stderr") or result.get("msg") or "").strip()
        # The message may be in the host's language: whether the path exists now decides.
        if "File exists" in detail or self.stat(path).exists:
            return False
        raise ModuleFailed("ansible.builtin.command", f"creating the lock ticket {path} failed: {detail}", result)

    def copy_tree(self, source: str, target: str) -> None:
        # cp -pR keeps modes and times on GNU and BSD alike; the copy module would merge into target.
        self._checked_run(["cp", "-pR", "--", source, target], f"copying {source} to {target}")

    def remove_many(self, paths: list[str]) -> None:
        if paths:
            self._checked_run(["rm", "-rf", "--", *paths], f"removing {', '.join(paths)}")

    def copy_into(self, sources: list[str], target_dir: str) -> None:
        if sources:
            self._checked_run(["cp", "-pR", "--", *sources, target_dir], f"copying {', '.join(sources)} into {target_dir}")

    def same_volume(self, first: str, second: str) -> bool:
        lines = self._checked_run(["df", "-P", "--", first, second], f"finding the volumes of {first} and {second}", probe=True).stdout
        mounts = [_mount_point(line) for line in lines.strip().splitlines()[1:]]
        return len(mounts) == 2 and mounts[0] == mounts[1]

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
        self.runner.module("community.general.archive", {"path": sources, "dest": target, "format": "zip", "force_archive": True})

    def run(self, command: list[str], probe: bool = False) -> CommandResult:
        result = self.runner.module("ansible.builtin.command", {"argv": command}, probe=probe, allow_failure=True)
        if result.get("failed") and "rc" not in result:
            raise ModuleFailed("ansible.builtin.command", str(result.get("msg")), result)
        return CommandResult(rc=int(result.get("rc", 1)), stdout=str(result.get("stdout", "")), stderr=str(result.get("stderr", "")))

    def _checked_run(self, command: list[str], what: str, probe: bool = False) -> CommandResult:
        result = self.runner.module("ansible.builtin.command", {"argv": command}, probe=probe, allow_failure=True)
        if result.get("failed") or result.get("rc"):
            detail = str(result.get("stderr") or result.get("msg") or "").strip()
            raise ModuleFailed("ansible.builtin.command", f"{what} failed: {detail}", result)
        return CommandResult(rc=0, stdout=str(result.get("stdout", "")), stderr=str(result.get("stderr", "")))

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

    def wait_for_port(self, port: int, state: str, timeout: int, host: str = "127.0.0.1") -> bool:
        result = self.runner.module("ansible.builtin.wait_for", {"host": host, "port": port, "state": state, "timeout": timeout, "sleep": 1},
                                    probe=True, allow_failure=True)
        return not result.get("failed")

    def wait_for_absent(self, path: str, timeout: int) -> bool:
        result = self.runner.module("ansible.builtin.wait_for", {"path": path, "state": "absent", "timeout": timeout, "sleep": 1},
                                    probe=True, allow_failure=True)
        return not result.get("failed")

    def http(self, method: str, url: str, headers: dict[str, str], body: t.Any = None, timeout: int = 30) -> HttpResponse:
        args: dict[str, t.Any] = {"url": url, "method": method, "headers": headers, "timeout": timeout,
                                  "return_content": True, "status_code": list(range(100, 600))}
        if body is not None:
            args.update(body=body, body_format="json")
        # The headers carry the control token: the module must not log its arguments on the host.
        result = self.runner.module("ansible.builtin.uri", args, probe=method == "GET", allow_failure=True, no_log=bool(headers))
        return http_response(result, "status")


def _mount_point(df_line: str) -> str:
    """The "Mounted on" column of a ``df -P`` line: everything after the fifth field (it may hold spaces)."""
    fields = df_line.split(None, 5)
    return fields[5] if len(fields) == 6 else df_line
