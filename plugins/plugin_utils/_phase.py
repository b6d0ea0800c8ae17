# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared skeleton of every phase's action plugin.

A phase subclasses :class:`PhaseAction`, sets ``ARGUMENT_SPEC`` (mirroring its doc stub) and
implements :meth:`PhaseAction.execute`. Validation, host selection, error reporting (failed vs.
unreachable), secret redaction and the round-trip count live here once.
"""

from __future__ import annotations

import datetime
import time
import typing as t

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ._control import ControlError
from ._host import Bracket, Host
from ._journal import with_slots
from ._posix_host import PosixHost
from ._run_journal import RunJournal
from ._runner import CheckModeViolation, HostUnreachable, ModuleFailed, Runner

display = Display()


def make_host(action: ActionBase, runner: Runner) -> Host:
    """Choose the host adapter from the connection's shell family.

    Windows has two: ``powershell`` and ``cmd``, which the winrm connection of ansible-core 2.21 uses by default (it is
    the PowerShell shell plugin with cmd.exe quoting; modules run through the same PowerShell exec wrapper either way).
    """
    family = getattr(action._connection._shell, "SHELL_FAMILY", "sh")
    if family in ("powershell", "cmd"):
        # Imported lazily: the Windows adapter is only needed for Windows targets.
        from ._windows_host import WindowsHost  # pylint: disable=import-outside-toplevel

        return WindowsHost(runner)
    return PosixHost(runner)


def secrets_of(args: dict[str, t.Any], spec: dict[str, t.Any]) -> list[str]:
    """Every value of an option marked ``no_log`` in ``spec`` (recursing into suboptions)."""
    found: list[str] = []
    for name, option in spec.items():
        value = (args or {}).get(name)
        if value in (None, ""):
            continue
        if option.get("no_log"):
            found.extend(str(item) for item in value if item not in (None, "")) if isinstance(value, list) else found.append(str(value))
        elif option.get("options") and isinstance(value, dict):
            found.extend(secrets_of(value, option["options"]))
    return found


def scrub(value: t.Any, secrets: list[str]) -> t.Any:
    """Replace every secret in strings inside ``value`` (dicts, lists, strings)."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, "********")
        return value
    if isinstance(value, dict):
        return {key: scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(item, secrets) for item in value]
    return value


class PhaseAction(ActionBase):
    """Base of the ``conaktiv.server`` phase action plugins.

    A phase given the ``journal`` option records itself in the run journal: ``begin`` (with its lease) before it
    acts, ``done`` with the result keys named in ``JOURNAL_KEYS`` after, ``failed`` with the reason. Nothing is
    written under check mode.

    Round trips are saved where the order stays the same: a phase with ``JOURNAL_BEGIN_WITH_CHANGE`` hands its begin to
    the host operation of its first change (:meth:`journal_bracket`), which writes it right before that change; a phase
    that changes nothing writes begin and done together. A phase may also have the host write its done with its last
    change. The ``journal`` option may say that the phase before wrote this phase's begin already (``begun``), and name
    the phase that follows (``then``: its begin is written with this phase's done, its lease refreshed at the boundary).
    """

    TRANSFERS_FILES = False
    ARGUMENT_SPEC: dict[str, t.Any] = {}
    MUTUALLY_EXCLUSIVE: list[list[str]] = []
    REQUIRED_IF: list[t.Any] = []
    REQUIRED_ONE_OF: list[list[str]] = []
    #: The phase name written to the journal when the ``journal`` option names none.
    JOURNAL_PHASE: str = ""
    #: Result keys kept in the journal's ``done`` event (later decisions and the history read them there).
    JOURNAL_KEYS: tuple[str, ...] = ()
    #: The phase writes its own ``begin`` event (it knows something worth recording only once it has looked).
    JOURNAL_BEGINS_ITSELF: bool = False
    #: Seconds the phase may take when its arguments say nothing (the lease of the update lock covers it).
    LEASE_S: float = 3600.0
    #: Whether the ``journal`` option makes this module record itself as a phase.
    JOURNALED: bool = True
    #: A journal that cannot be written (a full disk) only warns: for steps that must happen anyway (the admin's mail).
    JOURNAL_BEST_EFFORT: bool = False
    #: The begin waits for the phase's first change on the host and is written by the same round trip (see the class doc).
    JOURNAL_BEGIN_WITH_CHANGE: bool = False

    journal: RunJournal | None = None
    journal_phase: str = ""
    #: Set by a phase whose host operation wrote its own ``done`` event (the cutover).
    journal_done_by_host: bool = False
    #: Journal lines of this phase not written yet (its begin, waiting for the first change).
    _pending: tuple[str, ...] = ()
    #: The phase after this one (``phase``, ``lease_s``) whose begin goes with this phase's done.
    _then: dict[str, t.Any] | None = None

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        started = time.monotonic()
        result["started"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        del tmp  # unused; the shell's tmpdir is shared and removed below
        task_vars = task_vars or {}
        runner = Runner(self, task_vars)
        secrets: list[str] = []
        try:
            dummy, args = self.validate_argument_spec(self.ARGUMENT_SPEC, mutually_exclusive=self.MUTUALLY_EXCLUSIVE,
                                                      required_if=self.REQUIRED_IF, required_one_of=self.REQUIRED_ONE_OF)
            secrets = secrets_of(args, self.ARGUMENT_SPEC)
            host = make_host(self, runner)
            self._journal_open(host, args, secrets)
            outcome = self.execute(host, args, task_vars)
            self._journal_done(outcome, time.monotonic() - started)
            result.update(outcome)
        except HostUnreachable as exc:
            result.update(unreachable=True, msg=f"{self._task.action}: cannot reach the host: {exc}")
        except (AnsibleActionFail, ModuleFailed, ControlError, ValueError, CheckModeViolation) as exc:
            result.update(failed=True, msg=str(getattr(exc, "message", "") or exc))
            result.update(getattr(exc, "result_extra", None) or {})
            self._journal_failed(scrub(result["msg"], secrets), scrub(result.get("log_tail") or [], secrets))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        result["remote_calls"] = len(runner.calls)
        result["duration_s"] = round(time.monotonic() - started, 2)
        return scrub(result, secrets)

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        """Do the phase's work and return its result (changed, facts, ...)."""
        raise NotImplementedError

    def lease_seconds(self, args: dict[str, t.Any]) -> float:
        """How long this phase may take with these arguments (the journal's lease must outlast it)."""
        del args
        return self.LEASE_S

    def progress(self, message: str, task_vars: dict[str, t.Any]) -> None:
        """Show progress on the controller (visible with -v)."""
        display.v(f"{self._task.action}: {message}", host=str(task_vars.get("inventory_hostname", "")))

    @staticmethod
    def say(message: str) -> None:
        """A line for the operator at the default verbosity (what AWX shows while a long wait goes on)."""
        display.display(message)

    # -- the run journal ---------------------------------------------------------------------------
    def _journal_open(self, host: Host, args: dict[str, t.Any], secrets: list[str]) -> None:
        """Bind the journal named by the ``journal`` option and record the begin (unless the phase does it itself)."""
        option = args.get("journal") or {}
        self.journal_phase = str(option.get("phase") or self.JOURNAL_PHASE or self._task.action.rsplit(".", 1)[-1])
        self.journal = None if self._task.check_mode or not self.JOURNALED else RunJournal.from_option(host, option, secrets)
        self._pending, self._then = (), None
        if self.journal is None:
            return
        then = option.get("then")
        self._then = then if isinstance(then, dict) and then.get("phase") else None
        if self.JOURNAL_BEGINS_ITSELF or option.get("begun"):
            return
        begin = self.journal.line("begin", phase=self.journal_phase, lease_s=self.lease_seconds(args))
        if self.JOURNAL_BEGIN_WITH_CHANGE:
            self._pending = (begin,)
        else:
            self._journal_lines([begin])

    def journal_begin(self, args: dict[str, t.Any], **data: t.Any) -> None:
        """Record that the phase is about to change the host (with what a resumed run needs to know)."""
        if self.journal is not None:
            self._journal_write("begin", data=data or None, lease_s=self.lease_seconds(args))

    def journal_flush(self) -> None:
        """Write the waiting begin now: before a change that cannot carry it (one round trip)."""
        if self._pending:
            lines, self._pending = list(self._pending), ()
            self._journal_lines(lines)

    def journal_bracket(self, done: dict[str, t.Any] | None = None, *, numbers: dict[str, str] | None = None,
                        strings: dict[str, str] | None = None) -> Bracket | None:
        """The journal lines for the host operation of a change: the waiting begin, written before it; with ``done`` (what the
        phase will return, as far as known before), also the done (``numbers`` / ``strings``: its keys the host fills from
        its slots) and the next phase's begin, written after the change succeeded. None without a journal."""
        if self.journal is None:
            return None
        before, self._pending = self._pending, ()
        after: tuple[str, ...] = ()
        if done is not None:
            after = tuple(self._done_lines(done, None, numbers=numbers, strings=strings))
            self.journal_done_by_host = True
        self.journal.written.extend(before + after)
        return Bracket(self.journal.path, before, after)

    def _done_lines(self, outcome: dict[str, t.Any], seconds: float | None, *, numbers: dict[str, str] | None = None,
                    strings: dict[str, str] | None = None) -> list[str]:
        """The done line of the phase (and the next phase's begin when it is handed over)."""
        if self.journal is None:
            return []
        slotted = set(numbers or {}) | set(strings or {})
        data = {key: outcome[key] for key in self.JOURNAL_KEYS if key in outcome and outcome[key] is not None and key not in slotted}
        data.update(changed=bool(outcome.get("changed")), msg=str(outcome.get("msg") or "")[:300])
        if seconds is not None:
            data["duration_s"] = round(seconds, 2)
        lines = [with_slots(self.journal.line("done", phase=self.journal_phase, data=data), numbers, strings)]
        if self._then:
            lines.append(self.journal.line("begin", phase=str(self._then["phase"]), lease_s=float(self._then.get("lease_s") or self.LEASE_S)))
        return lines

    def _journal_done(self, outcome: dict[str, t.Any], seconds: float) -> None:
        if self.journal is None or self.journal_done_by_host:
            return
        # A phase that changed nothing writes its waiting begin with its done: one round trip.
        lines, self._pending = list(self._pending) + self._done_lines(outcome, seconds), ()
        self._journal_lines(lines)

    def _journal_write(self, event: str, **kwargs: t.Any) -> None:
        if self.journal is not None:
            self._journal_lines([self.journal.line(event, phase=self.journal_phase, **kwargs)])

    def _journal_lines(self, lines: list[str]) -> None:
        if self.journal is None:
            return
        try:
            self.journal.append(lines)
        except ModuleFailed as exc:
            if not self.JOURNAL_BEST_EFFORT:
                raise
            display.warning(f"{self._task.action}: the run journal could not be written ({exc}); going on without it")
            self.journal = None

    def _journal_failed(self, message: str, log_tail: list[str] | None = None) -> None:
        """Record the failure (after a begin still waiting), with the server's last log lines when the phase read them; a
        journal that cannot be written must not hide the failure itself."""
        if self.journal is None:
            return
        lines, self._pending = list(self._pending), ()
        data: dict[str, t.Any] = {"error": message[:2000]}
        if log_tail:
            data["log_tail"] = [str(line)[:500] for line in log_tail[-20:]]
        try:
            self.journal.append(lines + [self.journal.line("failed", phase=self.journal_phase, data=data)])
        except (HostUnreachable, ModuleFailed, AnsibleActionFail) as exc:
            display.warning(f"{self._task.action}: the failure could not be recorded in the run journal: {exc}")


class PhaseFailed(AnsibleActionFail):
    """A phase failure that carries extra result keys (e.g. the last log lines)."""

    # The message already says what went wrong; ansible-core would append the cause's text again.
    _include_cause_message = False

    def __init__(self, message: str, **extra: t.Any) -> None:
        super().__init__(message)
        self.result_extra = extra
