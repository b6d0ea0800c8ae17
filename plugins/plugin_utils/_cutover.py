# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cutover: the whole downtime as one designed host operation (DESIGN.md, "The cutover").

Everything that can be read or decided is done before the stop (:func:`plan`); after the stop one remote call
verifies the server is gone, writes the journal's ``swap`` begin, renames the server folder to ``_oldNNNN``,
renames the staged tree into its place, carries the preserved items over, writes the ``swap`` done and, when asked,
the ``start`` begin, starts the server and, once the service manager confirms the start, writes the ``start`` done. It
reports every step it completed, so that a failure names how far it got; the journal lines it wrote let the next run
resume exactly there.

This module is pure: it builds the plan, the journal lines and the script arguments, and reads the script's report.
The adapters run it: one ``conaktiv.server.host_command`` of POSIX ``sh`` (:data:`POSIX_SCRIPT`), one
``ansible.windows.win_powershell`` snippet on Windows (``_windows_host.CUTOVER_SCRIPT``).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import typing as t

from ._journal import entry_line

# Placeholder time in the journal lines made here; the host puts its own clock's time in (a line is "at" when it happened).
_PLACEHOLDER = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
_AT_PREFIX = '{"at":"2000-01-01T00:00:00+00:00",'
_DATA_PREFIX = '"data":{'

# The steps the host reports, in order. A failure names the step that failed; everything before it was done.
STEPS = ("stopped", "begin", "renamed_old", "renamed_new", "carried", "done", "start_begin", "started", "start_done", "then_begin")
STEP_TEXT = {
    "stopped": "making sure the server process is gone (its pid file removed)",
    "begin": "writing the journal's swap begin",
    "renamed_old": "renaming the server folder to the old folder",
    "renamed_new": "renaming the staged version into the server folder",
    "carried": "carrying the preserved items over",
    "done": "writing the journal's swap done",
    "start_begin": "writing the journal's start begin",
    "started": "starting the server",
    "start_done": "writing the journal's start done",
    "then_begin": "writing the journal's begin of the phase that follows",
}


@dataclasses.dataclass(frozen=True)
class CutoverPlan:  # pylint: disable=too-many-instance-attributes
    """What the cutover does, decided before the stop."""

    journal: str
    server: str
    old: str
    staged: str | None
    move_old: bool
    items: tuple[str, ...]
    item_paths_old: tuple[str, ...]
    item_paths_new: tuple[str, ...]
    begin_tail: str
    done_tail: str
    start_tail: str | None = None
    start_done_tail: str | None = None
    then_tail: str | None = None
    start_argv: tuple[str, ...] = ()
    service_name: str | None = None
    pid_file: str | None = None
    wait_s: int = 60
    start_wait_s: int = 300

    def as_dict(self) -> dict[str, t.Any]:
        """The plan as data (it travels from the task before the stop to the cutover task)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, t.Any]) -> "CutoverPlan":
        """The plan given back; unknown or missing keys are an error."""
        fields = {field.name for field in dataclasses.fields(cls)}
        if set(data) - fields or {"journal", "server", "old"} - set(data):
            raise ValueError(f"not a cutover plan: keys {sorted(data)}")
        values = dict(data)
        for key in ("items", "item_paths_old", "item_paths_new", "start_argv"):
            values[key] = tuple(values.get(key) or ())
        return cls(**values)


def _tail(line: str, prefix: str) -> str:
    if not line.startswith(prefix):
        raise ValueError(f"unexpected journal line {line[:60]!r}")
    return line[len(prefix):]


@dataclasses.dataclass(frozen=True)
class CutoverLines:
    """The journal lines of the cutover without their time (the host's clock puts it in, and the leases count from it)."""

    begin: str
    done: str
    start: str | None = None
    start_done: str | None = None
    then: str | None = None


def journal_tails(run: str, *, version: str | None, old_name: str, old_path: str, resumed: bool, lease_s: float,
                  start_lease_s: float | None, then: tuple[str, float] | None = None, secrets: t.Iterable[str] = ()) -> CutoverLines:
    """The cutover's lines: swap begin, swap done (its lists added by the host), and with a start the start begin, the start done
    (its ``started_at`` added by the host) and the begin of the phase that follows (``then``: name, lease), handed over."""
    secrets = list(secrets)
    begin = entry_line(run, "begin", at=_PLACEHOLDER, phase="swap", lease_s=lease_s,
                       data={"old": old_name, "version": version, "resumed": resumed, "cutover": True}, secrets=secrets)
    done = entry_line(run, "done", at=_PLACEHOLDER, phase="swap",
                      data={"changed": True, "old_path": old_path, "version": version, "resumed": resumed,
                            "msg": f"version {version} is in place; the old version is in {old_path}"}, secrets=secrets)
    begin_tail = _tail(begin, _AT_PREFIX)
    done_tail = _tail(_tail(done, _AT_PREFIX), _DATA_PREFIX)
    if start_lease_s is None:
        return CutoverLines(begin_tail, done_tail)
    start_tail = _tail(entry_line(run, "begin", at=_PLACEHOLDER, phase="start", lease_s=start_lease_s, data={"by": "cutover"},
                                  secrets=secrets), _AT_PREFIX)
    start_done = entry_line(run, "done", at=_PLACEHOLDER, phase="start",
                            data={"by": "cutover", "changed": True, "msg": f"version {version} was started by the cutover"}, secrets=secrets)
    then_tail = _tail(entry_line(run, "begin", at=_PLACEHOLDER, phase=then[0], lease_s=then[1], secrets=secrets), _AT_PREFIX) if then else None
    return CutoverLines(begin_tail, done_tail, start_tail, _tail(_tail(start_done, _AT_PREFIX), _DATA_PREFIX), then_tail)


def item_json(items: t.Sequence[str]) -> list[str]:
    """Each item as a JSON string literal (the host puts them into the done line's lists as they are)."""
    return [json.dumps(item, ensure_ascii=True) for item in items]


# -- POSIX: one sh command ------------------------------------------------------------------------------

# Positional parameters: journal pid_file wait_s server old staged move_old begin_tail done_tail start_tail start_done_tail
# then_tail n_items, then n_items x (path_in_old path_in_new json_name), then the start argv (nothing: no start). The start
# counts as done when the start command returns success (a service manager's start returns once the service runs).
# Exit codes name the step that failed (10 + its index in STEPS); stdout reports each step done, one per line.
POSIX_SCRIPT = r"""
journal=$1 pidfile=$2 wait_s=$3 server=$4 old=$5 staged=$6 move_old=$7 begin_tail=$8 done_tail=$9
shift 9
start_tail=$1 start_done_tail=$2 then_tail=$3 count=$4
shift 4
now() { date -u +%Y-%m-%dT%H:%M:%S+00:00; }
# Seconds since the epoch, with fractions where date knows %N (GNU, BusyBox), whole seconds elsewhere.
epoch() { e=$(date +%s.%N 2>/dev/null); case $e in *N*|*.|'') date +%s ;; *) echo "$e" ;; esac; }
jwrite() {
  # An interrupted earlier write may have left a last line without its end: never glue a line to it.
  if [ -s "$journal" ] && [ "$(tail -c 1 "$journal" | od -An -c | tr -d ' ')" != '\n' ]; then printf '\n' >> "$journal" || return 1; fi
  printf '{"at":"%s",%s\n' "$(now)" "$1" >> "$journal"
}
fail() { echo "$2" >&2; exit "$1"; }
if [ -n "$pidfile" ]; then
  waited=0
  while [ -e "$pidfile" ]; do
    [ "$waited" -ge "$wait_s" ] && fail 10 "the server process still runs: $pidfile exists $wait_s s after the stop"
    sleep 1; waited=$((waited + 1))
  done
fi
echo stopped
jwrite "$begin_tail" || fail 11 "cannot write the run journal $journal"
echo begin
if [ "$move_old" = 1 ]; then
  [ -e "$old" ] && fail 12 "$old exists already"
  mv -- "$server" "$old" || fail 12 "renaming $server to $old failed"
fi
echo renamed_old
if [ -n "$staged" ]; then
  [ -e "$server" ] && fail 13 "$server exists already"
  mv -- "$staged" "$server" || fail 13 "renaming $staged to $server failed"
fi
echo renamed_new
carried='' absent='' i=0
while [ "$i" -lt "$count" ]; do
  source_item=$1 target_item=$2 name=$3
  shift 3
  if [ -e "$source_item" ] || [ -L "$source_item" ]; then
    rm -rf -- "$target_item" || fail 14 "removing the package's $target_item failed"
    mkdir -p "$(dirname "$target_item")" || fail 14 "creating the folder of $target_item failed"
    cp -pR -- "$source_item" "$target_item" || fail 14 "copying $source_item to $target_item failed"
    carried="$carried${carried:+,}$name"
    echo "carried $i"
  else
    absent="$absent${absent:+,}$name"
    echo "absent $i"
  fi
  i=$((i + 1))
done
echo carried
jwrite "\"data\":{\"carried_over\":[$carried],\"not_present\":[$absent],$done_tail" || fail 15 "cannot write the run journal $journal"
echo done
[ "$#" -eq 0 ] && exit 0
jwrite "$start_tail" || fail 16 "cannot write the run journal $journal"
echo start_begin
# The start command's own output goes to stderr: stdout carries only the steps.
"$@" >&2 || fail 17 "the start command exited $?"
echo started
jwrite "\"data\":{\"started_at\":$(epoch),$start_done_tail" || fail 18 "cannot write the run journal $journal"
echo start_done
[ -n "$then_tail" ] || exit 0
jwrite "$then_tail" || fail 19 "cannot write the run journal $journal"
echo then_begin
"""


def posix_argv(plan: CutoverPlan) -> list[str]:
    """The argv of the one command that runs the cutover on a POSIX host."""
    argv = ["sh", "-c", POSIX_SCRIPT, "conaktiv-cutover", plan.journal, plan.pid_file or "", str(int(plan.wait_s)), plan.server, plan.old,
            plan.staged or "", "1" if plan.move_old else "0", plan.begin_tail, plan.done_tail, plan.start_tail or "", plan.start_done_tail or "",
            plan.then_tail or "", str(len(plan.items))]
    for old_path, new_path, name in zip(plan.item_paths_old, plan.item_paths_new, item_json(plan.items)):
        argv += [old_path, new_path, name]
    if plan.start_tail is not None:
        argv += list(plan.start_argv)
    return argv


@dataclasses.dataclass
class CutoverReport:
    """What the host did: the steps completed, the items carried over or absent, and why it stopped if it failed."""

    steps: list[str]
    carried: list[str]
    absent: list[str]
    failed_step: str | None = None
    error: str = ""

    @property
    def started(self) -> bool:
        """Whether the start was issued and the service manager confirmed it."""
        return "started" in self.steps

    def failure_message(self) -> str:
        """One sentence: what failed, and what had been done before."""
        if self.failed_step is None:
            return ""
        done = [step for step in self.steps if step in STEP_TEXT]
        before = f" (done before: {', '.join(done)})" if done else " (nothing was changed)"
        return f"{STEP_TEXT.get(self.failed_step, self.failed_step)} failed: {self.error or 'no reason given'}{before}"


def read_posix_report(plan: CutoverPlan, rc: int, stdout: str, stderr: str) -> CutoverReport:
    """The report of the POSIX script from its exit code and output."""
    steps, carried, absent = [], [], []
    for line in stdout.splitlines():
        word, _space, rest = line.strip().partition(" ")
        if word in ("carried", "absent") and rest.isdigit() and int(rest) < len(plan.items):
            (carried if word == "carried" else absent).append(plan.items[int(rest)])
        elif word in STEPS:
            steps.append(word)
    report = CutoverReport(steps, carried, absent)
    if rc != 0:
        index = rc - 10
        report.failed_step = STEPS[index] if 0 <= index < len(STEPS) else next((step for step in STEPS if step not in steps), "started")
        report.error = " ".join(stderr.strip().splitlines()[-3:]) or f"exit code {rc}"
    return report
