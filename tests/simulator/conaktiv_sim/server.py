"""ConAktiv server simulator: one server process, as a ConAktiv installation runs it.

Self-contained, stdlib only, Python >= 3.9: this file is copied verbatim into every simulated
server folder as ``conaktiv_server.py``. What runs is what is in the folder: the version comes
from ``version.txt`` and the settings from ``Server Database/Preferences`` beside this file.

Usage: ``python conaktiv_server.py --data DATA_DIR [--site SITE_DIR]`` (foreground; SIGTERM stops).
The contract (client protocol, control interface, faults) is in tests/simulator/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import fcntl
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import socketserver
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import unquote, urlsplit

HOST = "127.0.0.1"
EXIT_OK = 0
EXIT_START_FAILED = 1
EXIT_CRASH = 70
TOKEN_HEADER = "X-ConAktiv-Token"
STOPPED_MARKER = "stopped"
PID_FILE = "server.pid"
LAUNCHED_FILE = "launched.pids"
LOCK_FILE = ".lock"
DATA_ARCHIVE_PREFIX = "ConAktiv Data"
DATABASE_FOLDER = "Server Database"
BACKUP_PATTERN = "conaktiv-backup-*.zip"
DEFAULT_MIGRATION_SECONDS = 1.0
ACTIVITY_INTERVAL_S = 0.05
POLL_INTERVAL_S = 0.05

Reply = Tuple[int, Dict[str, Any]]


def now_iso() -> str:
    """Local time with offset, millisecond precision."""
    return datetime.datetime.now().astimezone().isoformat(timespec="milliseconds")


def log(message: str) -> None:
    """One line on stdout, which the service wrapper sends to server.out."""
    print(f"{now_iso()} {message}", flush=True)


def version_key(version: str) -> Tuple[int, ...]:
    """Comparable key of a dotted version ("2.10.0" > "2.9.1")."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


def read_json(path: Path) -> Any:
    """Parse one JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON through a temporary file and a rename, so readers never see half a file."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Faults:
    """Fault switches of faults.json, filtered by the running server's version."""

    def __init__(self, raw: Dict[str, Any], version: str) -> None:
        self.raw = raw
        self.version = version

    @classmethod
    def load(cls, site_dir: Optional[Path], version: str) -> "Faults":
        """Read <site>/faults.json; absent (or unreadable, with a warning) means no faults."""
        if site_dir is None:
            return cls({}, version)
        path = site_dir / "faults.json"
        try:
            raw = read_json(path)
        except FileNotFoundError:
            raw = {}
        except (OSError, ValueError) as exc:
            log(f"warning: ignoring unreadable {path}: {exc}")
            raw = {}
        return cls(raw if isinstance(raw, dict) else {}, version)

    def _applies(self, spec: Dict[str, Any]) -> bool:
        versions = spec.get("versions")
        return versions is None or self.version in versions

    def active(self, name: str) -> Optional[Dict[str, Any]]:
        """The switch's settings when it is on for this version, else None."""
        spec = self.raw.get(name)
        if spec is True:
            spec = {}
        if not isinstance(spec, dict) or not self._applies(spec):
            return None
        return spec

    def seconds(self, name: str, default: float) -> float:
        """A duration: a plain number, or {"seconds": N, "versions": [...]}."""
        spec = self.raw.get(name)
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            return float(spec)
        if isinstance(spec, dict) and self._applies(spec):
            return float(spec.get("seconds", default))
        return default


class ServerConfig:
    """Everything the server reads from its folder and its command line."""

    def __init__(self, server_dir: Path, data_dir: Path, site_dir: Optional[Path]) -> None:
        self.server_dir = server_dir
        self.data_dir = data_dir
        self.site_dir = site_dir
        self.version = (server_dir / "version.txt").read_text(encoding="utf-8").strip()
        preferences = server_dir / DATABASE_FOLDER / "Preferences"
        self.settings: Dict[str, Any] = read_json(preferences / "settings.json")
        backup_file = preferences / "backup.json"
        self.backup_settings: Dict[str, Any] = read_json(backup_file) if backup_file.exists() else {}

    @property
    def client_port(self) -> int:
        """Port of the client protocol."""
        return int(self.settings["client_port"])

    @property
    def control_port(self) -> int:
        """Port of the HTTP control interface."""
        return int(self.settings["control_port"])

    @property
    def token(self) -> str:
        """Token every control request must carry."""
        return str(self.settings.get("control_token", "default"))

    def backup_folder(self) -> Path:
        """Backup folder; a relative one is taken beside the server folder."""
        folder = Path(str(self.backup_settings.get("backup_folder") or "Backups"))
        return folder if folder.is_absolute() else self.server_dir.parent / folder

    def backup_keep(self) -> int:
        """How many of its own backups the server keeps (0 = all)."""
        return int(self.backup_settings.get("keep", 5))

    def messages_log(self) -> Path:
        """Where broadcast messages are recorded."""
        if self.site_dir is not None:
            return self.site_dir / "messages.log"
        return self.data_dir / "Logs" / "messages.log"

    def stopped_marker(self) -> Optional[Path]:
        """File by which the server reports "stopped" to the service wrapper."""
        return self.site_dir / STOPPED_MARKER if self.site_dir is not None else None


class Session:
    """One logged-in user: a held TCP connection or a simulated session."""

    def __init__(self, user: str, client: str, logoff_after: Optional[float] = None,
                 connection: Optional[socket.socket] = None) -> None:
        self.user = user
        self.client = client
        self.since = now_iso()
        self.logoff_after = logoff_after
        self.connection = connection
        self.send_lock = threading.Lock()
        self.logoff_timer: Optional[threading.Timer] = None

    def describe(self) -> Dict[str, Any]:
        """JSON view for /api/sessions."""
        return {"user": self.user, "since": self.since, "client": self.client, "logoff_after": self.logoff_after}

    def send(self, line: str) -> bool:
        """Send one protocol line; False when the connection is gone."""
        if self.connection is None:
            return True
        try:
            with self.send_lock:
                self.connection.sendall(line.encode("utf-8"))
            return True
        except OSError:
            return False

    def schedule_logoff(self, logoff: Callable[["Session", str], None]) -> None:
        """Simulated user: log off logoff_after seconds after the first message."""
        if self.logoff_after is None or self.logoff_timer is not None:
            return
        self.logoff_timer = threading.Timer(self.logoff_after, logoff, args=(self, "logged off after message"))
        self.logoff_timer.daemon = True
        self.logoff_timer.start()

    def disconnect(self) -> None:
        """End the session: cancel its timer, close its connection."""
        if self.logoff_timer is not None:
            self.logoff_timer.cancel()
        if self.connection is not None:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class ClientHandler(socketserver.StreamRequestHandler):
    """Client protocol: "LOGIN <user>" -> "OK"; the server sends "MESSAGE <text>"; EOF = log off."""

    def handle(self) -> None:
        app: Server = self.server.app  # type: ignore[attr-defined]
        session: Optional[Session] = None
        try:
            for raw in self.rfile:
                line = raw.decode("utf-8", "replace").strip()
                if session is None:
                    session = self._login(app, line)
                elif line == "LOGOFF":
                    break
                elif line:
                    self.wfile.write(b"ERROR unknown command\n")
        except OSError:
            pass
        finally:
            if session is not None:
                app.remove_session(session, "logged off")

    def _login(self, app: "Server", line: str) -> Optional[Session]:
        user = line[len("LOGIN "):].strip() if line.startswith("LOGIN ") else ""
        refusal = app.login_refusal() if user else "expected LOGIN <user>"
        if refusal:
            self.wfile.write(f"ERROR {refusal}\n".encode("utf-8"))
            return None
        session = Session(user, "tcp", connection=self.connection)
        with session.send_lock:  # "OK" must reach the client before any MESSAGE
            app.add_session(session)
            self.wfile.write(b"OK\n")
        return session


class ClientServer(socketserver.ThreadingTCPServer):
    """Listener of the client port."""

    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False

    def __init__(self, app: "Server", port: int) -> None:
        self.app = app
        super().__init__((HOST, port), ClientHandler)


class ControlHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 + JSON control interface; every request needs the X-ConAktiv-Token header."""

    protocol_version = "HTTP/1.1"
    server_version = "ConAktivSimulator/1.0"

    def do_GET(self) -> None:  # pylint: disable=invalid-name  # name given by BaseHTTPRequestHandler
        """Dispatch GET."""
        self._dispatch("GET")

    def do_POST(self) -> None:  # pylint: disable=invalid-name
        """Dispatch POST."""
        self._dispatch("POST")

    def do_DELETE(self) -> None:  # pylint: disable=invalid-name
        """Dispatch DELETE."""
        self._dispatch("DELETE")

    def do_PUT(self) -> None:  # pylint: disable=invalid-name
        """Dispatch PUT (no route takes it: 405 or 404)."""
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        app: Server = self.server.app  # type: ignore[attr-defined]
        try:
            body = self._read_body()
        except ValueError as exc:
            self._reply(400, {"error": f"invalid JSON body: {exc}"})
            return
        token = self.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(token.encode("utf-8"), app.config.token.encode("utf-8")):
            self._reply(401, {"error": f"missing or wrong {TOKEN_HEADER} header"})
            return
        try:
            status, payload = app.handle_control(method, self.path, body)
        except Exception as exc:  # pylint: disable=broad-except  # an error must reach the client as 500, not kill the thread
            status, payload = 500, {"error": f"{type(exc).__name__}: {exc}"}
        self._reply(status, payload)

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        return json.loads(raw.decode("utf-8")) if raw.strip() else None

    def _reply(self, status: int, payload: Dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True  # pylint: disable=attribute-defined-outside-init  # attribute of the base class

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        """Access log on stdout instead of stderr."""
        log("control " + (format % args))


class ControlServer(ThreadingHTTPServer):
    """Listener of the control port."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, app: "Server", port: int) -> None:
        self.app = app
        super().__init__((HOST, port), ControlHandler)


class Server:  # pylint: disable=too-many-instance-attributes
    """The running server: data lock, listeners, sessions, structure update, backups."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.state = "starting"
        self.error: Optional[str] = None
        self.structure_version = "unknown"
        self.sessions: List[Session] = []
        self.sessions_lock = threading.Lock()
        self.data_lock = threading.Lock()  # held for every data write and for the whole backup
        self.stopping = threading.Event()
        self.stop_requested = False
        self.lock_handle: Optional[Any] = None
        self.client_server: Optional[ClientServer] = None
        self.control_server: Optional[ControlServer] = None

    # ----- life cycle -------------------------------------------------------------------------

    def run(self) -> int:
        """Start, serve until stopped, shut down; returns the exit code."""
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        signal.signal(signal.SIGINT, self._on_stop_signal)
        faults = Faults.load(self.config.site_dir, self.config.version)
        if faults.active("fail_start") is not None:
            print("simulated start failure (fault fail_start)", file=sys.stderr, flush=True)
            return EXIT_START_FAILED
        refusal = self._acquire_data_lock()
        if refusal:
            print(refusal, file=sys.stderr, flush=True)
            return EXIT_START_FAILED
        try:
            return self._run_locked(faults)
        finally:
            self._release_data()

    def _run_locked(self, faults: Faults) -> int:
        self._write_pid()
        self._remove_stopped_marker()
        try:
            self.structure_version = str(read_json(self.config.data_dir / "structure.json")["structure_version"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"cannot read the data structure version: {exc}", file=sys.stderr, flush=True)
            return EXIT_START_FAILED
        try:
            self._open_listeners()
        except OSError as exc:
            print(f"cannot listen on {HOST}: {exc}", file=sys.stderr, flush=True)
            self._close_listeners()
            return EXIT_START_FAILED
        log(f"ConAktiv server {self.config.version} started, pid {os.getpid()}, client port {self.config.client_port}, "
            f"control port {self.config.control_port}, data {self.config.data_dir}")
        self._sleep_unless_stopped(faults.seconds("startup_seconds", 0.0))
        if not self.stop_requested:
            self._begin_structure_update(faults)
        threading.Thread(target=self._activity, name="activity", daemon=True).start()
        stop_faults = self._wait_for_stop()
        self._shutdown(stop_faults)
        return EXIT_OK

    def _on_stop_signal(self, signum: int, frame: Any) -> None:  # pylint: disable=unused-argument
        # Only a flag: the main thread polls it, so no lock is taken inside a signal handler.
        self.stop_requested = True

    def _sleep_unless_stopped(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.stop_requested:
            time.sleep(POLL_INTERVAL_S)

    def _wait_for_stop(self) -> Faults:
        """Block until a stop request is accepted; faults are re-read at every request."""
        while True:
            if self.stop_requested:
                self.stop_requested = False
                faults = Faults.load(self.config.site_dir, self.config.version)
                if faults.active("refuse_stop") is None:
                    log("stop requested")
                    return faults
                log("stop request ignored (fault refuse_stop)")
            time.sleep(POLL_INTERVAL_S)

    def _shutdown(self, faults: Faults) -> None:
        self.stopping.set()
        self._close_listeners()
        linger = faults.active("linger_after_stop")
        if linger is None:
            self._release_data()
            self._write_stopped_marker()
            log("stopped")
            return
        seconds = float(linger.get("seconds", 10))
        self._write_stopped_marker()
        log(f"reported stopped, process lingers {seconds} s holding {PID_FILE} and the data lock (fault linger_after_stop)")
        time.sleep(seconds)
        self._release_data()
        log("stopped (after lingering)")

    def crash(self, code: int, reason: str) -> None:
        """Die at once like a crashing process; only the pid file is cleaned (see README)."""
        log(f"crash: {reason}")
        self._remove_pid()
        os._exit(code)  # pylint: disable=protected-access

    # ----- files and locks --------------------------------------------------------------------

    def _acquire_data_lock(self) -> Optional[str]:
        """Take the data folder's lock; the reason when that is impossible."""
        try:
            handle = (self.config.data_dir / LOCK_FILE).open("a+", encoding="utf-8")
        except OSError as exc:
            return f"cannot open the data folder's lock: {exc}"
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return f"data in use: another server runs on {self.config.data_dir}"
        self.lock_handle = handle
        return None

    def _release_data(self) -> None:
        self._remove_pid()
        if self.lock_handle is not None:
            fcntl.flock(self.lock_handle.fileno(), fcntl.LOCK_UN)
            self.lock_handle.close()
            self.lock_handle = None

    def _write_pid(self) -> None:
        (self.config.data_dir / PID_FILE).write_text(f"{os.getpid()}\n", encoding="utf-8")

    def _remove_pid(self) -> None:
        if self.lock_handle is None:
            return  # never remove the pid file of the instance that holds the lock
        try:
            (self.config.data_dir / PID_FILE).unlink()
        except FileNotFoundError:
            pass

    def _write_stopped_marker(self) -> None:
        marker = self.config.stopped_marker()
        if marker is not None:
            marker.write_text(f"{os.getpid()} {now_iso()}\n", encoding="utf-8")

    def _remove_stopped_marker(self) -> None:
        marker = self.config.stopped_marker()
        if marker is not None and marker.exists():
            marker.unlink()

    # ----- listeners and sessions -------------------------------------------------------------

    def _open_listeners(self) -> None:
        # Each listener's loop starts right away: shutdown() of a listener whose loop never ran would block forever.
        self.client_server = ClientServer(self, self.config.client_port)
        self._serve_in_thread(self.client_server, "client")
        self.control_server = ControlServer(self, self.config.control_port)
        self._serve_in_thread(self.control_server, "control")

    @staticmethod
    def _serve_in_thread(listener: socketserver.BaseServer, name: str) -> None:
        threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": POLL_INTERVAL_S}, name=name, daemon=True).start()

    def _close_listeners(self) -> None:
        for listener in (self.client_server, self.control_server):
            if listener is not None:
                listener.shutdown()
                listener.server_close()
        self.client_server = self.control_server = None
        with self.sessions_lock:
            sessions, self.sessions = self.sessions, []
        for session in sessions:
            session.disconnect()

    def login_refusal(self) -> Optional[str]:
        """Why a login is refused right now, or None."""
        return None if self.state == "ready" else f"server is {self.state}"

    def add_session(self, session: Session) -> None:
        """Register a logged-in user."""
        with self.sessions_lock:
            self.sessions.append(session)
        log(f"session {session.user} ({session.client}) logged in")

    def remove_session(self, session: Session, reason: str) -> None:
        """Log one session off (idempotent)."""
        with self.sessions_lock:
            if session not in self.sessions:
                return
            self.sessions.remove(session)
        session.disconnect()
        log(f"session {session.user} ({session.client}) {reason}")

    def session_list(self) -> List[Session]:
        """Snapshot of the current sessions."""
        with self.sessions_lock:
            return list(self.sessions)

    def broadcast(self, text: str) -> Dict[str, Any]:
        """Send a message to every session, record it in messages.log."""
        line = "MESSAGE " + " ".join(text.splitlines()) + "\n"
        delivered: List[str] = []
        for session in self.session_list():
            if not session.send(line):
                continue
            if session.user not in delivered:
                delivered.append(session.user)
            if session.client == "simulated":
                session.schedule_logoff(self.remove_session)
        record = {"time": now_iso(), "text": text, "delivered_to": delivered}
        log_file = self.config.messages_log()
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with log_file.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        log(f"message delivered to {len(delivered)} user(s): {text}")
        return {"delivered_to": delivered}

    # ----- structure update -------------------------------------------------------------------

    def _begin_structure_update(self, faults: Faults) -> None:
        source, target = self.structure_version, self.config.version
        if version_key(source) > version_key(target):
            log(f"warning: data structure {source} is newer than server {target}; running without structure update")
        if version_key(source) >= version_key(target):
            self.state = "ready"
            log("ready")
            return
        self.state = "migrating"
        threading.Thread(target=self._structure_update, args=(source, target, faults), name="structure-update", daemon=True).start()

    def _update_log(self, message: str) -> None:
        logs = self.config.data_dir / "Logs"
        logs.mkdir(parents=True, exist_ok=True)
        with (logs / "structure-update.log").open("a", encoding="utf-8") as handle:
            handle.write(f"{now_iso()} {message}\n")
        log(message)

    def _structure_update(self, source: str, target: str, faults: Faults) -> None:
        """Rewrite every record for the new structure, spread over migration_seconds."""
        label = f"structure update {source} -> {target}"
        self._update_log(f"{label} started")
        records: List[Optional[Path]] = list(sorted((self.config.data_dir / "records").glob("*.json")))
        steps = records or [None]
        pause = faults.seconds("migration_seconds", DEFAULT_MIGRATION_SECONDS) / len(steps)
        for index, record in enumerate(steps):
            if index == len(steps) // 2 and self._structure_update_fault(faults, label):
                return
            if self.stopping.is_set():
                self._update_log(f"{label} interrupted: server stopping")
                return
            if record is not None:
                self._migrate_record(record, target)
            self.stopping.wait(pause)
        with self.data_lock:
            write_json_atomic(self.config.data_dir / "structure.json", {"structure_version": target})
        self.structure_version = target
        self._update_log(f"{label} finished")
        self.state = "ready"
        log("ready")

    def _structure_update_fault(self, faults: Faults, label: str) -> bool:
        """Apply a structure update fault halfway through; True when the update ends here."""
        if faults.active("crash_during_structure_update") is not None:
            self.crash(EXIT_CRASH, f"{label} crashed (fault crash_during_structure_update)")
        if faults.active("structure_update_fail") is not None:
            reason = "simulated structure update failure"
            self._update_log(f"{label} failed: {reason}")
            self.error = f"{label} failed: {reason}"
            self.state = "failed"
            return True
        if faults.active("structure_update_hang") is not None:
            log(f"{label} hangs (fault structure_update_hang)")
            self.stopping.wait()
            return True
        return False

    def _migrate_record(self, path: Path, target: str) -> None:
        with self.data_lock:
            record = read_json(path)
            record["structure_version"] = target
            write_json_atomic(path, record)

    # ----- user activity and backup -----------------------------------------------------------

    def _activity(self) -> None:
        """While users are logged in, keep writing two files that belong together.

        journal.json and index.json always carry the same sequence number once a write is complete;
        a backup that sees them differ was not consistent.
        """
        folder = self.config.data_dir / "activity"
        try:
            sequence = int(read_json(folder / "journal.json")["seq"])
        except (OSError, ValueError, KeyError, TypeError):
            sequence = 0
        while not self.stopping.wait(ACTIVITY_INTERVAL_S):
            if self.state != "ready" or not self.session_list():
                continue
            with self.data_lock:
                sequence += 1
                folder.mkdir(exist_ok=True)
                write_json_atomic(folder / "journal.json", {"seq": sequence, "time": now_iso()})
                time.sleep(0.005)  # a real write takes time; an unlocked copy would catch it half done
                write_json_atomic(folder / "index.json", {"seq": sequence})

    def backup(self, label: str) -> Dict[str, Any]:
        """Online backup: a zip of the data folder and Server Database, taken with writes paused."""
        folder = self.config.backup_folder()
        folder.mkdir(parents=True, exist_ok=True)
        safe_label = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-")[:40] or "manual"
        stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S%f")
        target = folder / f"conaktiv-backup-{self.config.version}-{safe_label}-{stamp}.zip"
        partial = folder / f".{target.name}.partial"
        with self.data_lock:
            manifest = {"version": self.config.version, "structure_version": self.structure_version,
                        "label": label, "created": now_iso()}
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("conaktiv-backup.json", json.dumps(manifest, indent=2) + "\n")
                self._archive_tree(archive, self.config.data_dir, DATA_ARCHIVE_PREFIX, folder)
                self._archive_tree(archive, self.config.server_dir / DATABASE_FOLDER, DATABASE_FOLDER, folder)
            # A large CRM takes a while: the partial file stays that long, and the request waits (fault backup_seconds).
            time.sleep(Faults.load(self.config.site_dir, self.config.version).seconds("backup_seconds", 0.0))
            os.replace(partial, target)
        self._prune_backups(folder)
        result = {"path": str(target), "size": target.stat().st_size, "sha256": file_sha256(target), "label": label}
        log(f"backup written: {target}")
        return result

    @staticmethod
    def _archive_tree(archive: zipfile.ZipFile, root: Path, prefix: str, skip: Path) -> None:
        for path in sorted(root.rglob("*")):
            if path == skip or skip in path.parents or not path.is_file():
                continue
            relative = path.relative_to(root)
            if prefix == DATA_ARCHIVE_PREFIX and str(relative) in (LOCK_FILE, PID_FILE):
                continue
            archive.write(path, f"{prefix}/{relative.as_posix()}")

    def _prune_backups(self, folder: Path) -> None:
        keep = self.config.backup_keep()
        if keep <= 0:
            return
        backups = sorted(folder.glob(BACKUP_PATTERN), key=lambda path: (path.stat().st_mtime, path.name))
        for old in backups[:-keep]:
            old.unlink()
            log(f"backup removed (keep {keep}): {old}")

    # ----- control interface ------------------------------------------------------------------

    def status(self) -> Dict[str, Any]:
        """Body of GET /api/status."""
        return {"version": self.config.version, "structure_version": self.structure_version, "state": self.state,
                "pid": os.getpid(), "sessions": len(self.session_list()), "error": self.error,
                "server_path": str(self.config.server_dir)}

    def handle_control(self, method: str, raw_path: str, body: Any) -> Reply:
        """Route one authenticated control request."""
        path = urlsplit(raw_path).path.rstrip("/")
        routes: Dict[Tuple[str, str], Callable[[Any], Reply]] = {
            ("GET", "/api/status"): lambda _body: (200, self.status()),
            ("GET", "/api/sessions"): lambda _body: (200, {"sessions": [s.describe() for s in self.session_list()]}),
            ("POST", "/api/sessions"): self._post_session,
            ("POST", "/api/message"): self._post_message,
            ("POST", "/api/backup"): self._post_backup,
        }
        if (method, path) in routes:
            return routes[(method, path)](body)
        if path.startswith("/api/sessions/") and method == "DELETE":
            return self._delete_session(unquote(path[len("/api/sessions/"):]))
        if path in {route_path for _method, route_path in routes} or path.startswith("/api/sessions/"):
            return 405, {"error": f"method {method} not allowed on {path}"}
        return 404, {"error": f"no such resource: {path}"}

    def _post_session(self, body: Any) -> Reply:
        if not isinstance(body, dict) or not isinstance(body.get("user"), str) or not body["user"].strip():
            return 400, {"error": 'body must be {"user": "<name>", "logoff_after": <seconds>|null}'}
        logoff_after = body.get("logoff_after")
        if logoff_after is not None and (isinstance(logoff_after, bool) or not isinstance(logoff_after, (int, float)) or logoff_after < 0):
            return 400, {"error": "logoff_after must be a number of seconds >= 0 or null"}
        refusal = self.login_refusal()
        if refusal:
            return 409, {"error": refusal}
        session = Session(body["user"].strip(), "simulated", None if logoff_after is None else float(logoff_after))
        self.add_session(session)
        return 201, session.describe()

    def _delete_session(self, user: str) -> Reply:
        sessions = [session for session in self.session_list() if session.user == user]
        if not sessions:
            return 404, {"error": f"no session of user {user!r}"}
        for session in sessions:
            self.remove_session(session, "logged off by the control interface")
        return 200, {"logged_off": len(sessions)}

    def _post_message(self, body: Any) -> Reply:
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            return 400, {"error": 'body must be {"text": "<message>"}'}
        return 200, self.broadcast(body["text"])

    def _post_backup(self, body: Any) -> Reply:
        if body is not None and not isinstance(body, dict):
            return 400, {"error": 'body must be {"label": "<label>"} or empty'}
        if self.state != "ready":
            return 409, {"error": f"no backup while the server is {self.state}"}
        if Faults.load(self.config.site_dir, self.config.version).active("backup_fail") is not None:
            log("backup failed (fault backup_fail)")
            return 500, {"error": "backup failed: simulated backup failure (fault backup_fail)"}
        try:
            return 200, self.backup(str((body or {}).get("label") or "manual"))
        except OSError as exc:
            return 500, {"error": f"backup failed: {exc}"}


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    """Command line of the server program."""
    parser = argparse.ArgumentParser(description="ConAktiv server (simulator). Runs in the foreground; SIGTERM stops it.")
    parser.add_argument("--data", help="user data folder (structure.json, records/, Logs/)")
    parser.add_argument("--site", help="service folder: faults.json, messages.log, stopped marker")
    parser.add_argument("--server-dir", help="server folder (default: the folder of this file)")
    parser.add_argument("--version", action="store_true", help="print the server version and exit")
    return parser.parse_args(argv)


def record_launch(site_dir: Path) -> None:
    """Append "<pid> <kernel start time>" to the site's launched.pids, first thing, so that the test that owns the site
    can end exactly the processes it caused (and never a process that later got the same pid)."""
    try:
        stat = Path(f"/proc/{os.getpid()}/stat").read_text(encoding="utf-8", errors="replace")
        started = stat.rsplit(")", 1)[-1].split()[19]
    except (OSError, IndexError):
        started = "?"  # no /proc (macOS): the pid alone
    try:
        with (site_dir / LAUNCHED_FILE).open("a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {started}\n")
    except OSError:
        pass  # a missing site folder is reported by the start itself


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of conaktiv_server.py."""
    args = parse_args(argv)
    server_dir = Path(args.server_dir).absolute() if args.server_dir else Path(__file__).absolute().parent
    if args.version:
        print((server_dir / "version.txt").read_text(encoding="utf-8").strip())
        return EXIT_OK
    if not args.data:
        print("--data is required", file=sys.stderr)
        return 2
    site_dir = Path(args.site).absolute() if args.site else None
    if site_dir is not None:
        record_launch(site_dir)
    try:
        config = ServerConfig(server_dir, Path(args.data).absolute(), site_dir)
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read the server configuration: {exc}", file=sys.stderr)
        return EXIT_START_FAILED
    return Server(config).run()


if __name__ == "__main__":
    sys.exit(main())
