# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.swap: put the staged version in place, roll it back, or clean up."""

from __future__ import annotations

import datetime
import json
import secrets
import typing as t

from ansible_collections.conaktiv.server.plugins.plugin_utils._control import Control
from ansible_collections.conaktiv.server.plugins.plugin_utils._cutover import CutoverPlan, journal_tails
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Host, Write
from ansible_collections.conaktiv.server.plugins.plugin_utils._journal import Journal, read_journal
from ansible_collections.conaktiv.server.plugins.plugin_utils._naming import next_old_folder_name, old_folders, old_folders_to_remove
from ansible_collections.conaktiv.server.plugins.plugin_utils._options import (
    COMMON_SPEC, CONTROL_OPTION, SERVICE_OPTION, Layout, layout)
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction, PhaseFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._preserve import preserve_list
from ansible_collections.conaktiv.server.plugins.plugin_utils._run_journal import JOURNAL_OPTION, LEASE_MARGIN_S, RunJournal
from ansible_collections.conaktiv.server.plugins.plugin_utils._service import check_service_settings, service_state

ARGUMENT_SPEC: dict[str, t.Any] = {
    **COMMON_SPEC,
    **CONTROL_OPTION,
    **SERVICE_OPTION,
    **JOURNAL_OPTION,
    "state": {"type": "str", "choices": ["prepared", "swapped", "rolled_back", "cleaned"], "default": "swapped"},
    "plan": {"type": "dict"},
    "start": {"type": "bool", "default": False},
    "pid_file": {"type": "str"},
    "stop_timeout": {"type": "int", "default": 300},
    "start_timeout": {"type": "int", "default": 300},
    "version": {"type": "str"},
    "preserve": {"type": "list", "elements": "str"},
    "preserve_extra": {"type": "list", "elements": "str", "default": []},
    "keep_old": {"type": "int", "default": 0},
    "failed_folder": {"type": "str", "choices": ["keep", "remove"], "default": "keep"},
    "old_folder": {"type": "str"},
}

FAILED_SUFFIX = "_failed"


class SwapLog:
    """The swap and rollback events of the run journal, oldest first, as steps a resumed swap can act on.

    ``begin`` (a swap is about to rename; names the ``_oldNNNN`` folder), ``carried`` (the swap finished),
    ``rollback_begin`` (a rollback is about to rename; names the old and the ``_failedNNNN`` folders),
    ``rolled_back`` (the rollback finished). A failed swap leaves its ``begin`` as the last step: unfinished.
    """

    _STEPS = {("swap", "begin"): "begin", ("swap", "done"): "carried",
              ("rollback_swap", "begin"): "rollback_begin", ("rollback_swap", "done"): "rolled_back"}

    def __init__(self, host: Host, journal: Journal) -> None:
        self.entries: list[dict[str, t.Any]] = []
        for run in journal.runs:
            for entry in run.events:
                step = self._STEPS.get((entry.get("phase"), entry.get("event")))
                if step is None:
                    continue
                data = entry.get("data") if isinstance(entry.get("data"), dict) else {}
                old = data.get("old") or next((host.name(str(data[key])) for key in ("old_path", "restored_from") if data.get(key)), None)
                failed = data.get("failed") or (host.name(str(data["failed_path"])) if data.get("failed_path") else None)
                self.entries.append({"step": step, "old": old, "failed": failed, "version": data.get("version"),
                                     "time": entry.get("at"), "run": entry.get("run")})

    def last(self, *steps: str) -> dict[str, t.Any] | None:
        """The newest entry whose step is one of ``steps``."""
        return next((entry for entry in reversed(self.entries) if entry["step"] in steps), None)


class ActionModule(PhaseAction):
    """Swap the server folder with the staged tree, carrying over the preserved items."""

    ARGUMENT_SPEC = ARGUMENT_SPEC
    JOURNAL_BEGINS_ITSELF = True
    _journal_file = ""
    _adhoc = ""
    _marker_text: str | None = None
    JOURNAL_KEYS = ("old_path", "version", "carried_over", "not_present", "resumed", "restored_from", "failed_path", "removed", "kept")
    # The downtime is spent here: renames and a few copies.
    LEASE_S = 600.0

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        where = layout(host, args)
        if args["state"] == "prepared":
            # Deciding changes nothing and is no phase of its own; a failure here is one before the stop.
            self.journal_phase, self.journal_done_by_host = "swap_prepare", True
        if args["state"] == "swapped" and args.get("plan") and not self._task.check_mode:
            # Decided before the stop (state=prepared): the downtime is this one round trip.
            self._journal_file = where.journal
            return self._swap(host, where, args, None, None)
        state = args["state"]
        # One look (one round trip on POSIX): both folders, the journal and the stage marker.
        seen = host.survey(dirs=[where.parent, where.temp], files=[where.journal] + ([where.stage_marker] if state != "cleaned" else []))
        listing = seen.listings
        self._marker_text = seen.texts.get(where.stage_marker)
        journal = read_journal(seen.texts[where.journal])
        steps = SwapLog(host, journal)
        if state == "cleaned":
            return self._cleanup(host, where, args, listing, steps, journal)
        self._check_lock(journal)
        self._journal_file = where.journal
        if state == "rolled_back":
            return self._rollback(host, where, args, listing, steps)
        return self._swap(host, where, args, listing, steps)

    def _begin(self, host: Host, args: dict[str, t.Any], **data: t.Any) -> None:
        """Record the begin of the swap or rollback, right before the first rename."""
        if self.journal is None and not self._task.check_mode:
            # Run by hand, outside the role: the steps still go to the run journal, so that an interruption can be resumed.
            self.journal = RunJournal(host, self._journal_file, self._adhoc_run())
            self.journal_phase = "rollback_swap" if args["state"] == "rolled_back" else "swap"
        self.journal_begin(args, **data)

    def _check_lock(self, journal: Journal) -> None:
        """With a run journal: refuse when another run holds the update lock now (it took over a stale lease)."""
        if self.journal is None:
            return
        holders = [run for run in journal.runs if run.generation is not None]
        if holders and holders[-1].run != self.journal.run and holders[-1].closed is None:
            raise PhaseFailed(f"the update lock now belongs to run {holders[-1].run} (it took over after this run's lease expired); "
                              "this run stops before it touches the server folder")

    # -- swap -------------------------------------------------------------------------------------
    def _swap(self, host: Host, where: Layout, args: dict[str, t.Any], listing: dict[str, list[str]] | None,
              journal: SwapLog | None) -> dict[str, t.Any]:
        """``prepared``: read and decide (before the stop), return the plan. ``swapped``: the cutover, from the plan when given."""
        if args.get("plan"):
            plan = CutoverPlan.from_dict(args["plan"])
            if self._task.check_mode:
                return {"changed": True, "server_path": where.server, "old_path": plan.old, "msg": f"would cut over to {plan.server}"}
            return self._cutover(host, where, args, plan, resumed=False)
        if listing is None or journal is None:
            raise PhaseFailed("internal error: a swap without a plan needs the folder listing and the journal")
        decided = self._decide(host, where, args, listing, journal)
        if decided.get("plan") is None:
            return decided
        if args["state"] == "prepared":
            return {**decided, "changed": False,
                    "msg": f"ready to cut over: {where.server} becomes {decided['old_path']}, the staged version takes its place"}
        if args["state"] == "swapped" and not args.get("plan"):
            self._require_stopped(host, args)
        if self._task.check_mode:
            return {**decided, "msg": f"would move {where.server} to {decided['old_path']} and the staged version into its place"}
        return self._cutover(host, where, args, CutoverPlan.from_dict(decided["plan"]), resumed=decided["resumed"])

    def _decide(self, host: Host, where: Layout, args: dict[str, t.Any], listing: dict[str, list[str]], journal: SwapLog) -> dict[str, t.Any]:
        """What the cutover must do, from the folders and the journal (resuming an interrupted swap where it stopped)."""
        server_there = self._has(host, listing[where.parent], where.name)
        staged_there = self._has(host, listing[where.temp], where.name)
        begun = journal.last("begin", "carried", "rolled_back")
        resuming = begun is not None and begun["step"] == "begin"
        if not staged_there and not resuming:
            done_version = (begun or {}).get("version")
            if server_there and begun is not None and begun["step"] == "carried" and \
                    (not args.get("version") or not done_version or done_version == args["version"]):
                return {"changed": False, "server_path": where.server, "old_path": host.join(where.parent, begun["old"]),
                        "plan": None, "msg": "the staged version is already in place"}
            raise PhaseFailed(f"nothing is staged in {where.temp}: run conaktiv.server.stage first")
        if not server_there and not resuming:
            raise PhaseFailed(f"the server folder {where.server} does not exist")
        if not server_there and not staged_there:
            old_hint = host.join(where.parent, (begun or {}).get("old") or "?")
            raise PhaseFailed(f"cannot resume the swap: neither {where.server} nor the staged tree exists; {old_hint} holds the old version")
        staged_version = self._staged_version(where, args, staged_there)
        old_name = begun["old"] if resuming else next_old_folder_name(where.name, listing[where.parent], host.case_insensitive)
        old_path = host.join(where.parent, old_name)
        items = preserve_list(extra=args["preserve_extra"], replace=args.get("preserve"))
        plan = self._plan(host, where, args, old_name, staged_there, server_there and not self._has(host, listing[where.parent], old_name),
                          items, staged_version, resuming)
        return {"changed": True, "server_path": where.server, "old_path": old_path, "version": staged_version, "resumed": resuming,
                "diff": self._swap_diff(where, old_name, items), "plan": plan.as_dict()}

    def _plan(self, host: Host, where: Layout, args: dict[str, t.Any], old_name: str, staged_there: bool, move_old: bool,
              items: list[str], version: str | None, resuming: bool) -> CutoverPlan:
        """The cutover plan: paths, the journal lines (timed by the host), the start when asked for."""
        old_path = host.join(where.parent, old_name)
        run = self.journal.run if self.journal is not None else self._adhoc_run()
        start_argv, service_name, start_lease = self._start_of(args)
        then = (str(self._then["phase"]), float(self._then.get("lease_s") or self.LEASE_S) + LEASE_MARGIN_S) if self._then and start_lease else None
        # The host's clock times the lines, and their leases count from it (the stop before may have taken long).
        lines = journal_tails(run, version=version, old_name=old_name, old_path=old_path, resumed=resuming, lease_s=self.LEASE_S + LEASE_MARGIN_S,
                              start_lease_s=start_lease, then=then)
        return CutoverPlan(journal=where.journal, server=where.server, old=old_path, staged=where.staged_tree if staged_there else None,
                           move_old=move_old, items=tuple(items),
                           item_paths_old=tuple(host.join(old_path, *item.split("/")) for item in items),
                           item_paths_new=tuple(host.join(where.server, *item.split("/")) for item in items),
                           begin_tail=lines.begin, done_tail=lines.done, start_tail=lines.start, start_done_tail=lines.start_done,
                           then_tail=lines.then, start_argv=tuple(start_argv), start_wait_s=int(args["start_timeout"]),
                           service_name=service_name, pid_file=args.get("pid_file"), wait_s=int(args["stop_timeout"]))

    def _adhoc_run(self) -> str:
        """The run id of a swap run by hand (without the role's journal)."""
        if not self._adhoc:
            stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            self._adhoc = f"swap-{stamp}-{secrets.token_hex(3)}"
        return self._adhoc

    @staticmethod
    def _start_of(args: dict[str, t.Any]) -> tuple[list[str], str | None, float | None]:
        """With start=true: what the cutover runs to start the server (argv on POSIX, the service on Windows), and its lease."""
        if not args["start"]:
            return [], None, None
        service = check_service_settings(args.get("service"))
        lease = float(int(args["start_timeout"]) + LEASE_MARGIN_S)
        if service["manager"] == "command":
            return list(service["start_command"]), None, lease
        if service["manager"] == "systemd":
            return ["systemctl", "start", "--", str(service["name"])], None, lease
        if service["manager"] == "windows":
            return [], str(service["name"]), lease
        raise PhaseFailed("start=true needs service (a Windows service, a systemd unit or start/stop commands)")

    def _cutover(self, host: Host, where: Layout, args: dict[str, t.Any], plan: CutoverPlan, resumed: bool) -> dict[str, t.Any]:
        """One round trip: verify the stop, journal, rename, rename, carry over, journal, start (see plugin_utils/_cutover.py)."""
        if plan.server != where.server:
            raise PhaseFailed(f"the cutover plan is for {plan.server}, not for {where.server}")
        if self.journal is None:
            self.journal = RunJournal(host, where.journal, self._adhoc_run())
            self.journal_phase = "swap"
        report = host.cutover(plan)
        # The host wrote the journal's swap begin and done itself (and the start's begin): nothing more to write here.
        self.journal_done_by_host = "done" in report.steps
        if report.failed_step is not None:
            if report.failed_step == "started":
                # The new version is in place and confirmed; it is its start that failed.
                self.journal_phase = "start"
                raise PhaseFailed(f"starting the ConAktiv server failed: {report.error}", carried_over=report.carried,
                                  not_present=report.absent, steps=report.steps)
            if report.failed_step in ("start_done", "then_begin"):
                # Running, but the journal does not know: the run fails (and rolls back) rather than go on unrecorded.
                self.journal_phase = "start"
                raise PhaseFailed(f"the server was started, but {report.failure_message()}", carried_over=report.carried,
                                  not_present=report.absent, steps=report.steps)
            raise PhaseFailed(f"the cutover stopped: {report.failure_message()}", steps=report.steps, carried_over=report.carried)
        return {"changed": True, "server_path": where.server, "old_path": plan.old, "version": self._plan_version(plan),
                "resumed": resumed, "carried_over": report.carried, "not_present": report.absent, "server_started": report.started,
                "steps": report.steps, "diff": self._swap_diff(where, self._name_of(host, plan.old), list(plan.items)),
                "msg": f"version {self._plan_version(plan)} is in place; the old version is in {plan.old}"
                       + ("; the server was started" if report.started else "")}

    @staticmethod
    def _plan_version(plan: CutoverPlan) -> str | None:
        try:
            return str(json.loads('{"at":"x",' + plan.begin_tail)["data"].get("version"))
        except (ValueError, KeyError, TypeError):
            return None

    @staticmethod
    def _name_of(host: Host, path: str) -> str:
        return host.name(path)

    @staticmethod
    def _swap_diff(where: Layout, old_name: str, items: list[str]) -> dict[str, str]:
        before = f"{where.name}/  (current version)\n{where.temp}/{where.name}/  (staged version)\n"
        after = f"{old_name}/  (previous version)\n{where.name}/  (staged version)\n" + "".join(
            f"{where.name}/{item}  <- {old_name}/{item}\n" for item in items)
        return {"before": before, "after": after, "before_header": where.parent, "after_header": where.parent}

    # -- rollback ---------------------------------------------------------------------------------
    def _rollback(self, host: Host, where: Layout, args: dict[str, t.Any], listing: dict[str, list[str]], journal: SwapLog) -> dict[str, t.Any]:
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
            self._begin(host, args, old=old_name)
            return {"changed": False, "server_path": where.server, "msg": "the swap had not moved anything; nothing to undo"}
        if not old_there and resuming and server_there:
            # Interrupted after the last rename: the previous version is back, only the journal entry is missing.
            self._begin(host, args, old=old_name, failed=last.get("failed"))
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
        self._begin(host, args, old=old_name, failed=failed_name, resumed=resuming)
        if server_there:
            if args["failed_folder"] == "keep":
                host.rename(where.server, host.join(where.parent, failed_name))
                result["failed_path"] = host.join(where.parent, failed_name)
            else:
                host.remove(where.server)
        host.rename(host.join(where.parent, old_name), where.server)
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
    def _cleanup(self, host: Host, where: Layout, args: dict[str, t.Any], listing: dict[str, list[str]], steps: SwapLog,
                 journal: Journal) -> dict[str, t.Any]:
        last = steps.last("begin", "carried", "rollback_begin", "rolled_back")
        if last is not None and last["step"] in ("begin", "rollback_begin"):
            raise PhaseFailed(f"a swap in {where.parent} was interrupted ({last['step']} at {last['time']}): "
                              "re-run conaktiv.server.swap with state=swapped or state=rolled_back first")
        own = journal.chain(self.journal.run) if self.journal is not None else None
        own_runs = set(own.run_ids) if own is not None else set()
        for chain in journal.chains():
            if chain.root.generation is not None and not chain.finished and not own_runs & set(chain.run_ids):
                raise PhaseFailed(f"refusing to clean up: the update {chain.root.run} is unfinished and may still need the old and "
                                  "temporary folders; run the update again to finish it")
        if not self._has(host, listing[where.parent], where.name):
            raise PhaseFailed(f"refusing to clean up: the server folder {where.server} does not exist")
        doomed = [host.join(where.parent, name)
                  for name in old_folders_to_remove(where.name, listing[where.parent], args["keep_old"], host.case_insensitive)]
        if self._has(host, listing[where.parent], host.name(where.temp)):
            doomed.append(where.temp)
        kept = [host.join(where.parent, name) for name in old_folders(where.name, listing[where.parent], host.case_insensitive)
                if host.join(where.parent, name) not in doomed]
        result = {"changed": bool(doomed), "removed": doomed, "kept": kept, "server_path": where.server,
                  "diff": {"before": "".join(f"{path}\n" for path in doomed), "after": ""}}
        if self._task.check_mode or not doomed:
            return {**result, "msg": f"would remove {len(doomed)} folders" if doomed else "nothing to clean up"}
        result["msg"] = f"removed {len(doomed)} folders"
        # The folders removed and the done recorded: one round trip on POSIX.
        bracket = self.journal_bracket(done=result)
        host.commit([Write("remove", paths=tuple(doomed))] + ([Write("append", bracket.path, bracket.after)] if bracket and bracket.after else []))
        return result

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

    def _staged_version(self, where: Layout, args: dict[str, t.Any], staged_there: bool) -> str | None:
        if not staged_there:
            return args.get("version")
        try:
            marker = json.loads(self._marker_text or "{}")
        except ValueError:
            marker = {}
        if not marker:
            raise PhaseFailed(f"the staging in {where.temp} is incomplete (no stage marker): re-run conaktiv.server.stage")
        version = marker.get("version")
        if args.get("version") and version != args["version"]:
            raise PhaseFailed(f"{where.temp} holds version {version}, not the requested {args['version']}")
        return version
