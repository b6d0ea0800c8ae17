# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run journal: the one durable record of where an update stands, and the lock of the host.

Pure logic, no I/O. The journal is a JSON-lines file beside the server folder
(``conaktiv-update-journal.jsonl``); every line is one event of one run::

    {"v": 1, "run": "<id>", "at": "<UTC ISO>", "event": "opened", "gen": 7, "lease_until": "...", "data": {...}}
    {"v": 1, "run": "<id>", "at": "...", "event": "begin", "phase": "stop", "lease_until": "...", "data": {...}}
    {"v": 1, "run": "<id>", "at": "...", "event": "done", "phase": "stop", "data": {...}}

Events: ``opened`` (a run took the lock; data: controller, pid, versions, plan, settings), ``begin`` /
``done`` / ``failed`` of a phase, ``rollback`` (the rollback plan after a failure), ``abandoned`` (a later run
found this update interrupted before the stop and left it), ``recorded`` (the history record is written),
``closed`` (the run ended: outcome, whether the server runs again; the lock is free).

A torn last line (a crash while writing) is skipped. Runs that continue an interrupted run name it in
``resumes``; such runs form a *chain*, one update. Decisions are made from the chain, never from the
installed version alone; see :func:`decide` and ``docs/docsite/rst/journal.rst`` (the decision table).

The lock: the holder is the last run of the file while it is not closed and its lease (``lease_until``
of its newest event with a lease, or that event's ``at`` plus its ``lease_s``: lines written with the host's clock carry
a lease relative to their own time) has not passed. Taking the lock is a claim of the *ticket* of the next generation,
``conaktiv-update-lock.<NNNNNN>`` beside the server folder, created exclusively on the host (mkdir): of two
runs starting together exactly one gets it. The holder removes older tickets; closing removes its own.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import time
import typing as t

from ._history import PhaseRecord, RunRecord, redact, to_dict

JOURNAL_FILE_NAME = "conaktiv-update-journal.jsonl"
TICKET_PREFIX = "conaktiv-update-lock."
SCHEMA = 1

# The update's phases in the vendor's order; an archive backup is taken after the stop instead of before it.
FORWARD_PHASES: tuple[str, ...] = ("stage", "backup_pre", "stop", "swap", "start", "structure_update", "backup_post", "cleanup")
ROLLBACK_PHASES: tuple[str, ...] = ("rollback_stop", "rollback_swap", "rollback_restore", "rollback_start")
REPORT_PHASES: tuple[str, ...] = ("mail", "history")  # the mail first: the history records whether it went out
ALL_PHASES: tuple[str, ...] = FORWARD_PHASES + ROLLBACK_PHASES + REPORT_PHASES
# Phases after which the server may be down: from here on, an interrupted update is finished or rolled back.
DOWNTIME_PHASES: frozenset[str] = frozenset({"stop", "swap", "start", "structure_update", "backup_post", "cleanup"} | set(ROLLBACK_PHASES))
BACKUP_METHODS_ONLINE: frozenset[str] = frozenset({"server", "command"})

_TICKET = re.compile(re.escape(TICKET_PREFIX) + r"([0-9]{6,})")


class JournalError(ValueError):
    """An event cannot be written (wrong name, missing phase)."""


# --- time ----------------------------------------------------------------------------------------


def utc_now() -> datetime.datetime:
    """The controller's time, in UTC (leases compare UTC times; controllers keep their clocks in sync)."""
    return datetime.datetime.now(datetime.timezone.utc)


def iso(moment: datetime.datetime) -> str:
    """``moment`` as ISO 8601 with seconds, UTC."""
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="seconds")


def parse_time(text: t.Any) -> datetime.datetime | None:
    """An ISO time with an offset, or None when missing or unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.timezone.utc)


# --- writing -------------------------------------------------------------------------------------

_EVENTS = frozenset({"opened", "begin", "done", "failed", "rollback", "abandoned", "recorded", "closed"})
_PHASE_EVENTS = frozenset({"begin", "done", "failed"})


def entry_line(run: str, event: str, *, at: datetime.datetime, phase: str | None = None, lease_until: datetime.datetime | None = None,
               generation: int | None = None, data: dict[str, t.Any] | None = None, secrets: t.Iterable[str] = (),
               lease_s: float | None = None) -> str:
    """One journal line (compact, ASCII, keys sorted, no newline); secrets are replaced before anything is written.

    ``lease_s`` gives the lease relative to the line's own time (for lines whose time the host puts in)."""
    if event not in _EVENTS:
        raise JournalError(f"unknown journal event {event!r}")
    if (event in _PHASE_EVENTS) != (phase is not None):
        raise JournalError(f"journal event {event!r} {'needs' if event in _PHASE_EVENTS else 'takes no'} phase")
    if not run:
        raise JournalError("a journal event needs the run id")
    entry: dict[str, t.Any] = {"v": SCHEMA, "run": run, "at": iso(at), "event": event}
    if phase is not None:
        entry["phase"] = phase
    if lease_until is not None:
        entry["lease_until"] = iso(lease_until)
    if lease_s is not None:
        entry["lease_s"] = int(lease_s)
    if generation is not None:
        entry["gen"] = generation
    if data:
        entry["data"] = redact(data, list(secrets))
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


#: Marks a slot in a journal line that the host fills: a raw TAB, the slot's name, a raw TAB (JSON text never holds a raw TAB).
SLOT = "\t"


def slot(name: str) -> str:
    """The placeholder of slot ``name`` (``epoch``: the host's clock; others: values the host's command reports)."""
    return f"{SLOT}{name}{SLOT}"


def with_slots(line: str, numbers: dict[str, str] | None = None, strings: dict[str, str] | None = None) -> str:
    """``line`` (with data) with members ``key: <slot>`` put first into its data: a number or a string the host fills in."""
    members = [f'"{key}":{slot(name)}' for key, name in sorted((numbers or {}).items())]
    members += [f'"{key}":"{slot(name)}"' for key, name in sorted((strings or {}).items())]
    marker = '"data":{'
    if not members:
        return line
    if marker not in line:
        raise JournalError("slots need a line with data")
    head, tail = line.split(marker, 1)
    return head + marker + ",".join(members) + ("," if not tail.startswith("}") else "") + tail


def fill_slots(line: str, values: dict[str, str]) -> str:
    """``line`` with its slots filled from ``values`` (``epoch`` from this machine's clock when not given)."""
    values = {"epoch": f"{time.time():.3f}", **values}
    for name, value in values.items():
        line = line.replace(slot(name), value)
    return line


# --- reading -------------------------------------------------------------------------------------


def parse_journal(text: str | None) -> tuple[list[dict[str, t.Any]], list[str]]:
    """The events of a journal, in order, and a warning per line that could not be read (skipped)."""
    events: list[dict[str, t.Any]] = []
    warnings: list[str] = []
    for number, line in enumerate((text or "").lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            warnings.append(f"line {number} of the run journal is torn or edited and was skipped")
            continue
        if not isinstance(entry, dict) or entry.get("event") not in _EVENTS or not isinstance(entry.get("run"), str):
            warnings.append(f"line {number} of the run journal is not a journal event and was skipped")
            continue
        if entry["event"] in _PHASE_EVENTS and not isinstance(entry.get("phase"), str):
            warnings.append(f"line {number} of the run journal names no phase and was skipped")
            continue
        events.append(entry)
    return events, warnings


@dataclasses.dataclass
class PhaseState:
    """Where one phase of a chain stands: begun, done or failed (by the newest event)."""

    name: str
    status: str
    run: str
    started: str | None
    finished: str | None = None
    data: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    error: str | None = None


@dataclasses.dataclass
class RunState:  # pylint: disable=too-many-instance-attributes
    """Everything the journal says about one run."""

    run: str
    generation: int | None = None
    opened_at: str | None = None
    info: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    last_at: str | None = None
    lease_until: str | None = None
    closed: dict[str, t.Any] | None = None
    abandoned_by: str | None = None
    recorded: bool = False
    events: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)

    @property
    def resumes(self) -> str | None:
        """The run this one continues, if any."""
        value = self.info.get("resumes")
        return value if isinstance(value, str) and value else None


@dataclasses.dataclass
class Journal:
    """A parsed journal: its runs in file order."""

    runs: list[RunState]
    warnings: list[str] = dataclasses.field(default_factory=list)

    def run(self, run_id: str) -> RunState | None:
        """The run with this id."""
        return next((run for run in self.runs if run.run == run_id), None)

    @property
    def max_generation(self) -> int:
        """The highest lock generation ever opened (0 for none)."""
        return max((run.generation or 0 for run in self.runs), default=0)

    def chain(self, run_id: str | None = None) -> "Chain | None":
        """The chain ending in ``run_id`` (default: the last run): that run and the runs it resumes, oldest first."""
        if not self.runs:
            return None
        last = self.run(run_id) if run_id else self.runs[-1]
        if last is None:
            return None
        members = [last]
        seen = {last.run}
        while members[0].resumes and members[0].resumes not in seen:
            earlier = self.run(members[0].resumes)
            if earlier is None:
                break
            members.insert(0, earlier)
            seen.add(earlier.run)
        return Chain(members)

    def chains(self) -> list["Chain"]:
        """Every chain of the file, by its last run, in file order (a run resumed by a later one belongs to that later chain)."""
        resumed = {run.resumes for run in self.runs if run.resumes}
        return [chain for run in self.runs if run.run not in resumed and (chain := self.chain(run.run)) is not None]


def fold(events: list[dict[str, t.Any]], warnings: list[str] | None = None) -> Journal:
    """The runs the events describe."""
    runs: dict[str, RunState] = {}
    order: list[str] = []
    for entry in events:
        run_id = entry["run"]
        if run_id not in runs:
            runs[run_id] = RunState(run=run_id)
            order.append(run_id)
        run = runs[run_id]
        run.events.append(entry)
        run.last_at = entry.get("at") or run.last_at
        if entry.get("lease_until"):
            run.lease_until = entry["lease_until"]
        elif isinstance(entry.get("lease_s"), (int, float)) and parse_time(entry.get("at")) is not None:
            run.lease_until = iso(parse_time(entry["at"]) + datetime.timedelta(seconds=entry["lease_s"]))
        data = entry.get("data") if isinstance(entry.get("data"), dict) else {}
        event = entry["event"]
        if event == "opened":
            run.generation = entry.get("gen") if isinstance(entry.get("gen"), int) else run.generation
            run.opened_at = run.opened_at or entry.get("at")
            run.info = {**run.info, **data}
        elif event == "closed":
            run.closed = data
        elif event == "abandoned" and isinstance(data.get("run"), str):
            target = runs.get(data["run"])
            if target is not None:
                target.abandoned_by = run_id
        elif event == "recorded" and isinstance(data.get("run"), str):
            target = runs.get(data["run"])
            if target is not None:
                target.recorded = True
        elif event == "done" and entry.get("phase") == "history" and isinstance(data.get("run_ids"), list):
            # The history phase's done names the updates whose records it wrote (one write instead of one per record).
            for recorded in data["run_ids"]:
                if isinstance(recorded, str) and recorded in runs:
                    runs[recorded].recorded = True
    return Journal([runs[run_id] for run_id in order], list(warnings or []))


def read_journal(text: str | None) -> Journal:
    """Parse and fold a journal's text."""
    events, warnings = parse_journal(text)
    return fold(events, warnings)


@dataclasses.dataclass
class Chain:
    """One update: a run and the interrupted runs it continued, oldest first."""

    members: list[RunState]

    @property
    def root(self) -> RunState:
        """The run that began the update."""
        return self.members[0]

    @property
    def last(self) -> RunState:
        """The newest run of the update."""
        return self.members[-1]

    @property
    def info(self) -> dict[str, t.Any]:
        """What the root recorded when it opened (versions, plan, settings)."""
        return self.root.info

    @property
    def run_ids(self) -> list[str]:
        """Ids of the runs, oldest first."""
        return [member.run for member in self.members]

    def events(self) -> list[dict[str, t.Any]]:
        """The events of every run of the chain, in order."""
        return [entry for member in self.members for entry in member.events]

    def phases(self) -> dict[str, PhaseState]:
        """The newest state of every phase that was begun, in the order phases were first begun."""
        states: dict[str, PhaseState] = {}
        for entry in self.events():
            if entry["event"] not in _PHASE_EVENTS:
                continue
            name, data = entry["phase"], entry.get("data") if isinstance(entry.get("data"), dict) else {}
            if entry["event"] == "begin":
                previous = states.get(name)
                states[name] = PhaseState(name, "begun", entry["run"], entry.get("at"),
                                          data={**(previous.data if previous else {}), **data})
            else:
                state = states.setdefault(name, PhaseState(name, "begun", entry["run"], entry.get("at")))
                state.status, state.run, state.finished = entry["event"], entry["run"], entry.get("at")
                state.data = {**state.data, **data}
                state.error = str(data.get("error") or "") or None if entry["event"] == "failed" else None
        return states

    def status(self, phase: str) -> str | None:
        """``begun``, ``done``, ``failed`` or None (never begun)."""
        state = self.phases().get(phase)
        return state.status if state else None

    def begun(self, phase: str) -> bool:
        """Whether ``phase`` was ever begun (it may have changed the host)."""
        return self.status(phase) is not None

    def done(self, phase: str) -> bool:
        """Whether ``phase`` finished successfully."""
        return self.status(phase) == "done"

    @property
    def failure(self) -> PhaseState | None:
        """The first failed step of the update itself (a forward phase, or a hook between phases): the reason for a rollback."""
        # A cleanup that failed leaves folders behind; the new version is healthy, so it is no reason to roll back.
        failed = [state for state in self.phases().values()
                  if state.status == "failed" and state.name != "cleanup" and (state.name in FORWARD_PHASES or state.name not in ALL_PHASES)]
        return min(failed, key=lambda state: state.finished or "") if failed else None

    @property
    def rolling_back(self) -> bool:
        """A forward phase failed, or a rollback was begun."""
        return self.failure is not None or any(self.begun(name) for name in ROLLBACK_PHASES)

    @property
    def stop_begun(self) -> bool:
        """Whether the server may have been stopped (or an archive backup taken while stopped) by this update."""
        return any(self.begun(name) for name in DOWNTIME_PHASES)

    @property
    def closed(self) -> bool:
        """Whether the newest run closed the update."""
        return self.last.closed is not None

    @property
    def converged(self) -> bool:
        """Closed with the server running again (new or previous version)."""
        return bool(self.last.closed and self.last.closed.get("converged", True))

    @property
    def managed(self) -> bool:
        """Opened by the role (with the lock), not a module run by hand."""
        return self.root.generation is not None

    @property
    def swap_unfinished(self) -> bool:
        """A swap or its rollback was begun and did not finish."""
        return any(self.status(name) in ("begun", "failed") for name in ("swap", "rollback_swap")) and not self.done("rollback_swap")

    @property
    def finished(self) -> bool:
        """Nothing is left to do for this update (closed and converged, or abandoned by a later run).

        For modules run by hand only an unfinished swap counts: it is theirs to finish.
        """
        if not self.managed:
            return not self.swap_unfinished
        return self.converged or self.last.abandoned_by is not None or self.root.abandoned_by is not None

    @property
    def abandoned(self) -> bool:
        """A later run left this update (interrupted before the stop) and started anew."""
        return self.root.abandoned_by is not None or self.last.abandoned_by is not None


# --- the lock ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Ticket:
    """A lock ticket beside the server folder and when it was made (host time, seconds since the epoch)."""

    name: str
    generation: int
    mtime: float | None = None


def tickets_in(names: t.Iterable[str], mtimes: dict[str, float] | None = None) -> list[Ticket]:
    """The lock tickets among the entries of the server's parent folder, by generation."""
    found = []
    for name in names:
        match = _TICKET.fullmatch(name)
        if match:
            found.append(Ticket(name, int(match.group(1)), (mtimes or {}).get(name)))
    return sorted(found, key=lambda ticket: ticket.generation)


def ticket_name(generation: int) -> str:
    """The file name of the ticket of ``generation``."""
    return f"{TICKET_PREFIX}{generation:06d}"


@dataclasses.dataclass(frozen=True)
class LockVerdict:
    """Whether this run may take the lock, and which generation it claims."""

    free: bool
    generation: int
    holder: str = ""
    warning: str = ""
    stale_tickets: tuple[str, ...] = ()


def describe_holder(run: RunState) -> str:
    """"run X (controller awx1, pid 42, user awx, since ...; lease until ...)" for messages."""
    info = run.info
    parts = [f"controller {info.get('controller', '?')}", f"pid {info.get('pid', '?')}"]
    if info.get("user"):
        parts.append(f"user {info['user']}")
    if info.get("awx_job_id"):
        parts.append(f"AWX job {info['awx_job_id']}")
    parts.append(f"since {run.opened_at or run.last_at or '?'}")
    parts.append(f"lease until {run.lease_until or '?'}")
    return f"run {run.run} ({', '.join(parts)})"


def lock_verdict(journal: Journal, tickets: list[Ticket], now: datetime.datetime, *, break_lock: bool = False,
                 orphan_lease_s: float = 3600.0, holder_alive: t.Callable[[dict[str, t.Any]], bool | None] | None = None) -> LockVerdict:
    """Decide whether the lock is free, held by a live run, or stale (taken over with a warning).

    ``tickets`` are those found beside the server folder; a ticket newer than the journal's last generation
    belongs to a run that claimed the lock but has not written the journal yet (or died right then): it is
    respected for ``orphan_lease_s`` after it was made. ``holder_alive`` tells from the holder's ``opened`` info
    whether its controller process still runs (True / False), or None where this controller cannot know (another
    machine): a holder known dead is taken over at once, the others when their lease has expired.
    """
    generation = max([journal.max_generation] + [ticket.generation for ticket in tickets]) + 1
    stale = tuple(ticket.name for ticket in tickets)
    last = journal.runs[-1] if journal.runs else None
    holder = last if last is not None and last.closed is None and last.generation is not None else None
    warnings = []
    if holder is not None:
        lease = parse_time(holder.lease_until)
        live_lease = lease is not None and lease > now
        alive = holder_alive(holder.info) if holder_alive is not None and live_lease else None
        if live_lease and not break_lock and alive is not False:
            return LockVerdict(False, generation, holder=describe_holder(holder))
        reason = ("its controller process is no longer running" if live_lease and alive is False
                  else "conaktiv_update_break_lock is set" if live_lease else "its lease has expired")
        warnings.append(f"taking over the update lock of {describe_holder(holder)}: {reason}")
    newer = [ticket for ticket in tickets if ticket.generation > journal.max_generation]
    for ticket in newer:
        made = datetime.datetime.fromtimestamp(ticket.mtime, datetime.timezone.utc) if ticket.mtime is not None else None
        if not break_lock and (made is None or (now - made).total_seconds() < orphan_lease_s):
            when = iso(made) if made else "an unknown time"
            return LockVerdict(False, generation, holder=f"a run that claimed the lock ticket {ticket.name} at {when} and has not "
                                                         "written the run journal yet")
        warnings.append(f"removing the abandoned lock ticket {ticket.name}")
    return LockVerdict(True, generation, warning="; ".join(warnings), stale_tickets=stale)


# --- decisions -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Request:  # pylint: disable=too-many-instance-attributes
    """What this run was asked to do (the role's settings), as far as decisions depend on it."""

    version: str
    backup_method: str = "server"
    mail: bool = False
    restore_data: bool = True
    data_path: str = ""
    allow_downgrade: bool = False
    window_inside: bool = True
    window_reason: str = ""


@dataclasses.dataclass(frozen=True)
class ServerFacts:
    """What the host says about the installed server (read before deciding)."""

    installed_version: str | None
    control_state: str = "not configured"
    structure_version: str | None = None
    service_state: str = "unknown"
    server_exists: bool = True
    leftovers: bool = False
    error: str | None = None


@dataclasses.dataclass
class Decision:  # pylint: disable=too-many-instance-attributes
    """What this run does, and why."""

    action: str
    todo: list[str]
    version: str
    from_version: str | None
    reason: str
    resumes: str | None = None
    abandons: str | None = None
    lock: bool = False
    warnings: list[str] = dataclasses.field(default_factory=list)
    restore_from: str | None = None

    def as_dict(self) -> dict[str, t.Any]:
        """The decision as returned to the role."""
        return dataclasses.asdict(self)


def fresh_plan(request: Request) -> list[str]:
    """The phases of a new update, in order."""
    method = request.backup_method or "server"
    plan = ["stage"]
    if method in BACKUP_METHODS_ONLINE:
        plan.append("backup_pre")
    plan.append("stop")
    if method == "archive":
        plan.append("backup_pre")
    plan += ["swap", "start", "structure_update"]
    if method != "none":
        plan.append("backup_post")
    plan.append("cleanup")
    # The mail before the history: the history records whether it went out.
    if request.mail:
        plan.append("mail")
    plan.append("history")
    return plan


def rollback_plan(chain: Chain) -> list[str]:
    """What puts the previous version back, from how far the update got.

    The new version is stopped when it may have been started; the old folder is put back when the swap began; the
    data is restored from the pre-update backup when the new version may have touched it (and the run was set up to
    restore); the previous version is started whenever the server may have been stopped.
    """
    info = chain.info
    started_new = any(chain.begun(name) for name in ("start", "structure_update", "backup_post", "cleanup"))
    plan = []
    if started_new:
        plan.append("rollback_stop")
    if chain.begun("swap"):
        plan.append("rollback_swap")
    if started_new and info.get("restore_data", True) and info.get("data_path") and pre_backup(chain):
        plan.append("rollback_restore")
    if chain.stop_begun:
        plan.append("rollback_start")
    return plan


def pre_backup(chain: Chain) -> str | None:
    """The path of the pre-update backup, when it was made."""
    state = chain.phases().get("backup_pre")
    return str(state.data.get("path")) if state and state.status == "done" and state.data.get("path") else None


def remaining(chain: Chain, report: list[str]) -> list[str]:
    """The phases of an interrupted update that are still to do: its plan (or its rollback) without what is done,
    then the report (written again after a closed update whose rollback did not bring the server back)."""
    if chain.rolling_back:
        # What the failure calls for, and whatever rollback step was begun (a rollback run by hand has its own plan).
        wanted = set(rollback_plan(chain)) | {name for name in ROLLBACK_PHASES if chain.begun(name)}
        plan = [name for name in ROLLBACK_PHASES if name in wanted]
    else:
        plan = [name for name in chain.info.get("plan", []) if name not in REPORT_PHASES]
    todo = [name for name in plan if not chain.done(name)]
    redo_report = chain.closed and not chain.converged
    todo += [name for name in report if redo_report or not chain.done(name)]
    return list(dict.fromkeys(todo))


def decide(journal: Journal, request: Request, facts: ServerFacts, *, lock: LockVerdict) -> Decision:
    """The decision table (``docs/docsite/rst/journal.rst``): what this run does, read from the journal first.

    1. The lock is held by a live run: refuse.
    2. An update interrupted *after* the stop (the server may be down): finish it, or finish its rollback when a
       phase had failed; whatever the window says, with the versions it recorded.
    3. An update interrupted *before* the stop: nothing of the server changed; it is recorded as interrupted and
       this run starts anew.
    4. Outside the update window: nothing.
    5. The target version is installed: up to date (make sure it runs, clean up leftovers); but a server that
       reports ``failed`` or whose data structure lags behind is refused, and one still migrating is waited for.
    6. A lower target version: refused unless downgrades are allowed.
    7. Otherwise a new update.
    """
    from_version = facts.installed_version
    report = (["mail"] if request.mail else []) + ["history"]
    if not lock.free:
        return Decision("refuse", [], request.version, from_version,
                        f"another update holds the lock: {lock.holder}; wait for it to end, or if it is dead, run again with "
                        "conaktiv_update_break_lock=true")
    warnings = [lock.warning] if lock.warning else []
    chain = journal.chain()
    if chain is not None and not chain.managed and not chain.finished:
        return Decision("refuse", [], request.version, from_version,
                        f"a swap run by hand ({chain.last.run}, {chain.last.last_at}) is unfinished: finish it with conaktiv.server.swap "
                        "state=swapped or undo it with state=rolled_back, then run the update again")
    abandons = None
    if chain is not None and not chain.finished and not chain.stop_begun:
        abandons = chain.root.run
        warnings.append(f"the update {chain.root.run} to {chain.info.get('version', '?')} was interrupted before the server was "
                        "stopped; it is recorded as interrupted and this run starts anew")
        chain = None
    if chain is not None and not chain.finished:
        version = str(chain.info.get("version") or request.version)
        if version != request.version:
            warnings.append(f"the interrupted update to {version} is finished first; run again for {request.version}")
        if not request.window_inside:
            warnings.append(f"outside the update window ({request.window_reason}), but the server may be down since the interrupted "
                            f"update {chain.root.run}: it is finished now")
        todo = remaining(chain, report)
        action = "rollback" if chain.rolling_back else "resume"
        failed = chain.failure
        why = (f"the update {chain.root.run} failed in phase {failed.name}" if failed else f"the update {chain.root.run} was interrupted")
        reason = (f"{why}; rolling it back: {', '.join(todo)}" if action == "rollback"
                  else f"{why} after the stop; finishing it: {', '.join(todo)}")
        return Decision(action, todo, version, chain.info.get("from_version"), reason, resumes=chain.last.run, lock=True,
                        warnings=warnings, restore_from=pre_backup(chain))
    if not request.window_inside:
        return Decision("outside_window", [], request.version, from_version, f"outside the update window: {request.window_reason}",
                        abandons=None, warnings=warnings)
    if facts.error:
        return Decision("refuse", [], request.version, from_version, facts.error, abandons=abandons, warnings=warnings)
    if from_version and _same(from_version, request.version):
        return _installed_target(request, facts, abandons, warnings)
    if from_version and not request.allow_downgrade and _older(request.version, from_version):
        return Decision("refuse", [], request.version, from_version,
                        f"the target version {request.version} is older than the installed {from_version}: a downgrade is refused "
                        "unless conaktiv_update_allow_downgrade is true (the data structure of the newer version may not be "
                        "readable by the older one)", abandons=abandons, warnings=warnings)
    plan = fresh_plan(request)
    return Decision("fresh", plan, request.version, from_version,
                    f"updating {from_version or 'an unknown version'} to {request.version}", abandons=abandons, lock=True,
                    warnings=warnings)


def decide_staging(journal: Journal, request: Request, facts: ServerFacts, *, lock: LockVerdict) -> Decision:
    """What a staging run (the new version downloaded and unpacked ahead of the window) does; it never stops anything.

    1. The lock is held by a live run: refuse (the staging is tried again by its next run).
    2. A swap run by hand or an update interrupted after the stop is unfinished: refuse; the update run finishes it.
    3. An update or staging interrupted before the stop is recorded as interrupted.
    4. The target version is installed: nothing to stage. A lower one is refused unless downgrades are allowed.
    5. Otherwise: stage (and write the history record "staged").
    """
    from_version = facts.installed_version
    if not lock.free:
        return Decision("refuse", [], request.version, from_version,
                        f"another run holds the update lock: {lock.holder}; nothing is staged now, the next staging run tries again")
    warnings = [lock.warning] if lock.warning else []
    chain = journal.chain()
    abandons = None
    if chain is not None and not chain.finished:
        if not chain.managed or chain.stop_begun:
            return Decision("refuse", [], request.version, from_version,
                            f"the {'swap run by hand' if not chain.managed else 'update'} {chain.last.run} to {chain.info.get('version', '?')} "
                            "is unfinished and the server may be down: run the update to finish it; nothing is staged now")
        abandons = chain.root.run
        warnings.append(f"the {'staging' if chain.info.get('action') == 'stage' else 'update'} {chain.root.run} to "
                        f"{chain.info.get('version', '?')} was interrupted before anything was stopped; it is recorded as interrupted")
    if facts.error:
        return Decision("refuse", [], request.version, from_version, facts.error, abandons=abandons, warnings=warnings)
    if from_version and _same(from_version, request.version):
        return Decision("up_to_date", [], request.version, from_version, f"ConAktiv {from_version} is installed already: nothing to stage",
                        abandons=abandons, warnings=warnings)
    if from_version and not request.allow_downgrade and _older(request.version, from_version):
        return Decision("refuse", [], request.version, from_version,
                        f"the target version {request.version} is older than the installed {from_version}: a downgrade is refused "
                        "unless conaktiv_update_allow_downgrade is true", abandons=abandons, warnings=warnings)
    return Decision("stage", ["stage", "history"], request.version, from_version,
                    f"staging {request.version} ahead of the update (installed: {from_version or 'unknown'})", abandons=abandons, lock=True,
                    warnings=warnings)


def _installed_target(request: Request, facts: ServerFacts, abandons: str | None, warnings: list[str]) -> Decision:
    """Rule 5: the target version is installed."""
    version, installed = request.version, facts.installed_version
    if facts.control_state == "failed":
        return Decision("refuse", [], version, installed,
                        f"ConAktiv {installed} is installed but reports state 'failed'; the data may be half migrated. No update "
                        "run left this behind (the run journal has no unfinished update): check the server's log, restore the data "
                        "from a backup or put an old version back with conaktiv.server.rollback", abandons=abandons, warnings=warnings)
    if facts.control_state in ("migrating", "starting"):
        return Decision("await_structure_update", ["structure_update"], version, installed,
                        f"ConAktiv {installed} is installed and its structure update is still running; waiting for it",
                        abandons=abandons, warnings=warnings)
    if facts.structure_version and installed and _older(str(facts.structure_version), installed, release_only=True):
        return Decision("refuse", [], version, installed,
                        f"ConAktiv {installed} is installed, but its user data still has the structure of {facts.structure_version}: "
                        "the structure update did not run or did not finish. No update run left this behind; check the server's "
                        "log before anything else is done", abandons=abandons, warnings=warnings)
    todo = (["start"] if facts.service_state == "stopped" else []) + (["cleanup"] if facts.leftovers else [])
    return Decision("up_to_date", todo, version, installed,
                    f"ConAktiv {installed} is already installed" + (f"; to do: {', '.join(todo)}" if todo else "; nothing to do"),
                    abandons=abandons, lock=bool(todo or abandons), warnings=warnings)


def _same(left: str, right: str) -> bool:
    from ._version import versions_match  # pylint: disable=import-outside-toplevel

    try:
        return versions_match(str(left), str(right))
    except ValueError:
        return str(left).strip() == str(right).strip()


def _older(left: str, right: str, release_only: bool = False) -> bool:
    """Whether version ``left`` is older than ``right`` (a data structure carries no build number: ``release_only``)."""
    from ._version import compare_versions, parse_version  # pylint: disable=import-outside-toplevel

    try:
        if release_only:
            return parse_version(str(left)).release < parse_version(str(right)).release
        return compare_versions(str(left), str(right)) < 0
    except ValueError:
        return False


def manual_rollback(journal: Journal, version: str | None, from_version: str | None, *, lock: LockVerdict,
                    old_folder: str | None) -> Decision:
    """The decision for the rollback playbook: put a kept old folder back by hand, under the same lock."""
    if not lock.free:
        return Decision("refuse", [], version or "?", from_version,
                        f"an update holds the lock: {lock.holder}; wait for it to end, or if it is dead, run again with "
                        "conaktiv_update_break_lock=true")
    chain = journal.chain()
    if chain is not None and not chain.finished:
        return Decision("refuse", [], version or "?", from_version,
                        f"the update {chain.root.run} is unfinished: run the update playbook again, it finishes the update or its "
                        "rollback from the run journal; roll back by hand only afterwards")
    if not old_folder:
        return Decision("refuse", [], version or "?", from_version, "there is no old server folder (_oldNNNN) to roll back to")
    todo = ["stop", "rollback_swap", "rollback_start", "history"]
    return Decision("manual_rollback", todo, version or "?", from_version, f"putting {old_folder} back by hand", lock=True,
                    warnings=[lock.warning] if lock.warning else [])


def start_refusal(chain: Chain | None) -> str | None:
    """Why the server must not be started now (a version whose carry-over is not confirmed), or None."""
    if chain is None:
        return None
    # A rollback of the swap moves whole confirmed folders (the previous version, or the new one when nothing moved), so
    # only an unfinished forward swap leaves a folder whose carry-over nobody confirmed.
    if chain.begun("swap") and not chain.done("swap") and not chain.done("rollback_swap"):
        return ("the swap is unfinished: the preferences, certificates and dictionaries were not confirmed carried over into the new "
                "version, so it is not started (run the update again to finish the swap)")
    return None


# --- outcome and history -------------------------------------------------------------------------


def outcome(chain: Chain) -> dict[str, t.Any]:
    """How the update ended: outcome, whether the server runs again, the failed phase and the error."""
    failure = chain.failure
    if failure is None and chain.info.get("action") == "manual_rollback":
        back = chain.done("rollback_start") and chain.done("rollback_swap")
        errors = [state.error or "unknown error" for state in chain.phases().values() if state.status == "failed"]
        return {"outcome": "rolled_back" if back else "failed", "converged": back or not chain.stop_begun,
                "failed_phase": next((state.name for state in chain.phases().values() if state.status == "failed"), None),
                "error": "; ".join(errors) or None}
    if chain.info.get("action") == "stage":
        # A staging run changes nothing the users notice: whatever happened, nothing is to be brought back.
        if failure is not None:
            return {"outcome": "failed", "converged": True, "failed_phase": failure.name, "error": failure.error or "unknown error"}
        return {"outcome": "staged" if chain.done("stage") else "interrupted", "converged": True, "failed_phase": None, "error": None}
    if failure is None:
        forward = [name for name in chain.info.get("plan", []) if name in FORWARD_PHASES and name != "cleanup"]
        if all(chain.done(name) for name in forward):
            result = "up_to_date" if chain.info.get("action") == "up_to_date" else "updated"
            return {"outcome": result, "converged": True, "failed_phase": None, "error": None}
        return {"outcome": "interrupted", "converged": not chain.stop_begun, "failed_phase": None, "error": None}
    back = chain.done("rollback_start") and (not chain.begun("swap") or chain.done("rollback_swap"))
    errors = [failure.error or "unknown error"]
    for name in ROLLBACK_PHASES:
        state = chain.phases().get(name)
        if state and state.status == "failed":
            errors.append(f"the rollback failed too ({name}): {state.error or 'unknown error'}")
    if not chain.stop_begun:
        return {"outcome": "failed", "converged": True, "failed_phase": failure.name, "error": "; ".join(errors)}
    return {"outcome": "rolled_back" if back else "failed", "converged": back, "failed_phase": failure.name, "error": "; ".join(errors)}


_RECORDED_PHASES = FORWARD_PHASES + ROLLBACK_PHASES


def history_record(chain: Chain, host: str, finished: str | None) -> RunRecord:
    """The history record of an update (all runs of the chain), built from the journal alone."""
    events = chain.events()
    phases: list[PhaseRecord] = []
    open_begins: dict[str, dict[str, t.Any]] = {}
    backups: list[dict[str, t.Any]] = []
    for entry in events:
        if entry["event"] not in _PHASE_EVENTS or entry["phase"] not in _RECORDED_PHASES:
            continue
        name, data = entry["phase"], entry.get("data") if isinstance(entry.get("data"), dict) else {}
        if entry["event"] == "begin":
            earlier = open_begins.get(name)
            if earlier is not None and earlier.get("run") == entry.get("run"):
                continue  # begun twice by one run (the cutover issues the start, the start task then waits for it): one phase
            if earlier is not None:
                phases.append(_phase_record(open_begins.pop(name), None, "failed", "interrupted (the controller stopped)"))
            open_begins[name] = entry
            continue
        begin = open_begins.pop(name, None)
        if entry["event"] == "done":
            phases.append(_phase_record(begin or entry, entry, "changed" if data.get("changed", True) else "ok", str(data.get("msg") or "")))
            if name.startswith("backup") and data.get("path"):
                backups.append({key: data.get(key) for key in ("label", "path", "sha256", "size")})
        else:
            phases.append(_phase_record(begin or entry, entry, "failed", str(data.get("error") or "")))
    for begin in open_begins.values():
        phases.append(_phase_record(begin, None, "failed", "interrupted (the controller stopped)"))
    phases.sort(key=lambda phase: phase.started)
    mail, kept = _side_effects(events)
    ended = outcome(chain)
    if chain.abandoned:
        ended = {**ended, "outcome": "failed" if chain.failure else "interrupted"}
    return RunRecord(run_id=chain.root.run, host=host, started=str(chain.root.opened_at or (events[0]["at"] if events else "")),
                     finished=finished, from_version=chain.info.get("from_version"), to_version=chain.info.get("version"),
                     outcome=ended["outcome"], phases=phases, downtime_s=downtime(chain), backups=backups,
                     error=ended["error"], failed_phase=ended["failed_phase"], runs=chain.run_ids, mail=mail, kept=kept)


def _side_effects(events: list[dict[str, t.Any]]) -> tuple[dict[str, t.Any] | None, list[str]]:
    """The mail (the last attempt: sent, to whom, why not) and the folders kept on purpose, from the journal's events."""
    mail: dict[str, t.Any] | None = None
    kept: list[str] = []
    for entry in events:
        data = entry.get("data") if isinstance(entry.get("data"), dict) else {}
        if entry.get("phase") == "mail" and entry["event"] in ("done", "failed"):
            error = data.get("mail_error") or data.get("error") or (None if entry["event"] == "done" else "the mail phase failed")
            mail = {"sent": not error and bool(data.get("message_id")), "to": list(data.get("to") or []), "error": error,
                    "message_id": data.get("message_id")}
        elif entry.get("phase") == "cleanup" and entry["event"] == "done":
            kept = [path for path in kept if path not in (data.get("removed") or [])] + list(data.get("kept") or [])
        elif entry.get("phase") == "rollback_swap" and entry["event"] == "done" and data.get("failed_path"):
            kept.append(str(data["failed_path"]))
    return mail, list(dict.fromkeys(kept))


def _phase_record(begin: dict[str, t.Any], end: dict[str, t.Any] | None, result: str, detail: str) -> PhaseRecord:
    started = str(begin.get("at") or "")
    duration = 0.0
    if end is not None:
        first, last = parse_time(begin.get("at")), parse_time(end.get("at"))
        if first and last:
            duration = max(0.0, (last - first).total_seconds())
        seconds = (end.get("data") or {}).get("duration_s") if isinstance(end.get("data"), dict) else None
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
            duration = float(seconds)
    return PhaseRecord(name=str(begin.get("phase")), started=started, duration_s=round(duration, 2), outcome=result, detail=detail[:500])


def downtime(chain: Chain) -> float | None:
    """Seconds from the stop to the next successful start (of the new or the previous version), from the journal."""
    phases = chain.phases()
    stop = phases.get("stop")
    stopped_at = stop.data.get("stopped_at") if stop and stop.status == "done" else None
    if not isinstance(stopped_at, (int, float)):
        return None
    starts = [phases[name].data.get("started_at") for name in ("start", "rollback_start")
              if name in phases and phases[name].status == "done"]
    starts = [value for value in starts if isinstance(value, (int, float)) and value >= stopped_at]
    return round(max(starts) - stopped_at, 1) if starts else None


def records_to_write(journal: Journal, host: str, finished: str) -> list[RunRecord]:
    """History records still missing: every abandoned or closed update not yet recorded, then the current one."""
    records = []
    chains = journal.chains()
    for index, chain in enumerate(chains):
        current = index == len(chains) - 1
        if chain.root.recorded and not current:
            continue
        if current or chain.abandoned or chain.closed:
            records.append(history_record(chain, host, finished if current else (chain.last.last_at or finished)))
    return records


def compactable(journal: Journal) -> bool:
    """Whether the file holds nothing still needed: every update finished and recorded (a new run may start it afresh)."""
    return all(chain.finished and (chain.root.recorded or "history" not in chain.info.get("plan", [])) for chain in journal.chains())


def record_dict(record: RunRecord) -> dict[str, t.Any]:
    """A history record as a plain dict."""
    return to_dict(record)


def summary(journal: Journal) -> dict[str, t.Any]:
    """Where the newest update of a journal stands, for info and status: unfinished or not, last phase, lock holder."""
    chain = journal.chain()
    if chain is None:
        return {"unfinished": False, "last_run": None, "runs": [], "version": None, "phase": None, "phase_status": None,
                "holder": None, "outcome": None, "warnings": journal.warnings}
    phases = chain.phases()
    last = list(phases.values())[-1] if phases else None
    managed = chain.last.generation is not None
    holder = None if chain.closed or not managed else {
        "run": chain.last.run, "lease_until": chain.last.lease_until, **{key: chain.last.info.get(key) for key in ("controller", "pid", "user")}}
    return {"unfinished": managed and not chain.finished, "last_run": chain.last.run, "runs": chain.run_ids,
            "version": chain.info.get("version"), "phase": last.name if last else None, "phase_status": last.status if last else None,
            "holder": holder, "outcome": (chain.last.closed or {}).get("outcome"), "warnings": journal.warnings}
