"""The fault matrix harness: real ansible-playbook runs of conaktiv.server.update against the simulator, with faults injected.

A row sets up a site (simulator server, FTP with the package, SMTP catcher), injects one fault, runs the update (maybe
killing the controller at a trigger and running it again) and hands the outcome to :meth:`Bench.verdict`, which checks
what must hold after *every* fault: the server runs (which version), the user data is byte-identical or migrated exactly
once, Preferences / cert.pem / key.pem / Hunspell are intact in the running version, the history names what happened, the
error is clear, and no secret is in the -vvv output, the history, the journal, the mail, any file of the site or the
host's syslog. Each verdict is written as a JSON row; ``table.py`` prints the matrix (``make faults``).

Killing the controller: ansible-playbook's workers call ``setsid()``, so killing the playbook's process group leaves
the running task's worker alive to finish the task as an orphan. A real crash takes every controller process: the
harness kills the playbook and each of its workers, found as descendants of the pid it started whose command line is
the playbook's own (the workers are forks). Module processes are the host's side and are left to finish, as a remote
host would; the harness waits for them before the next run. Nothing else is ever signalled.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import typing as t
import zipfile

import yaml

from hostlog import HostSyslog
from playbook import REPO, ansible_env, playbook_command, read_results
from roleargs import role_vars

UPDATE = REPO / "playbooks" / "update.yml"
PRESERVED = ("Server Database/Preferences", "Server Database/cert.pem", "Server Database/key.pem", "Server Database/Resources/Hunspell")
RESULTS = pathlib.Path(os.environ.get("CONAKTIV_FAULT_RESULTS") or REPO / "build" / "faults")
POLL_S = 0.01


# -- processes ------------------------------------------------------------------------------------


def _proc(pid: int, name: str) -> str:
    try:
        return pathlib.Path(f"/proc/{pid}/{name}").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _cmdline(pid: int) -> str:
    return _proc(pid, "cmdline")


def _parent(pid: int) -> int | None:
    stat = _proc(pid, "stat")
    try:
        return int(stat.rsplit(")", 1)[1].split()[1])
    except (IndexError, ValueError):
        return None


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` (by parent pid, at this moment)."""
    children: dict[int, list[int]] = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _parent(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def kill_controller(process: subprocess.Popen[str]) -> list[int]:
    """SIGKILL the playbook and its workers (its forks: the same command line); return the module processes left running."""
    main = process.pid
    command = _cmdline(main)
    below = descendants(main)
    controllers = [main] + [pid for pid in below if _cmdline(pid) == command]
    for pid in controllers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return [pid for pid in below if pid not in controllers and _is_module_process(_cmdline(pid))]


def _is_module_process(command: str) -> bool:
    """Whether a process (its NUL-separated command line) is a module call on its way: a pipelined one is the interpreter alone,
    reading the module from stdin (whatever folder the checkout is in); one through the remote temporary folder names its
    file there (ansible-tmp-..., AnsiballZ_...)."""
    argv = [part for part in command.split("\0") if part]
    return bool(argv) and ((len(argv) == 1 and os.path.basename(argv[0]).startswith("python")) or "ansible" in command.lower())


def wait_gone(pids: list[int], timeout: float = 120) -> None:
    """Wait until the module processes a killed controller left behind have finished (as on a remote host)."""
    deadline = time.monotonic() + timeout
    while any(_cmdline(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)


# -- the bench --------------------------------------------------------------------------------------


@dataclasses.dataclass
class Run:
    """One ansible-playbook run of the update."""

    rc: int
    output: str
    results: list[dict[str, t.Any]]
    killed: bool = False

    def task(self, suffix: str) -> dict[str, t.Any] | None:
        """The last result of the task whose name ends with ``suffix``."""
        found = [entry["result"] for entry in self.results if entry["task"].endswith(suffix)]
        return found[-1] if found else None


@dataclasses.dataclass
class Bench:  # pylint: disable=too-many-instance-attributes
    """A site, its servers and everything a row needs; made by the ``bench`` fixture."""

    tmp: pathlib.Path
    site: t.Any
    ftp: t.Any
    smtp: t.Any
    package: pathlib.Path
    syslog: HostSyslog
    row: str
    group: str
    runs: list[Run] = dataclasses.field(default_factory=list)
    extra_vars: dict[str, t.Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.records_before = self.site.snapshot([self.site.data_dir / "records"])
        self.preserved_before = self.preserved()
        self.started = time.monotonic()

    # -- inputs --------------------------------------------------------------------------------
    @property
    def secrets(self) -> list[str]:
        """Every secret of the setup: none may appear anywhere."""
        return [self.ftp.password, self.smtp.config.password, self.site.token]

    def variables(self, **extra: t.Any) -> dict[str, t.Any]:
        """The role's variables: the package from FTP with a password, mail over SMTP AUTH, the control token."""
        values = role_vars(self.site, self.package, **{
            "conaktiv_update_source": f"{self.ftp.url}{self.package.name}",
            "conaktiv_update_source_username": self.ftp.user,
            "conaktiv_update_source_password": self.ftp.password,
            "conaktiv_update_smtp": {"host": "127.0.0.1", "port": self.smtp.port, "security": "none",
                                     "username": self.smtp.config.user, "password": self.smtp.config.password},
            "conaktiv_update_admin_email": ["admin@example.test"],
            "conaktiv_update_mail_from": "conaktiv@example.test",
            "conaktiv_update_backup": {"method": "server", "dir": str(self.site.root / "Backups"), "keep": 5},
        })
        values.update(self.extra_vars)
        values.update(extra)
        return values

    # -- running -------------------------------------------------------------------------------
    def update(self, *, kill_when: t.Callable[[], bool] | None = None, timeout: float = 400, shims: dict[str, str] | None = None,
               **extra: t.Any) -> Run:
        """Run the update playbook (-vvv, syslog captured); with ``kill_when``, kill the controller once it is true.

        ``shims``: programs put first on the PATH of the modules (the local connection's modules inherit it), to break the host
        side at an exact step (see :meth:`host_dies_at`).
        """
        number = len(self.runs)
        inventory = self.tmp / f"inventory-{number}.yml"
        hosts = {"localhost": {"ansible_connection": "local", **self.variables(**extra)}}
        inventory.write_text(yaml.safe_dump({"conaktiv_servers": {"hosts": hosts}}), encoding="utf-8")
        results_file = self.tmp / f"results-{number}.jsonl"
        command = playbook_command(UPDATE, inventory=str(inventory), extra_args=["-vvv"], wrapper=self.syslog.wrapper)
        output_path = self.tmp / f"output-{number}.txt"
        with output_path.open("w", encoding="utf-8") as output:
            env = ansible_env(results_file)
            if shims:
                folder = self.tmp / f"shims-{number}"
                folder.mkdir()
                for name, script in shims.items():
                    (folder / name).write_text(script, encoding="utf-8")
                    (folder / name).chmod(0o755)
                env["PATH"] = f"{folder}{os.pathsep}{env.get('PATH', '')}"
            process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
            killed = False
            deadline = time.monotonic() + timeout
            try:
                while process.poll() is None:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"the update ran longer than {timeout} s")
                    if kill_when is not None and not killed and kill_when():
                        wait_gone(kill_controller(process))
                        killed = True
                    time.sleep(POLL_S)
            finally:
                if process.poll() is None:
                    kill_controller(process)
                process.wait(30)
        run = Run(rc=process.returncode, output=output_path.read_text(encoding="utf-8", errors="replace"),
                  results=read_results(results_file), killed=killed)
        self.runs.append(run)
        return run

    def update_twice_at_once(self, **extra: t.Any) -> tuple[Run, Run]:
        """Two runs started together (two threads, two controllers)."""
        outcomes: list[Run] = []
        lock = threading.Lock()

        def one() -> None:
            run = self.update(**extra)
            with lock:
                outcomes.append(run)

        threads = [threading.Thread(target=one), threading.Thread(target=one)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
        assert len(outcomes) == 2
        return outcomes[0], outcomes[1]

    def host_dies_at(self, program: str, target_prefix: str, source: str | None = None) -> tuple[dict[str, str], t.Callable[[], bool]]:
        """A shim of ``program`` that, on its first call whose last argument (the target) starts with ``target_prefix`` (and, when given,
        one of whose arguments is ``source``), marks the moment, waits for the harness to kill the controller, and kills the command
        that called it (the cutover's sh) - as a power cut of the host right at that step would. Returns the shims and the trigger."""
        mark = self.tmp / f"reached-{program}"
        real = shutil.which(program) or f"/bin/{program}"
        script = "\n".join([
            "#!/bin/sh",
            f"# fault shim for {program}: the host side dies here, once",
            f"mark='{mark}' prefix='{target_prefix}' source='{source or ''}'",
            'for last in "$@"; do :; done',
            'found=""',
            'for argument in "$@"; do [ "$argument" = "$source" ] && found=1; done',
            '[ -z "$source" ] && found=1',
            'case "$last" in "$prefix"*)',
            '  if [ -n "$found" ] && [ ! -e "$mark" ]; then : > "$mark"; sleep 3; kill -9 "$PPID"; exit 137; fi;;',
            "esac",
            f"exec '{real}' \"$@\"",
            ""])
        return {program: script}, mark.exists

    # -- triggers ------------------------------------------------------------------------------
    @property
    def journal_path(self) -> pathlib.Path:
        """The run journal beside the server folder."""
        return self.site.root / "conaktiv-update-journal.jsonl"

    def journal(self) -> list[dict[str, t.Any]]:
        """The journal's events (a torn line skipped)."""
        events = []
        try:
            text = self.journal_path.read_text(encoding="utf-8")
        except OSError:
            return []
        for line in text.splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
        return events

    def journaled(self, phase: str, event: str = "done") -> t.Callable[[], bool]:
        """A trigger: the journal has recorded ``event`` of ``phase``."""
        return lambda: any(entry.get("phase") == phase and entry.get("event") == event for entry in self.journal())

    def exists(self, *paths: pathlib.Path, absent: t.Sequence[pathlib.Path] = ()) -> t.Callable[[], bool]:
        """A trigger: all ``paths`` exist and none of ``absent`` does."""
        return lambda: all(path.exists() for path in paths) and not any(path.exists() for path in absent)

    # -- looking -------------------------------------------------------------------------------
    def preserved(self, folder: pathlib.Path | None = None) -> dict[str, str]:
        """sha256 of every preserved file, relative to the server folder."""
        base = folder or self.site.server_dir
        found = {}
        for item in PRESERVED:
            path = base / item
            files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else ([path] if path.is_file() else [])
            for file in files:
                found[file.relative_to(base).as_posix()] = hashlib.sha256(file.read_bytes()).hexdigest()
        return found

    def history(self) -> list[dict[str, t.Any]]:
        """The update history on the host."""
        path = self.site.root / "conaktiv-update-history.jsonl"
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] if path.exists() else []

    def settled_status(self, timeout: float = 30) -> dict[str, t.Any] | None:
        """The server's status once it is not starting or migrating any more (None: not running)."""
        deadline = time.monotonic() + timeout
        status = self.site.server_status()
        while status is not None and status.get("state") in ("starting", "migrating") and time.monotonic() < deadline:
            time.sleep(0.2)
            status = self.site.server_status()
        return status

    def secret_places(self) -> list[str]:
        """Where a secret shows up: run output, host files below the site, mail, syslog, and what Ansible left in its temporary
        folders on the host and the controller (a killed controller removes neither)."""
        places = []
        texts: dict[str, str] = {f"output of run {index + 1}": run.output for index, run in enumerate(self.runs)}
        texts["host syslog"] = self.syslog.text()
        for mail in self.smtp.messages():
            texts[f"mail {mail.path.name}"] = mail.raw.decode("utf-8", errors="replace")
        for path in self.site.root.rglob("*"):
            # The server keeps its own token in its Preferences (that is where the admin copied it from): not a leak.
            if "Server Database/Preferences" in path.as_posix() or path.name == "site-info.json":
                continue
            if path.is_file() and path.stat().st_size < 5_000_000 and path.suffix not in (".zip", ".gz"):
                texts[str(path.relative_to(self.site.root))] = path.read_text(encoding="utf-8", errors="replace")
        texts[self.journal_path.name] = self.journal_path.read_text(encoding="utf-8") if self.journal_path.exists() else ""
        for path in self.temporary_files():
            # A module payload (AnsiballZ_*.py) holds its arguments in a base64 zip: read it unpacked.
            texts[str(path.relative_to(self.tmp))] = module_payload_text(path)
        for where, text in texts.items():
            for secret in self.secrets:
                if secret and secret in text:
                    places.append(where)
        return sorted(set(places))

    def temporary_files(self) -> list[pathlib.Path]:
        """Every file in Ansible's temporary folders of these runs: the host's (ANSIBLE_REMOTE_TMP) and the controller's."""
        return sorted(path for folder in (".ansible-remote", ".ansible-local") for path in (self.tmp / folder).rglob("*") if path.is_file())

    # -- the verdict ---------------------------------------------------------------------------
    def verdict(self, *, version: str, outcome: str | None, error: str | None = None, failed_phase: str | None = None,
                expect_fail: bool | None = None, history_records: int | None = None) -> dict[str, t.Any]:
        """Check the end state every fault must leave; write the row; return it (``problems`` lists what was not safe)."""
        problems: list[str] = []
        status = self.settled_status()
        running = status.get("version") if status else None
        if status is None or status.get("state") != "ready":
            problems.append(f"the server is not running and ready: {status}")
        elif running != version:
            problems.append(f"the server runs {running}, expected {version}")
        data = self._data_state(running, problems)
        if status is not None and self.preserved() != self.preserved_before:
            problems.append("Preferences / cert.pem / key.pem / Hunspell in the running version differ from before")
        history = self.history()
        last = history[-1] if history else {}
        if outcome is not None:
            if last.get("outcome") != outcome:
                problems.append(f"the history's last record says {last.get('outcome')!r}, expected {outcome!r}")
            if failed_phase is not None and last.get("failed_phase") != failed_phase:
                problems.append(f"the history names phase {last.get('failed_phase')!r}, expected {failed_phase!r}")
        elif history and history_records is None:
            problems.append(f"the history has records, expected none: {[record.get('outcome') for record in history]}")
        if history_records is not None and len(history) != history_records:
            problems.append(f"the history has {len(history)} records, expected {history_records}")
        final = self.runs[-1]
        if expect_fail is not None and (final.rc != 0) != expect_fail:
            problems.append(f"the last run ended with rc {final.rc}, expected {'a failure' if expect_fail else 'success'}")
        if error is not None and error not in final.output:
            problems.append(f"the output does not say {error!r}")
        leaks = self.secret_places()
        if leaks:
            problems.append(f"a secret shows up in: {', '.join(leaks)}")
        tickets = sorted(path.name for path in self.site.root.glob("conaktiv-update-lock.*"))
        if tickets:
            problems.append(f"the update lock is still held after the last run: {tickets}")
        row = {"group": self.group, "row": self.row, "safe": not problems, "running": running, "data": data,
               "outcome": last.get("outcome"), "failed_phase": last.get("failed_phase"), "runs": len(self.runs),
               "secrets": "none" if not leaks else ", ".join(leaks), "seconds": round(time.monotonic() - self.started, 1),
               "error": _first_error(final.output), "problems": problems}
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{self.row}.json").write_text(json.dumps(row, indent=1) + "\n", encoding="utf-8")
        return row

    def _data_state(self, running: str | None, problems: list[str]) -> str:
        """"intact" (byte-identical), "migrated once" or what is wrong."""
        records_now = self.site.snapshot([self.site.data_dir / "records"])
        if running == "1.0.0" or running is None:
            if records_now != self.records_before:
                problems.append("the user data differs from before although the previous version runs")
                return "changed"
            return "intact"
        structure = self.site.structure_version()
        migrated = [json.loads(path.read_text()).get("structure_version") for path in (self.site.data_dir / "records").glob("*.json")]
        finished = [line for line in self.site.structure_log() if "-> 2.0.0 finished" in line]
        if structure != "2.0.0" or any(value != "2.0.0" for value in migrated) or len(finished) != 1:
            problems.append(f"the data is not migrated exactly once (structure {structure}, {len(finished)} finished updates)")
            return "not migrated once"
        return "migrated once"


def module_payload_text(path: pathlib.Path) -> str:
    """The text of a file, with the zip of an AnsiballZ payload (module and arguments, base64 in the wrapper) unpacked."""
    text = path.read_text(encoding="utf-8", errors="replace")
    for blob in re.findall(r"[A-Za-z0-9+/=]{200,}", text):
        try:
            with zipfile.ZipFile(io.BytesIO(base64.b64decode(blob))) as archive:
                text += "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
        except (ValueError, zipfile.BadZipFile):
            continue
    return text


def _first_error(output: str) -> str:
    """The message of the play's final failure, as an admin reads it (for the table)."""
    lines = output.splitlines()
    fatal = max((index for index, line in enumerate(lines) if line.startswith("fatal:") or "[ERROR]" in line), default=None)
    if fatal is None:
        return ""
    for line in lines[fatal:fatal + 40]:
        stripped = line.strip()
        if stripped.startswith('"msg": '):
            return stripped[len('"msg": '):].strip('",')[:300]
    return lines[fatal].strip()[:300]


def python() -> str:
    """The interpreter of the test run (the venv)."""
    return sys.executable
