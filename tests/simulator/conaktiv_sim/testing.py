"""Python API for tests: install a simulated site, drive it, look at it, and clean up after it.

    site = Site.install(tmp_path, version="1.0.0", faults={"migration_seconds": 0.2})
    try:
        site.start(); site.wait_state("ready")
        site.login("anna", logoff_after=1)
        site.control("POST", "/api/message", {"text": "Update in 5 minutes"})
    finally:
        site.cleanup()
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Union

from .install import free_ports, install_site, site_info
from .package import build_package

__all__ = ["ControlError", "Site", "SiteError", "TcpUsers", "build_package", "free_ports"]

SIMULATOR_ROOT = Path(__file__).resolve().parent.parent
TOKEN_HEADER = "X-ConAktiv-Token"
USERS_PID_GLOB = "users-*.pid"


class SiteError(RuntimeError):
    """A wrapper command or a wait did not do what the test asked."""


class ControlError(RuntimeError):
    """The control interface answered with an HTTP error status."""

    def __init__(self, status: int, body: Dict[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {body.get('error', body)}")
        self.status = status
        self.body = body


def _alive(pid: int) -> bool:
    """Process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def _start_time(pid: int) -> Optional[str]:
    """The kernel's start time of pid (clock ticks since boot): with the pid, it names one process for good."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def _cmdline(pid: int) -> List[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", errors="replace") for part in raw.split(b"\0") if part]


def _read_pid(path: Path) -> Optional[int]:
    try:
        return int(path.read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _kill_tree(pid: int) -> None:
    """SIGKILL the process and its process group when it leads one of its own (never our own group)."""
    try:
        group = os.getpgid(pid)
        if group == pid and group != os.getpgrp():
            os.killpg(group, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _wait_gone(pids: Iterable[int], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    remaining = list(pids)
    while remaining and time.monotonic() < deadline:
        remaining = [pid for pid in remaining if _alive(pid)]
        time.sleep(0.02)


def _python_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SIMULATOR_ROOT), env.get("PYTHONPATH")]))
    return env


class TcpUsers:
    """A running `python -m conaktiv_sim users` process (see Site.tcp_users)."""

    def __init__(self, process: "subprocess.Popen[bytes]", output: Path, pid_file: Path) -> None:
        self.process = process
        self.output_path = output
        self.pid_file = pid_file

    @property
    def pid(self) -> int:
        """Pid of the users process."""
        return self.process.pid

    def output(self) -> str:
        """Everything it printed so far (one event per line)."""
        return self.output_path.read_text(encoding="utf-8", errors="replace")

    def poll(self) -> Optional[int]:
        """Exit code, or None while it runs."""
        return self.process.poll()

    def wait(self, timeout: float) -> int:
        """Wait for it to end (all users logged off); raises subprocess.TimeoutExpired."""
        code = self.process.wait(timeout)
        self._forget()
        return code

    def wait_output(self, text: str, timeout: float = 10) -> str:
        """Wait until `text` appears in the output; returns the output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            output = self.output()
            if text in output:
                return output
            time.sleep(0.02)
        raise SiteError(f"{text!r} did not appear within {timeout} s; output:\n{self.output()}")

    def close(self) -> None:
        """Kill it (if still running) and reap it; idempotent."""
        if self.process.poll() is None:
            _kill_tree(self.process.pid)
            self.process.wait(10)
        self._forget()

    def _forget(self) -> None:
        if self.pid_file.exists():
            self.pid_file.unlink()


class Site:  # pylint: disable=too-many-instance-attributes,too-many-public-methods
    """One installed site in a folder; all paths are absolute pathlib.Path objects."""

    def __init__(self, root: Union[str, Path]) -> None:
        """Open an existing site (see Site.install to make one)."""
        info = site_info(root)
        self.info = info
        self.root = Path(info["root"])
        self.server_dir = Path(info["server_dir"])
        self.data_dir = Path(info["data_dir"])
        self.backup_dir = Path(info["backup_dir"])
        self.service_dir = Path(info["service_dir"])
        self.wrapper = Path(info["wrapper"])
        self.client_port = int(info["client_port"])
        self.control_port = int(info["control_port"])
        self.token = str(info["token"])
        self._users: List[TcpUsers] = []

    @classmethod
    def install(cls, root: Union[str, Path], version: str = "1.0.0", faults: Optional[Dict[str, Any]] = None,
                **install_options: Any) -> "Site":
        """Install a site of `version` below root (free ports picked automatically) and open it.

        install_options: server_name, client_port, control_port, token, records, structure_version,
        stop_timeout, start_timeout, python (see install_site). faults: written to faults.json.
        """
        install_site(root, version, **install_options)
        site = cls(root)
        if faults:
            site.set_faults(faults)
        return site

    # ----- the service wrapper ----------------------------------------------------------------

    def service(self, *args: str, timeout: float = 120) -> "subprocess.CompletedProcess[str]":
        """Run the wrapper with these arguments; returns the completed process (any exit code)."""
        return subprocess.run([str(self.wrapper), *args], capture_output=True, text=True, timeout=timeout, check=False)

    def _checked(self, *args: str) -> "subprocess.CompletedProcess[str]":
        result = self.service(*args)
        if result.returncode != 0:
            raise SiteError(f"conaktiv-service {' '.join(args)} exited {result.returncode}: {result.stderr.strip() or result.stdout.strip()}")
        return result

    def start(self) -> "subprocess.CompletedProcess[str]":
        """Start through the wrapper; raises SiteError when it exits non-zero."""
        return self._checked("start")

    def stop(self, timeout: Optional[float] = None) -> "subprocess.CompletedProcess[str]":
        """Stop through the wrapper; raises SiteError when it exits non-zero."""
        return self._checked("stop", *(["--timeout", str(timeout)] if timeout is not None else []))

    def status(self) -> str:
        """"running" or "stopped", as the wrapper reports it."""
        result = self.service("status")
        if result.returncode not in (0, 3):
            raise SiteError(f"conaktiv-service status exited {result.returncode}: {result.stderr.strip()}")
        return "running" if result.returncode == 0 else "stopped"

    # ----- the control interface --------------------------------------------------------------

    def control_raw(self, method: str, path: str, body: Any = None, token: Optional[str] = None,
                    timeout: float = 30) -> "tuple[int, Dict[str, Any]]":
        """One control request; returns (HTTP status, JSON body) whatever the status."""
        connection = http.client.HTTPConnection("127.0.0.1", self.control_port, timeout=timeout)
        headers = {TOKEN_HEADER: self.token if token is None else token}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        return response.status, (json.loads(raw.decode("utf-8")) if raw else {})

    def control(self, method: str, path: str, body: Any = None) -> Dict[str, Any]:
        """One control request; the JSON body, or ControlError for an HTTP error status."""
        status, payload = self.control_raw(method, path, body)
        if status >= 400:
            raise ControlError(status, payload)
        return payload

    def server_status(self) -> Optional[Dict[str, Any]]:
        """GET /api/status, or None when the control interface does not answer."""
        try:
            return self.control("GET", "/api/status")
        except (OSError, ControlError, http.client.HTTPException, ValueError):
            return None

    def wait_state(self, state: str = "ready", timeout: float = 30) -> Dict[str, Any]:
        """Wait until /api/status reports `state`; returns the status."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.server_status()
            if last is not None and last["state"] == state:
                return last
            time.sleep(0.02)
        raise SiteError(f"state {state!r} not reached within {timeout} s; last status: {last}")

    def wait_stopped(self, timeout: float = 30) -> None:
        """Wait until no server process of this site is left (server.pid gone, wrapper pid dead)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server_pid() is None:
                return
            time.sleep(0.02)
        raise SiteError(f"server pid {self.server_pid()} still alive after {timeout} s")

    # ----- users ------------------------------------------------------------------------------

    def login(self, *users: str, logoff_after: Optional[float] = None) -> None:
        """Simulated sessions via the control interface (waits for state ready first)."""
        self.wait_state("ready")
        for user in users:
            self.control("POST", "/api/sessions", {"user": user, "logoff_after": logoff_after})

    def tcp_users(self, users: Dict[str, Optional[float]], timeout: float = 30) -> TcpUsers:
        """Held connections on the client port ({"anna": 5, "ben": None}); returns once all are logged in."""
        self.wait_state("ready")
        specs = [f"--user={name}:{'never' if delay is None else delay}" for name, delay in users.items()]
        number = 1
        while (self.service_dir / f"users-{number}.out").exists():
            number += 1
        output = self.service_dir / f"users-{number}.out"
        command = [sys.executable, "-m", "conaktiv_sim", "users", "--port", str(self.client_port), *specs]
        with output.open("wb") as handle:
            # Kept running after this call; TcpUsers.close() / Site.cleanup() end it.
            process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                       stdin=subprocess.DEVNULL, start_new_session=True, env=_python_env())
        pid_file = self.service_dir / f"users-{number}.pid"
        pid_file.write_text(f"{process.pid} {_start_time(process.pid) or '?'}\n", encoding="utf-8")
        handle_ = TcpUsers(process, output, pid_file)
        self._users.append(handle_)
        deadline = time.monotonic() + timeout
        while "ready" not in handle_.output().splitlines():
            if process.poll() is not None or time.monotonic() > deadline:
                handle_.close()
                raise SiteError(f"users did not log in: {handle_.output()}")
            time.sleep(0.02)
        return handle_

    def messages(self) -> List[Dict[str, Any]]:
        """Every broadcast message so far (messages.log)."""
        path = self.service_dir / "messages.log"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    # ----- files ------------------------------------------------------------------------------

    def set_faults(self, faults: Optional[Dict[str, Any]]) -> None:
        """Write faults.json (None or {} removes it). Read by the server at start and at every stop request."""
        path = self.service_dir / "faults.json"
        if faults:
            path.write_text(json.dumps(faults, indent=2) + "\n", encoding="utf-8")
        elif path.exists():
            path.unlink()

    def version_on_disk(self) -> str:
        """Content of version.txt in the server folder."""
        return (self.server_dir / "version.txt").read_text(encoding="utf-8").strip()

    def structure_version(self) -> str:
        """structure_version of the data folder's structure.json."""
        return str(json.loads((self.data_dir / "structure.json").read_text(encoding="utf-8"))["structure_version"])

    def structure_log(self) -> List[str]:
        """Lines of Logs/structure-update.log."""
        path = self.data_dir / "Logs" / "structure-update.log"
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    def server_output(self) -> str:
        """The server's stdout/stderr (server.out)."""
        path = self.service_dir / "server.out"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def backups(self) -> List[Path]:
        """Backup files in the backup folder, oldest first."""
        if not self.backup_dir.exists():
            return []
        return sorted(self.backup_dir.glob("conaktiv-backup-*.zip"), key=lambda path: (path.stat().st_mtime, path.name))

    def snapshot(self, paths: Iterable[Union[str, Path]]) -> Dict[str, str]:
        """{path relative to root: sha256} of the given files and of every file below the given folders."""
        result: Dict[str, str] = {}
        for item in paths:
            path = Path(item) if Path(item).is_absolute() else self.root / item
            files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            for file in files:
                result[file.relative_to(self.root).as_posix()] = hashlib.sha256(file.read_bytes()).hexdigest()
        return result

    # ----- processes --------------------------------------------------------------------------

    def data_locked(self) -> bool:
        """True while some server process holds the data folder's lock (also while it lingers)."""
        with (self.data_dir / ".lock").open("a", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return False

    def server_pid(self) -> Optional[int]:
        """Pid of a live server process of this site, if any (wrapper pidfile, then server.pid)."""
        for path in (self.service_dir / "state", self.data_dir / "server.pid"):
            pid = _read_pid(path)
            if pid is not None and _alive(pid) and any(part.endswith("conaktiv_server.py") for part in _cmdline(pid)):
                return pid
        return None

    def _site_processes(self) -> List[int]:
        """Live processes this site's tests caused, by the pids recorded when they started.

        Servers record themselves in ``service/launched.pids`` (the wrapper starts them with ``--site``), users processes
        are recorded by tcp_users. Each record holds the kernel start time, so a pid reused by another process (a test
        worker, an ansible-playbook) never matches: nothing is picked by its command line.
        """
        records = []
        launched = self.service_dir / "launched.pids"
        if launched.exists():
            records += launched.read_text(encoding="utf-8", errors="replace").splitlines()
        for path in self.service_dir.glob(USERS_PID_GLOB):
            records += path.read_text(encoding="utf-8", errors="replace").splitlines()
        pids = set()
        for record in records:
            fields = record.split()
            if not fields or not fields[0].isdigit():
                continue
            pid, started = int(fields[0]), fields[1] if len(fields) > 1 else None
            # Without a start time the pid alone cannot prove the process is ours: left alone.
            if pid not in (os.getpid(), os.getpgrp()) and started is not None and started == _start_time(pid):
                pids.add(pid)
        return sorted(pids)

    def cleanup(self) -> None:
        """Kill every server/users process of this site (SIGKILL, by pid files, process group and command line); idempotent."""
        for users in self._users:
            users.close()
        self._users.clear()
        pids = self._site_processes()
        for pid in pids:
            _kill_tree(pid)
        _wait_gone(pids)
        for path in self.service_dir.glob(USERS_PID_GLOB):
            path.unlink()
