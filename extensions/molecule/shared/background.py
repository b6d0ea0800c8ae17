"""Background processes of a molecule scenario, tracked by pid files, so they survive between molecule steps.

    background.py start --pid-file F --log L [--cwd D] [--ready-file P | --ready-text T] [--timeout S] -- COMMAND ...
    background.py stop --pid-file F ...          stop what the pid files name (SIGTERM to the group, then SIGKILL)
    background.py sweep --below DIR              end every process recorded in a pid file below DIR; fail if an
                                                 unrecorded Python process still names a path below DIR

Each prints one JSON line; "changed" says whether a process was started or ended.
A pid file holds "<pid> <start time>" so a recycled pid is never mistaken for ours.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

TERM_GRACE_S = 5.0
KILL_WAIT_S = 5.0


def start_time(pid: int) -> str | None:
    """The kernel's start time of pid (clock ticks since boot), or None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    # After the command name: state is field 3 of the whole line, starttime field 22.
    return None if fields[0] in ("Z", "X") else fields[19]


def alive(pid: int, started: str | None = None) -> bool:
    """Pid runs (not a zombie) and, when given, is still the process that started at `started`."""
    now = start_time(pid)
    return now is not None and (started is None or now == started)


def read_pid_file(path: Path) -> tuple[int, str] | None:
    """(pid, start time) from a pid file written by `start`, or None when it is missing or unreadable."""
    try:
        pid, started = path.read_text(encoding="utf-8").split()
        return int(pid), started
    except (OSError, ValueError):
        return None


def wait_ready(process: subprocess.Popen[bytes], args: argparse.Namespace) -> str | None:
    """Wait until the ready file exists or the log holds the ready text; the reason when it did not."""
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"exited with {process.returncode} before it was ready"
        if args.ready_file is not None and args.ready_file.exists():
            return None
        if args.ready_text is not None and args.ready_text in args.log.read_text(encoding="utf-8", errors="replace"):
            return None
        if args.ready_file is None and args.ready_text is None:
            return None
        time.sleep(0.05)
    return f"not ready within {args.timeout} s"


def start(args: argparse.Namespace) -> dict[str, object]:
    """Start COMMAND detached in its own session; its pid file is written before waiting for readiness."""
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise SystemExit("start: no command given")
    args.log.parent.mkdir(parents=True, exist_ok=True)
    with args.log.open("ab") as log:
        # A new session: molecule's own signals do not reach it, and stop can end its whole group.
        process = subprocess.Popen(command, cwd=args.cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    args.pid_file.write_text(f"{process.pid} {start_time(process.pid)}\n", encoding="utf-8")
    problem = wait_ready(process, args)
    if problem is not None:
        stop_process(process.pid, start_time(process.pid))
        tail = args.log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise SystemExit(f"start: {' '.join(command)} {problem}; log {args.log}:\n{tail}")
    return {"changed": True, "pid": process.pid}


def signal_group(pid: int, signum: int) -> None:
    """Send signum to the process group pid leads (start made it a leader), else to the process alone."""
    try:
        if os.getpgid(pid) == pid and pid != os.getpgrp():
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)
    except ProcessLookupError:
        pass


def wait_gone(pid: int, started: str | None, seconds: float) -> bool:
    """Whether the process ended within seconds."""
    deadline = time.monotonic() + seconds
    while alive(pid, started):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def stop_process(pid: int, started: str | None) -> bool:
    """End pid politely, then by force; True when it had been running."""
    if not alive(pid, started):
        return False
    signal_group(pid, signal.SIGTERM)
    if not wait_gone(pid, started, TERM_GRACE_S):
        signal_group(pid, signal.SIGKILL)
        if not wait_gone(pid, started, KILL_WAIT_S):
            raise SystemExit(f"stop: pid {pid} survived SIGKILL")
    return True


def stop(args: argparse.Namespace) -> dict[str, object]:
    """Stop every process named by the pid files and remove the files."""
    stopped = []
    for path in args.pid_file:
        entry = read_pid_file(path)
        if entry is not None and stop_process(*entry):
            stopped.append(entry[0])
        path.unlink(missing_ok=True)
    return {"changed": bool(stopped), "stopped": stopped}


def recorded_processes(folder: Path) -> list[tuple[int, str]]:
    """Every "<pid> <start time>" record in the pid files below folder (*.pid of this script, launched.pids of the
    simulator); a record without a start time cannot prove which process it meant and is left out."""
    records = []
    for path in [*folder.rglob("*.pid"), *folder.rglob("launched.pids")]:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) == 2 and fields[0].isdigit():
                records.append((int(fields[0]), fields[1]))
    return records


def strangers(prefixes: tuple[str, ...], ours: set[int]) -> list[int]:
    """Python processes naming a path below the folder that no record accounts for (reported, never killed)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in ours or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode("utf-8", errors="replace").split("\0")
        except OSError:
            continue
        if os.path.basename(cmdline[0]).startswith("python") and any(p in part for part in cmdline[1:] for p in prefixes) \
                and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def sweep(args: argparse.Namespace) -> dict[str, object]:
    """End every still-running process recorded below the folder; fail when one survives or an unrecorded one runs."""
    ended = [pid for pid, started in recorded_processes(args.below) if stop_process(pid, started)]
    # Both spellings: command lines carry the path as given, which may run through a symlink.
    prefixes = tuple({os.path.abspath(args.below) + os.sep, str(args.below.resolve()) + os.sep})
    unknown = strangers(prefixes, set(ended))
    if unknown:
        raise SystemExit(f"sweep: processes below {args.below} that no pid file records are still running (not killed): {unknown}")
    return {"changed": bool(ended), "killed": ended}


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="background.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="action", required=True)
    starter = commands.add_parser("start", help="start a detached process with a pid file")
    starter.add_argument("--pid-file", type=Path, required=True)
    starter.add_argument("--log", type=Path, required=True, help="stdout and stderr go here")
    starter.add_argument("--cwd", type=Path)
    ready = starter.add_mutually_exclusive_group()
    ready.add_argument("--ready-file", type=Path, help="ready once this file exists")
    ready.add_argument("--ready-text", help="ready once the log holds this text")
    starter.add_argument("--timeout", type=float, default=20.0)
    starter.add_argument("command", nargs=argparse.REMAINDER)
    stopper = commands.add_parser("stop", help="stop the processes of pid files")
    stopper.add_argument("--pid-file", type=Path, action="append", default=[])
    sweeper = commands.add_parser("sweep", help="end every process recorded below a folder")
    sweeper.add_argument("--below", type=Path, required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    action = {"start": start, "stop": stop, "sweep": sweep}[args.action]
    print(json.dumps(action(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
