# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.swap: put the staged version in place, roll it back, or clean up."""

from __future__ import annotations

import datetime
import json
import typing as t

from ansible_collections.conaktiv.server.plugins.plugin_utils._control import Control
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Host
from ansible_collections.conaktiv.server.plugins.plugin_utils._naming import next_old_folder_name, old_folders, old_folders_to_remove
from ansible_collections.conaktiv.server.plugins.plugin_utils._options import (
    COMMON_SPEC, CONTROL_OPTION, SERVICE_OPTION, Layout, layout)
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction, PhaseFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._preserve import preserve_list
from ansible_collections.conaktiv.server.plugins.plugin_utils._service import check_service_settings, service_state

ARGUMENT_SPEC: dict[str, t.Any] = {
    **COMMON_SPEC,
    **CONTROL_OPTION,
    **SERVICE_OPTION,
    "state": {"type": "str", "choices": ["swapped", "rolled_back", "cleaned"], "default": "swapped"},
    "version": {"type": "str"},
    "preserve": {"type": "list", "elements": "str"},
    "preserve_extra": {"type": "list", "elements": "str", "default": []},
    "keep_old": {"type": "int", "default": 0},
    "failed_folder": {"type": "str", "choices": ["keep", "remove"], "default": "keep"},
    "old_folder": {"type": "str"},
}

FAILED_SUFFIX = "_failed"


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


class Journal:
    """The swap journal: JSON lines in the temporary folder that make an interrupted swap resumable."""

    def __init__(self, host: Host, path: str, text: str | None) -> None:
        self.host, self.path = host, path
        self.entries: list[dict[str, t.Any]] = []
        for line in (text or "").splitlines():
            try:
                self.entries.append(json.loads(line))
            except ValueError:
                continue  # a torn last line: the step it announced did not complete

    def last(self, *steps: str) -> dict[str, t.Any] | None:
        """The newest entry whose step is one of ``steps``."""
        return next((entry for entry in reversed(self.entries) if entry.get("step") in steps), None)

    def write(self, step: str, **data: t.Any) -> None:
        """Record that ``step`` is about to happen / happened."""
        entry = {"step": step, "time": _now(), **data}
        self.host.append_line(self.path, json.dumps(entry, sort_keys=True))
        self.entries.append(entry)


class ActionModule(PhaseAction):
    """Swap the server folder with the staged tree, carrying over the preserved items."""

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        where = layout(host, args)
        listing = host.list_dirs([where.parent, where.temp])
        has_journal = self._has(host, listing[where.temp], host.name(where.swap_journal))
        journal = Journal(host, where.swap_journal, host.read_text(where.swap_journal) if has_journal else None)
        state = args["state"]
        if state == "cleaned":
            return self._cleanup(host, where, args, listing, journal)
        if state == "rolled_back":
            return self._rollback(host, where, args, listing, journal)
        return self._swap(host, where, args, listing, journal)

    # -- swap -------------------------------------------------------------------------------------
    def _swap(self, host: Host, where: Layout, args: dict[str, t.Any], listing: dict[str, list[str]], journal: Journal) -> dict[str, t.Any]:
        server_there = self._has(host, listing[where.parent], where.name)
        staged_there = self._has(host, listing[where.temp], where.name)
        begun = journal.last("begin", "carried", "rolled_back")
        resuming = begun is not None and begun["step"] == "begin"
        if not staged_there and not resuming:
            done_version = (begun or {}).get("version")
            if server_there and begun is not None and begun["step"] == "carried" and \
                    (not args.get("version") or not done_version or done_version == args["version"]):
                return {"changed": False, "server_path": where.server, "old_path": host.join(where.parent, begun["old"]),
                        "msg": "the staged version is already in place"}
            raise PhaseFailed(f"nothing is staged in {where.temp}: run conaktiv.server.stage first")
        if not server_there and not resuming:
            raise PhaseFailed(f"the server folder {where.server} does not exist")
        self._require_stopped(host, args)
        staged_version = self._staged_version(host, where, args, staged_there)
        old_name = begun["old"] if resuming else next_old_folder_name(where.name, listing[where.parent], host.case_insensitive)
        old_path = host.join(where.parent, old_name)
        items = preserve_list(extra=args["preserve_extra"], replace=args.get("preserve"))
        result = {"changed": True, "server_path": where.server, "old_path": old_path, "version": staged_version,
                  "resumed": resuming, "diff": self._swap_diff(where, old_name, items)}
        if self._task.check_mode:
            return {**result, "msg": f"would move {where.server} to {old_path} and the staged version into its place"}
        if not resuming:
            journal.write("begin", old=old_name, version=staged_version)
        if server_there and not self._has(host, listing[where.parent], old_name):
            host.rename(where.server, old_path)
        if staged_there:
            host.rename(where.staged_tree, where.server)
        elif not server_there:
            raise PhaseFailed(f"cannot resume the swap: neither {where.server} nor the staged tree exists; {old_path} holds the old version")
        carried, skipped = self._carry_over(host, old_path, where.server, items)
        journal.write("carried", old=old_name, version=staged_version, carried=carried, not_present=skipped)
        return {**result, "carried_over": carried, "not_present": skipped,
                "msg": f"version {staged_version} is in place; the old version is in {old_path}"}

    @staticmethod
    def _swap_diff(where: Layout, old_name: str, items: list[str]) -> dict[str, str]:
        before = f"{where.name}/  (current version)\n{where.temp}/{where.name}/  (staged version)\n"
        after = f"{old_name}/  (previous version)\n{where.name}/  (staged version)\n" + "".join(
            f"{where.name}/{item}  <- {old_name}/{item}\n" for item in items)
        return {"before": before, "after": after, "before_header": where.parent, "after_header": where.parent}

    def _carry_over(self, host: Host, old_path: str, new_path: str, items: list[str]) -> tuple[list[str], list[str]]:
        """Copy the preserved items from the old folder into the new one, replacing the package's defaults.

        Runs while the server is down, so the work is batched: one listing of the old folder, one removal
        of the package's copies, one copy per target folder.
        """
        def old(item: str) -> str:
            return host.join(old_path, *item.split("/"))

        def new(item: str) -> str:
            return host.join(new_path, *item.split("/"))

        listing = host.list_dirs(sorted({host.parent(old(item)) for item in items} | {host.parent(new(item)) for item in items}))
        carried = [item for item in items if self._has(host, listing[host.parent(old(item))], host.name(old(item)))]
        skipped = [item for item in items if item not in carried]
        host.remove_many([new(item) for item in carried if self._has(host, listing[host.parent(new(item))], host.name(new(item)))])
        by_target: dict[str, list[str]] = {}
        for item in carried:
            by_target.setdefault(host.parent(new(item)), []).append(old(item))
        for target_dir, sources in by_target.items():
            if not listing[target_dir]:
                host.make_dir(target_dir)  # missing (or empty) in the package: make sure it exists
            host.copy_into(sources, target_dir)
        return carried, skipped

    # -- rollback ---------------------------------------------------------------------------------
    def _rollback(self, host: Host, where: Layout, args: dict[str, t.Any], listing: dict[str, list[str]], journal: Journal) -> dict[str, t.Any]:
        names = listing[where.parent]
        last = journal.last("begin", "carried", "rollback_begin", "rolled_back")
        if last is not None and last["step"] == "rolled_back" and not args.get("old_folder"):
            return {"changed": False, "server_path": where.server, "msg": "the previous version is already back in place"}
        if last is None and not args.get("old_folder") and self._has(host, listing[where.temp], where.name):
            # The staged version is still waiting in the temporary folder: no swap happened, so there is
            # nothing to undo (and the newest _oldNNNN is an older update's leftover, not the version to restore).
            return {"changed": False, "server_path": where.server, "msg": "no swap happened; the server folder was not touched"}
        old_name = args.get("old_folder") or (last or {}).get("old")
        if not old_name:
            found = old_folders(where.name, names, host.case_insensitive)
            if not found:
                raise PhaseFailed(f"there is no {where.name}_oldNNNN folder in {where.parent} to roll back to")
            old_name = found[-1]
        old_there = self._has(host, names, old_name)
        server_there = self._has(host, names, where.name)
        resuming = last is not None and last["step"] == "rollback_begin"
        if not old_there and last is not None and last["step"] == "begin" and server_there and \
                self._has(host, listing[where.temp], where.name):
            # The swap began but its first rename never happened (e.g. a file in use): nothing moved, nothing to undo.
            if not self._task.check_mode:
                journal.write("rolled_back", old=old_name, failed=None)
            return {"changed": False, "server_path": where.server, "msg": "the swap had not moved anything; nothing to undo"}
        if not old_there and resuming and server_there:
            # Interrupted after the last rename: the previous version is back, only the journal entry is missing.
            if not self._task.check_mode:
                journal.write("rolled_back", old=old_name, failed=last.get("failed"))
            return {"changed": True, "server_path": where.server, "msg": "finished the interrupted rollback"}
        if not old_there:
            raise PhaseFailed(f"cannot roll back: {host.join(where.parent, old_name)} does not exist")
        self._require_stopped(host, args)
        failed_name = (last or {}).get("failed") if resuming else self._next_failed_name(host, where, names)
        kept_line = f"{failed_name}/  (failed version)\n" if args["failed_folder"] == "keep" else ""
        result = {"changed": True, "server_path": where.server, "restored_from": host.join(where.parent, old_name),
                  "diff": {"before": f"{where.name}/  (new version)\n{old_name}/  (previous version)\n",
                           "after": f"{where.name}/  (previous version)\n{kept_line}"}}
        if self._task.check_mode:
            return {**result, "msg": f"would put {old_name} back as {where.name}"}
        if not resuming:
            journal.write("rollback_begin", old=old_name, failed=failed_name)
        if server_there:
            if args["failed_folder"] == "keep":
                host.rename(where.server, host.join(where.parent, failed_name))
                result["failed_path"] = host.join(where.parent, failed_name)
            else:
                host.remove(where.server)
        host.rename(host.join(where.parent, old_name), where.server)
        journal.write("rolled_back", old=old_name, failed=failed_name)
        return {**result, "msg": f"the previous version from {old_name} is back in {where.server}"}

    @staticmethod
    def _next_failed_name(host: Host, where: Layout, names: list[str]) -> str:
        taken = {name.lower() if host.case_insensitive else name for name in names}
        number = 1
        while True:
            candidate = f"{where.name}{FAILED_SUFFIX}{number:04d}"
            if (candidate.lower() if host.case_insensitive else candidate) not in taken:
                return candidate
            number += 1

    # -- cleanup ----------------------------------------------------------------------------------
    def _cleanup(self, host: Host, where: Layout, args: dict[str, t.Any], listing: dict[str, list[str]], journal: Journal) -> dict[str, t.Any]:
        last = journal.last("begin", "carried", "rollback_begin", "rolled_back")
        if last is not None and last["step"] in ("begin", "rollback_begin"):
            raise PhaseFailed(f"a swap in {where.parent} was interrupted ({last['step']} at {last['time']}): "
                              "re-run conaktiv.server.swap with state=swapped or state=rolled_back first")
        if not self._has(host, listing[where.parent], where.name):
            raise PhaseFailed(f"refusing to clean up: the server folder {where.server} does not exist")
        doomed = [host.join(where.parent, name)
                  for name in old_folders_to_remove(where.name, listing[where.parent], args["keep_old"], host.case_insensitive)]
        if self._has(host, listing[where.parent], host.name(where.temp)):
            doomed.append(where.temp)
        result = {"changed": bool(doomed), "removed": doomed, "server_path": where.server,
                  "diff": {"before": "".join(f"{path}\n" for path in doomed), "after": ""}}
        if self._task.check_mode or not doomed:
            return {**result, "msg": f"would remove {len(doomed)} folders" if doomed else "nothing to clean up"}
        for path in doomed:
            host.remove(path)
        return {**result, "msg": f"removed {len(doomed)} folders"}

    # -- shared -----------------------------------------------------------------------------------
    @staticmethod
    def _has(host: Host, names: list[str], wanted: str) -> bool:
        return any(host.same_name(name, wanted) for name in names)

    @staticmethod
    def _require_stopped(host: Host, args: dict[str, t.Any]) -> None:
        service = check_service_settings(args.get("service"))
        state = service_state(host, service)
        if state not in ("stopped", "absent", "unknown"):
            raise PhaseFailed(f"the ConAktiv server is {state}: stop it first (conaktiv.server.service state=stopped)")
        control = Control(host, args.get("control"))
        if control.enabled and control.status() is not None:
            raise PhaseFailed("the ConAktiv server still answers on its control interface: stop it first")

    @staticmethod
    def _staged_version(host: Host, where: Layout, args: dict[str, t.Any], staged_there: bool) -> str | None:
        if not staged_there:
            return args.get("version")
        try:
            marker = json.loads(host.read_text(where.stage_marker) or "{}")
        except ValueError:
            marker = {}
        if not marker:
            raise PhaseFailed(f"the staging in {where.temp} is incomplete (no stage marker): re-run conaktiv.server.stage")
        version = marker.get("version")
        if args.get("version") and version != args["version"]:
            raise PhaseFailed(f"{where.temp} holds version {version}, not the requested {args['version']}")
        return version
