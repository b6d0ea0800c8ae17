"""Service manager of one simulated site: start / stop / status / restart of its ConAktiv server.

Run by the site's wrapper script ``<site>/service/conaktiv-service`` as
``python service.py --config <site>/service/service.json start|stop [--timeout N]|status|restart``.
Self-contained and stdlib only, so the wrapper can exec it by absolute path.

Exit codes (LSB-like): 0 success / running, 1 start failed, 2 usage or configuration error,
3 stopped (status) or did not stop within the timeout (stop).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

EXIT_OK = 0
EXIT_START_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_RUNNING = 3
SERVER_PROGRAM = "conaktiv_server.py"
STATE_FILE = "state"
STOPPED_MARKER = "stopped"
OUTPUT_FILE = "server.out"
POLL_INTERVAL_S = 0.05
DEFAULT_STOP_TIMEOUT_S = 30.0
DEFAULT_START_TIMEOUT_S = 30.0


class ServiceError(Exception):
    """Start or stop did not work; the message goes to stderr."""


class Service:
    """The service of one site, described by its service.json."""

    def __init__(self, config_path: Path) -> None:
        self.config_path = config_path
        self.site_dir = config_path.parent
        config: Dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
        self.server_dir = Path(config["server_dir"])
        self.data_dir = Path(config["data_dir"])
        self.python = str(config.get("python") or sys.executable)
        self.stop_timeout = float(config.get("stop_timeout", DEFAULT_STOP_TIMEOUT_S))
        self.start_timeout = float(config.get("start_timeout", DEFAULT_START_TIMEOUT_S))

    # ----- what runs --------------------------------------------------------------------------

    def _known_pids(self) -> List[int]:
        """Pids from the wrapper's own pidfile and from the server's pid file in the data folder."""
        pids: List[int] = []
        for path in (self.site_dir / STATE_FILE, self.data_dir / "server.pid"):
            try:
                pid = int(path.read_text(encoding="utf-8").split()[0])
            except (OSError, ValueError, IndexError):
                continue
            if pid not in pids:
                pids.append(pid)
        return pids

    def server_pid(self) -> Optional[int]:
        """Pid of a live server process of this site (also while it lingers after reporting stopped)."""
        for pid in self._known_pids():
            if is_server_process(pid):
                return pid
        return None

    def reported_stopped(self) -> bool:
        """The server wrote its stopped marker (it may still linger)."""
        return (self.site_dir / STOPPED_MARKER).exists()

    def running_pid(self) -> Optional[int]:
        """Pid of the server when the service counts as running (like a service manager would)."""
        pid = self.server_pid()
        return None if pid is None or self.reported_stopped() else pid

    # ----- commands ---------------------------------------------------------------------------

    def status(self) -> int:
        """Print the state; 0 running, 3 stopped."""
        pid = self.running_pid()
        if pid is None:
            print("stopped")
            return EXIT_NOT_RUNNING
        print(f"running pid {pid}")
        return EXIT_OK

    def start(self) -> int:
        """Start in the background; 0 once the control interface answers, 1 when it did not come up."""
        pid = self.running_pid()
        if pid is not None:
            print(f"already running pid {pid}")
            return EXIT_OK
        marker = self.site_dir / STOPPED_MARKER
        if marker.exists():
            marker.unlink()
        try:
            process = self._launch()
            self._wait_until_up(process)
        except (OSError, ServiceError) as exc:
            print(f"start failed: {exc}", file=sys.stderr)
            return EXIT_START_FAILED
        print(f"started pid {process.pid}")
        return EXIT_OK

    def stop(self, timeout: Optional[float]) -> int:
        """SIGTERM and wait for exit or the stopped marker; 0 stopped, 3 still running after the timeout."""
        limit = self.stop_timeout if timeout is None else timeout
        pid = self.server_pid()
        if pid is None or self.reported_stopped():
            self._forget_dead_state()
            print("already stopped")
            return EXIT_OK
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # exited meanwhile: the loop below sees it gone
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if not is_server_process(pid) or self.reported_stopped():
                self._forget_dead_state()
                print("stopped")
                return EXIT_OK
            time.sleep(POLL_INTERVAL_S)
        print(f"stop failed: server pid {pid} did not stop within {limit:g} s (left running)", file=sys.stderr)
        return EXIT_NOT_RUNNING

    def restart(self, timeout: Optional[float]) -> int:
        """Stop, then start."""
        code = self.stop(timeout)
        return code if code != EXIT_OK else self.start()

    # ----- helpers ----------------------------------------------------------------------------

    def _launch(self) -> "subprocess.Popen[bytes]":
        command = [self.python, str(self.server_dir / SERVER_PROGRAM), "--data", str(self.data_dir), "--site", str(self.site_dir)]
        with (self.site_dir / OUTPUT_FILE).open("ab") as output:
            # Own session and no inherited pipes: the server outlives the wrapper and the task that ran it.
            process = subprocess.Popen(command, cwd=str(self.server_dir), stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                                       stdout=output, stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
        (self.site_dir / STATE_FILE).write_text(f"{process.pid}\n", encoding="utf-8")
        return process

    def _wait_until_up(self, process: "subprocess.Popen[bytes]") -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            code = process.poll()
            if code is not None:
                raise ServiceError(f"server exited with code {code} during start: {self._output_tail()}")
            if self._control_answers(process.pid):
                return
            time.sleep(POLL_INTERVAL_S)
        terminate(process)
        raise ServiceError(f"server did not come up within {self.start_timeout:g} s (terminated): {self._output_tail()}")

    def _control_answers(self, pid: int) -> bool:
        """The control interface of *this* process answers /api/status."""
        try:
            settings = json.loads((self.server_dir / "Server Database" / "Preferences" / "settings.json").read_text(encoding="utf-8"))
            connection = http.client.HTTPConnection("127.0.0.1", int(settings["control_port"]), timeout=2)
            try:
                connection.request("GET", "/api/status", headers={"X-ConAktiv-Token": str(settings.get("control_token", ""))})
                response = connection.getresponse()
                body = json.loads(response.read().decode("utf-8"))
            finally:
                connection.close()
        except (OSError, ValueError, KeyError, http.client.HTTPException):
            return False
        return response.status == 200 and body.get("pid") == pid

    def _output_tail(self, lines: int = 5) -> str:
        try:
            text = (self.site_dir / OUTPUT_FILE).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server output)"
        return " | ".join(text.strip().splitlines()[-lines:]) or "(no server output)"

    def _forget_dead_state(self) -> None:
        state = self.site_dir / STATE_FILE
        try:
            pid = int(state.read_text(encoding="utf-8").split()[0])
        except (OSError, ValueError, IndexError):
            return
        if not is_server_process(pid):
            state.unlink()


def is_server_process(pid: int) -> bool:
    """A live (not zombie) process running conaktiv_server.py; guards against reused pids."""
    proc = Path("/proc") / str(pid)
    try:
        stat = (proc / "stat").read_text(encoding="utf-8", errors="replace")
        cmdline = (proc / "cmdline").read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return False
    process_state = stat.rsplit(")", 1)[-1].split()[0]
    return process_state not in ("Z", "X") and SERVER_PROGRAM in cmdline


def terminate(process: "subprocess.Popen[bytes]") -> None:
    """SIGTERM, then SIGKILL after 5 s; reaps the child."""
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    """Command line of the wrapper."""
    parser = argparse.ArgumentParser(prog="conaktiv-service", description="Service manager of a simulated ConAktiv site.")
    parser.add_argument("--config", required=True, help="path of the site's service.json")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("start", help="start in the background; exit 0 once the control interface answers")
    stop = commands.add_parser("stop", help="stop; exit 0 stopped, 3 not stopped within the timeout")
    stop.add_argument("--timeout", type=float, help="seconds to wait (default: stop_timeout of service.json)")
    commands.add_parser("status", help="exit 0 running, 3 stopped")
    restart = commands.add_parser("restart", help="stop, then start")
    restart.add_argument("--timeout", type=float, help="seconds to wait for the stop")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the wrapper."""
    args = parse_args(argv)
    try:
        service = Service(Path(args.config))
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read {args.config}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "start":
        return service.start()
    if args.command == "stop":
        return service.stop(args.timeout)
    if args.command == "restart":
        return service.restart(args.timeout)
    return service.status()


if __name__ == "__main__":
    sys.exit(main())
