# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.journal: read the run journal, prove the inputs, take the lock, decide; close."""

from __future__ import annotations

import getpass
import json
import os
import re
import secrets
import socket
import typing as t

from ansible_collections.conaktiv.server.plugins.plugin_utils._control import Control
from ansible_collections.conaktiv.server.plugins.plugin_utils._history import last_records, parse_history, to_dict
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Host, Survey, Write, protecting
from ansible_collections.conaktiv.server.plugins.plugin_utils._journal import (
    FORWARD_PHASES, JOURNAL_FILE_NAME, REPORT_PHASES, TICKET_PREFIX, Chain, Decision, Journal, LockVerdict, Request, ServerFacts, compactable,
    decide, decide_staging, entry_line, downtime, history_record, lock_verdict, manual_rollback, outcome, pre_backup, read_journal, remaining,
    rollback_plan, summary, ticket_name, tickets_in, utc_now)
from ansible_collections.conaktiv.server.plugins.plugin_utils._i18n import LANGUAGES
from ansible_collections.conaktiv.server.plugins.plugin_utils._naming import old_folders, old_folders_to_remove
from ansible_collections.conaktiv.server.plugins.plugin_utils._report import failure_report
from ansible_collections.conaktiv.server.plugins.plugin_utils._options import (
    COMMON_SPEC, CONTROL_OPTION, SERVICE_OPTION, Layout, layout)
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction, PhaseFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._preflight import (
    ServerFolder, data_path_problems, observation_problems, preserve_problems, server_folder_problems)
from ansible_collections.conaktiv.server.plugins.plugin_utils._run_journal import JOURNAL_HANDLE_SPEC, RunJournal
from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import ModuleFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._service import check_service_settings, service_state, state_of_status_code


ARGUMENT_SPEC: dict[str, t.Any] = {
    **COMMON_SPEC,
    **CONTROL_OPTION,
    **SERVICE_OPTION,
    "state": {"type": "str", "choices": ["opened", "failed", "closed", "read"], "default": "read"},
    "journal": {"type": "dict", "options": JOURNAL_HANDLE_SPEC},
    "version": {"type": "str"},
    "version_file": {"type": "str", "default": "version.txt"},
    "marker": {"type": "list", "elements": "str", "default": ["Server Database"]},
    "data_path": {"type": "str", "default": ""},
    "backup_method": {"type": "str", "choices": ["server", "command", "archive", "none"], "default": "server"},
    "mail": {"type": "bool", "default": False},
    "restore_data": {"type": "bool", "default": True},
    "allow_downgrade": {"type": "bool", "default": False},
    "break_lock": {"type": "bool", "default": False},
    "window": {"type": "dict", "options": {"inside": {"type": "bool", "default": True}, "reason": {"type": "str", "default": ""},
                                           "opens_at": {"type": "str"}, "closes_at": {"type": "str"}}},
    "keep_old": {"type": "int", "default": 0},
    "preserve": {"type": "list", "elements": "str"},
    "preserve_extra": {"type": "list", "elements": "str", "default": []},
    "structure_log": {"type": "str", "default": ""},
    "error": {"type": "str", "default": ""},
    "log_tail": {"type": "list", "elements": "str", "default": []},
    "language": {"type": "str", "choices": list(LANGUAGES), "default": "de"},
    "purpose": {"type": "str", "choices": ["update", "rollback", "stage"], "default": "update"},
    "old_folder": {"type": "str"},
    "group": {"type": "str", "default": ""},
    "backup_dir": {"type": "str", "default": ""},
}
REQUIRED_IF = [["state", "failed", ["journal"]], ["state", "closed", ["journal"]]]

# A ticket the journal does not know yet (a run claimed it and died before writing) is respected this long.
ORPHAN_TICKET_S = 3600.0
# The lease taken when the run opens, until its first phase begins (each phase then extends it by its own length).
OPENING_LEASE_S = 3600.0
# Earlier updates listed in the admin mail.
HISTORY_IN_MAIL = 5


class ActionModule(PhaseAction):
    """The run journal: decide from it (state=opened), record a failure (failed), end the run (closed), or read it."""

    ARGUMENT_SPEC = ARGUMENT_SPEC
    REQUIRED_IF = REQUIRED_IF
    # The journal option names the run this module reads and closes; it is not a phase of its own.
    JOURNALED = False

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        where = layout(host, args)
        path = host.join(where.parent, JOURNAL_FILE_NAME)
        if args["state"] == "opened":
            return self._open(host, where, path, args, task_vars)
        if args["state"] == "read":
            return {"changed": False, "journal_path": path, **summary(RunJournal(host, path, "-").read())}
        handle = args["journal"]
        journal = RunJournal(host, handle["path"], handle["run"])
        if args["state"] == "failed":
            return self._failed(journal, args)
        return self._close(host, where, journal, args["language"])

    # -- opened -----------------------------------------------------------------------------------
    def _open(self, host: Host, where: Layout, path: str, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        # One look at everything the decision reads (one round trip on POSIX): the folders, the journal, the installed version,
        # the history, the lock tickets and their age by the host's own clock.
        version_path = host.join(where.server, args["version_file"]) if args["version_file"] else None
        service = check_service_settings(args.get("service"))
        # A status command's exit code is read in the same look.
        seen = host.survey(dirs=[where.parent, where.temp, where.server], stats=[where.server],
                           files=[path, where.history] + ([version_path] if version_path else []), mtimes=[(where.parent, TICKET_PREFIX)],
                           run=service["status_command"] if service["manager"] == "command" else ())
        parent_names = seen.listings[where.parent]
        journal = read_journal(seen.texts[path])
        now = utc_now()
        # A ticket's age counts on the host's clock: its mtime is host time, the controller's clock may differ.
        skew = now.timestamp() - seen.now if seen.now is not None else 0.0
        tickets = tickets_in(parent_names, {name: mtime + skew for name, mtime in seen.mtimes[(where.parent, TICKET_PREFIX)].items()})
        lock = lock_verdict(journal, tickets, now, break_lock=args["break_lock"], orphan_lease_s=ORPHAN_TICKET_S, holder_alive=controller_alive)
        facts, folder = self._facts(host, where, args, seen, version_path)
        if args["purpose"] == "rollback":
            return self._open_rollback(host, where, path, args, task_vars, journal, lock, parent_names, now)
        if not args.get("version"):
            raise PhaseFailed("state=opened needs version (the target version of the update)")
        request = Request(version=args["version"], backup_method=args["backup_method"], mail=args["mail"], restore_data=args["restore_data"],
                          data_path=args["data_path"], allow_downgrade=args["allow_downgrade"],
                          window_inside=(args.get("window") or {}).get("inside", True), window_reason=(args.get("window") or {}).get("reason", ""))
        problems = self._problems(host, where, args, folder)
        server = ServerFacts(installed_version=facts["installed_version"], control_state=facts["control_state"],
                             structure_version=facts["structure_version"], service_state=facts["service_state"],
                             server_exists=folder.exists, leftovers=facts["leftovers"], error="; ".join(problems) or None)
        decision = (decide_staging if args["purpose"] == "stage" else decide)(journal, request, server, lock=lock)
        result: dict[str, t.Any] = {"changed": False, "journal_path": path, **facts, **decision.as_dict(),
                                    "history": self._history(seen.texts[where.history]) if decision.lock else []}
        # Ansible shows a result's warnings: what the decision took over or left behind, and unreadable journal lines.
        result["warnings"] = journal.warnings + decision.warnings
        if decision.action == "refuse":
            raise PhaseFailed(decision.reason, **{key: result[key] for key in ("action", "installed_version", "journal_path")})
        if decision.lock and args["purpose"] == "update":
            # Only a run that will make backups asks who else could read them (a round trip on Windows).
            result["warnings"] += self._backup_readers(host, args)
        if not decision.lock or self._task.check_mode:
            return {**result, "journal": None, "msg": decision.reason}
        run = self._run_id(task_vars)
        self._acquire(host, where, journal, lock, run, decision, args, now)
        return {**result, "changed": True, "run_id": run, "journal": {"path": path, "run": run}, "generation": lock.generation,
                "msg": decision.reason}

    def _open_rollback(self, host: Host, where: Layout, path: str, args: dict[str, t.Any], task_vars: dict[str, t.Any], journal: Journal,
                       lock: LockVerdict, parent_names: list[str], now: t.Any) -> dict[str, t.Any]:
        """The rollback playbook: take the lock to put a kept old folder back by hand."""
        found = old_folders(where.name, parent_names, host.case_insensitive)
        old = args.get("old_folder") or (found[-1] if found else None)
        if old and not _has(host, parent_names, old):
            raise PhaseFailed(f"there is no folder {old!r} beside {where.server} to roll back to")
        text = host.read_text(host.join(where.parent, old, args["version_file"])) if old and args["version_file"] else None
        installed = host.read_text(host.join(where.server, args["version_file"])) if _has(host, parent_names, where.name) else None
        decision = manual_rollback(journal, text.strip() if text else None, installed.strip() if installed else None, lock=lock,
                                   old_folder=old)
        result = {"changed": False, "journal_path": path, **decision.as_dict(), "old_folder": old, "history": [],
                  "warnings": journal.warnings + decision.warnings}
        if decision.action == "refuse":
            raise PhaseFailed(decision.reason, action="refuse", journal_path=path)
        if self._task.check_mode:
            return {**result, "journal": None, "msg": decision.reason}
        run = self._run_id(task_vars)
        self._acquire(host, where, journal, lock, run, decision, args, now)
        return {**result, "changed": True, "run_id": run, "journal": {"path": path, "run": run}, "generation": lock.generation,
                "msg": decision.reason}

    def _facts(self, host: Host, where: Layout, args: dict[str, t.Any], seen: Survey,
               version_path: str | None) -> tuple[dict[str, t.Any], ServerFolder]:
        """The installed version and state, and what the server folder looks like."""
        control = Control(host, args.get("control"))
        parent_names, temp_names = seen.listings[where.parent], seen.listings[where.temp]
        server = seen.stats[where.server]
        is_folder = bool(server.exists and server.is_dir and not server.is_link)
        status = control.status() if control.enabled else None
        text = seen.texts[version_path] if is_folder and version_path else None
        file_version = text.strip() if text else None
        entries = tuple(seen.listings[where.server]) if is_folder else ()
        control_version = str(status["version"]) if status and status.get("version") else None
        state = str(status.get("state") or "unknown") if status else ("unreachable" if control.enabled else "not configured")
        folder = ServerFolder(path=where.server, exists=server.exists, is_dir=server.is_dir, is_link=server.is_link, link_target=server.link_target,
                              entries=entries, file_version=file_version, control_url=control.url,
                              control_version=control_version, control_server_path=(status or {}).get("server_path"))
        doomed = old_folders_to_remove(where.name, parent_names, max(0, args["keep_old"]), host.case_insensitive)
        leftovers = bool(doomed) or _has(host, parent_names, host.name(where.temp))
        facts = {"installed_version": control_version or file_version, "version_source": "control" if control_version else
                 ("file" if file_version else None), "structure_version": (status or {}).get("structure_version"),
                 "control_state": state, "service_state": self._service_state(host, args, seen),
                 "server_exists": folder.exists, "leftovers": leftovers, "temp_entries": temp_names}
        return facts, folder

    @staticmethod
    def _service_state(host: Host, args: dict[str, t.Any], seen: Survey) -> str:
        """The server's state from the service manager (a status command's exit code came with the survey)."""
        settings = check_service_settings(args.get("service"))
        if settings["manager"] == "command" and seen.exit_code is not None:
            return state_of_status_code(seen.exit_code)
        return service_state(host, settings)

    @staticmethod
    def _history(text: str | None) -> list[dict[str, t.Any]]:
        """The newest records of the update history (for the admin mail)."""
        records, dummy = parse_history(text or "")
        return [to_dict(record) for record in last_records(records, HISTORY_IN_MAIL)]

    @staticmethod
    def _problems(host: Host, where: Layout, args: dict[str, t.Any], folder: ServerFolder) -> list[str]:
        """Every input proven before the first change on the host."""
        windows = host.family == "windows"
        problems = server_folder_problems(folder, windows, args["marker"])
        problems += data_path_problems(args["data_path"], where.server, windows)
        problems += preserve_problems(args.get("preserve"), args["preserve_extra"], windows)
        problems += observation_problems(str((args.get("control") or {}).get("type") or "none"), args["structure_log"])
        if args["keep_old"] < 0:
            problems.append(f"conaktiv_update_keep_old must be 0 or more, not {args['keep_old']}")
        return problems

    @staticmethod
    def _run_id(task_vars: dict[str, t.Any]) -> str:
        """Unique even for two runs started in the same second on one controller."""
        host = re.sub(r"[^A-Za-z0-9._-]+", "_", str(task_vars.get("inventory_hostname", "host")))
        return f"{utc_now().strftime('%Y%m%dT%H%M%SZ')}-{host}-{secrets.token_hex(3)}"

    def _acquire(self, host: Host, where: Layout, journal: Journal, lock: LockVerdict, run: str, decision: Decision,
                 args: dict[str, t.Any], now: t.Any) -> None:
        """Claim the next ticket, record the run (and any update it leaves), remove older tickets: one round trip on POSIX."""
        ticket = host.join(where.parent, ticket_name(lock.generation))
        writer = RunJournal(host, host.join(where.parent, JOURNAL_FILE_NAME), run)
        info = {**controller_identity(), "user": _user(), "version": decision.version,
                "from_version": decision.from_version, "plan": decision.todo, "action": decision.action, "resumes": decision.resumes,
                "abandons": decision.abandons, "data_path": args["data_path"], "restore_data": args["restore_data"],
                "backup_method": args["backup_method"], "ticket": ticket_name(lock.generation)}
        job = os.environ.get("AWX_JOB_ID") or os.environ.get("JOB_ID")
        if job:
            info["awx_job_id"] = job
        lines = [writer.line("opened", generation=lock.generation, data=info, lease_s=OPENING_LEASE_S, at=now)]
        if decision.abandons:
            lines.append(writer.line("abandoned", data={"run": decision.abandons}))
        # Everything before is finished and in the history: the journal starts anew with this run.
        record = Write("replace" if compactable(journal) and journal.runs else "append", writer.path, tuple(lines))
        stale = tuple(host.join(where.parent, name) for name in lock.stale_tickets if name != ticket_name(lock.generation))
        # The claim first: of two runs racing for the ticket, the one that loses writes nothing.
        # The journal names the run's folders, versions and backups: its owner and the admin group only (POSIX modes).
        steps = [Write("claim", ticket), protecting(writer.path, args["group"]), record] + ([Write("remove", paths=stale)] if stale else [])
        if not host.commit(steps):
            raise PhaseFailed(f"another update run claimed the update lock ({ticket}) at the same moment; this run does nothing. "
                              "If no other run is active, remove that folder or run again with conaktiv_update_break_lock=true")

    @staticmethod
    def _backup_readers(host: Host, args: dict[str, t.Any]) -> list[str]:
        """A warning when every user of the host could read the backups this update makes (Windows: the ACL they inherit)."""
        folder = args["backup_dir"]
        if not folder or args["backup_method"] == "none":
            return []
        readers = host.readers_of_new_files(folder)
        if readers is None:
            return [f"cannot read the access control list of the backup folder {folder}: whether every user of the host may read the "
                    "backups is unknown"]
        if not readers:
            return []
        return [f"every user of the host may read the backups in {folder}: its access control list lets {', '.join(readers)} read the "
                "files made in it, and each backup holds the whole CRM. Cut its inheritance and grant only the administrators, SYSTEM "
                "and the server's service account, e.g. icacls \"{folder}\" /inheritance:r /grant:r \"*S-1-5-32-544:(OI)(CI)F\" "
                "\"*S-1-5-18:(OI)(CI)F\""]

    # -- failed -----------------------------------------------------------------------------------
    def _failed(self, journal: RunJournal, args: dict[str, t.Any]) -> dict[str, t.Any]:
        """Record why the run failed (when no phase did) and return the rollback."""
        state = journal.read()
        chain = state.chain(journal.run)
        if chain is None:
            raise PhaseFailed(f"the run {journal.run} is not in the run journal {journal.path}")
        error = args["error"] or "unknown error"
        warnings = []
        if chain.failure is None and not self._task.check_mode:
            # The server's last log lines (a failed structure update) go with the error, one line each, for the failure report.
            failed = {"error": error[:2000], **({"log_tail": [line[:500] for line in args["log_tail"][-20:]]} if args["log_tail"] else {})}
            line = entry_line(journal.run, "failed", at=utc_now(), phase=_failing_phase(chain), data=failed)
            try:
                journal.write("failed", phase=_failing_phase(chain), data=failed)
            except ModuleFailed as exc:
                # A full disk, say: the rollback must still happen; it is decided from what the journal would hold.
                warnings.append(f"the failure could not be recorded in the run journal: {exc}")
            chain = read_journal("\n".join(event_lines(state) + [line])).chain(journal.run) or chain
        plan = rollback_plan(chain)
        todo = remaining(chain, [name for name in REPORT_PHASES if name in chain.info.get("plan", [])])
        if not self._task.check_mode:
            try:
                journal.write("rollback", data={"plan": plan})
            except ModuleFailed as exc:
                warnings.append(f"the rollback plan could not be recorded in the run journal: {exc}")
        failure = chain.failure
        return {"changed": True, "action": "rollback", "todo": todo, "rollback": plan, "restore_from": pre_backup(chain),
                "failed_phase": failure.name if failure else None, "error": (failure.error if failure else None) or error,
                "warnings": warnings, "msg": f"rolling back: {', '.join(plan) or 'nothing was changed on the server'}"}

    # -- closed -----------------------------------------------------------------------------------
    def _close(self, host: Host, where: Layout, journal: RunJournal, language: str) -> dict[str, t.Any]:
        """The outcome, from the journal; the lock is released."""
        state = journal.read()
        chain = state.chain(journal.run)
        if chain is None:
            raise PhaseFailed(f"the run {journal.run} is not in the run journal {journal.path}")
        ended = outcome(chain)
        result = {"changed": True, **ended, "run_id": journal.run, "runs": chain.run_ids, "downtime_s": downtime(chain),
                  "from_version": chain.info.get("from_version"), "to_version": chain.info.get("version"), **_aftermath(chain, ended)}
        result["report"] = failure_report(result, language)
        if self._task.check_mode:
            return {**result, "msg": f"would close the run with outcome {ended['outcome']}"}
        ticket = chain.last.info.get("ticket")
        release = [Write("remove", paths=(host.join(where.parent, str(ticket)),))] if ticket else []
        try:
            # The end recorded, then the lock released: one round trip on POSIX.
            host.commit([journal.appending([journal.line("closed", data=ended)])] + release)
        except ModuleFailed as exc:
            # The next run sees this run's controller gone (or its lease expired) and takes over; the outcome stands.
            result["warnings"] = [f"the end of the run could not be recorded in the run journal: {exc}"]
            if release:
                host.commit(release)
        return {**result, "msg": f"{ended['outcome']}" + (f": {ended['error']}" if ended.get("error") else "")}


def _aftermath(chain: Chain, ended: dict[str, t.Any]) -> dict[str, t.Any]:
    """What the run left: the version running now and whether it answers, the data restored (from which backup), the
    backups, the folders kept, the mail, the server's last log lines of a failure - from the journal alone."""
    phases = chain.phases()
    record = history_record(chain, "", None)

    def done(name: str) -> bool:
        return name in phases and phases[name].status == "done"

    outcome_name = ended.get("outcome")
    if outcome_name in ("updated", "up_to_date"):
        running, answers = chain.info.get("version"), True
    elif done("rollback_start") or (outcome_name == "rolled_back" and "start" not in phases):
        running, answers = chain.info.get("from_version"), True
    else:
        running, answers = None, False
    restore = phases.get("rollback_restore")
    tail = next((entry["data"].get("log_tail") for entry in reversed(chain.events())
                 if entry["event"] == "failed" and isinstance(entry.get("data"), dict) and entry["data"].get("log_tail")), None)
    return {"running_version": running, "answers": answers,
            "restored_from": restore.data.get("path") if restore is not None and restore.status == "done" else None,
            "data_touched": "start" in phases, "backups": record.backups, "kept": record.kept, "mail": record.mail,
            "log_tail": list(tail or [])}


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (with the pid, it names one process for good), or None without /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _boot_id() -> str | None:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return None


def _pid_namespace() -> int | None:
    """The pid namespace of this controller: two containers share a kernel (and its boot id), not their pids."""
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return None


def controller_identity() -> dict[str, t.Any]:
    """Who runs this update: the controller's name, its boot, and the ansible-playbook process (the workers' parent)."""
    pid = os.getppid()
    return {"controller": socket.gethostname(), "boot_id": _boot_id(), "pid_ns": _pid_namespace(), "pid": pid, "pid_start": _process_start(pid)}


def controller_alive(info: dict[str, t.Any]) -> bool | None:
    """Whether the run described by ``info`` still runs, as far as this controller can tell (None: it cannot).

    Only a run of this very controller can be looked at: same name, same pid namespace. A reboot since (another boot id)
    ended it; otherwise its ansible-playbook process must still be there with the start time it recorded.
    """
    if info.get("controller") != socket.gethostname() or not info.get("pid_ns") or info.get("pid_ns") != _pid_namespace():
        return None
    boot = _boot_id()
    if not boot or not info.get("boot_id"):
        return None
    if info["boot_id"] != boot:
        return False
    if not isinstance(info.get("pid"), int) or not info.get("pid_start"):
        return None
    return _process_start(info["pid"]) == info["pid_start"]


def _has(host: Host, names: list[str], wanted: str) -> bool:
    return any(host.same_name(name, wanted) for name in names)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"


def event_lines(journal: Journal) -> list[str]:
    """The events of a parsed journal as lines again (to decide as if one more line had been written)."""
    return [json.dumps(entry, sort_keys=True) for run in journal.runs for entry in run.events]


def _failing_phase(chain: Chain) -> str:
    """The phase a failure outside the phase modules (a hook, a task of the role) belongs to."""
    phases = chain.phases()
    open_phases = [name for name, state in phases.items() if state.status == "begun"]
    if open_phases:
        return open_phases[-1]
    done = [name for name in phases if name in FORWARD_PHASES]
    return f"hook after {done[-1]}" if done else "hook before stage"
