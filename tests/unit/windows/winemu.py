# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Windows host emulated on a temporary folder: module calls answered the way the real modules answer.

Every call is first checked against the real argument spec of the installed module (:mod:`wincontract`);
a call the module would reject raises :class:`ContractViolation` and is recorded in ``violations``.

Windows path rules: ``D:\\ConAktiv\\ConAktiv Server`` lives in ``<root>/drive_D/ConAktiv/ConAktiv Server``,
``\\\\fileserver\\share\\x`` in ``<root>/unc/fileserver/share/x``; every name is looked up case-insensitively,
trailing dots and spaces are dropped (as Windows does), forward slashes are separators too. Files can be
"in use" (open in a process): moving, deleting or overwriting them fails the way Windows refuses it. Symbolic
links and junctions (:meth:`WinFS.link`) are local symlinks that win_stat reports as links.

Return values and failure messages follow each module's RETURN documentation and its .ps1 source
(ansible.windows 3.8, community.windows 3.3). A fake ConAktiv Windows service (:class:`FakeService`) provides
service states, a process that can linger, open files, listening ports and the http control interface.
"""

from __future__ import annotations

import base64
import codecs
import dataclasses
import fnmatch
import hashlib
import io
import itertools
import json
import os
import pathlib
import re
import shutil
import tarfile
import threading
import time
import typing as t
import urllib.parse
import zipfile

from ansible.errors import AnsibleConnectionFailure

import wincontract
from wincontract import ContractViolation

from ansible_collections.conaktiv.server.plugins.plugin_utils import _windows_host as winhost

PureWin = pathlib.PureWindowsPath
Result = dict[str, t.Any]

READ_ONLY_MODULES = frozenset({"ansible.windows.win_stat", "ansible.windows.win_find", "ansible.windows.slurp", "ansible.windows.win_service_info",
                               "ansible.windows.win_reg_stat",
                               "ansible.windows.win_wait_for", "community.windows.win_wait_for_process"})
TEMP_FOLDER = "C:\\Users\\ansible\\AppData\\Local\\Temp"  # %TEMP% of the WinRM user: where transfers land first
_POLL = 0.05  # seconds between two looks of an emulated wait (the real modules sleep a second)
_HR_ACCESS_DENIED, _HR_SHARING, _HR_EXISTS, _HR_PATH_NOT_FOUND, _HR_FILE_NOT_FOUND = -2147024891, -2147024864, -2147024713, -2147024893, -2147024894
_HR_COR_IO, _HR_ARGUMENT = -2146232800, -2147024809
# The escapes .NET's RegexParser knows (ScanBackslash / ScanCharEscape); any other escaped word character is an error.
_DOTNET_ESCAPES = frozenset("abBtrvfnexucdDwWsSpPAzZGk0123456789")
_DOTNET_QUANTIFIER = re.compile(r"\{\d+(,\d*)?\}")


# Windows words its errors in its display language; the adapter must understand both (texts: .NET / Win32 messages).
MESSAGES = {
    "sharing": {"en": "The process cannot access the file '{0}' because it is being used by another process.",
                "de": 'Der Prozess kann nicht auf die Datei "{0}" zugreifen, da sie von einem anderen Prozess verwendet wird.'},
    "not_empty": {"en": "The directory is not empty.", "de": "Das Verzeichnis ist nicht leer."},
    "denied": {"en": "Access to the path '{0}' is denied.", "de": 'Der Zugriff auf den Pfad "{0}" wurde verweigert.'},
    "too_long": {"en": "The specified path, file name, or both are too long. The fully qualified file name must be less than 260 characters, "
                       "and the directory name must be less than 248 characters.",
                 "de": "Der angegebene Pfad und/oder Dateiname ist zu lang. Der vollständig qualifizierte Dateiname muss kürzer als 260 "
                       "Zeichen und der Verzeichnisname kürzer als 248 Zeichen sein."},
}
# Win32 error texts (FormatMessage / Win32Exception.Message) of the codes sc.exe answers here.
WIN32_TEXTS = {
    87: {"en": "The parameter is incorrect.", "de": "Falscher Parameter."},
    1056: {"en": "An instance of the service is already running.", "de": "Eine Instanz des Dienstes wird bereits ausgeführt."},
    1058: {"en": "The service cannot be started, either because it is disabled or because it has no enabled devices associated with it.",
           "de": "Der angegebene Dienst kann nicht gestartet werden. Er ist deaktiviert oder nicht den aktivierten Geräten zugeordnet."},
    1060: {"en": "The specified service does not exist as an installed service.", "de": "Der angegebene Dienst ist kein installierter Dienst."},
    1061: {"en": "The service cannot accept control messages at this time.", "de": "Der Dienst kann zurzeit keine Steuerelemente annehmen."},
    1062: {"en": "The service has not been started.", "de": "Der Dienst wurde nicht gestartet."},
    1079: {"en": "The account specified for this service is different from the account specified for other services running in the same process.",
           "de": "Das für diesen Dienst angegebene Konto unterscheidet sich von dem Konto, das für andere Dienste im selben Prozess "
                 "angegeben wurde."},
}


class EmulatorError(AssertionError):
    """The code under test did something the emulator cannot judge (a relative path, an unknown script...)."""


class ScriptError(Exception):
    """A .NET exception raised inside an emulated win_powershell snippet."""

    def __init__(self, kind: str, message: str, hresult: int, call: str = "Move", args: int = 2) -> None:
        super().__init__(message)
        self.kind, self.message, self.hresult, self.call, self.arg_count = kind, message, hresult, call, args


@dataclasses.dataclass
class Call:
    """One module call as the emulator saw it."""

    module: str
    args: dict[str, t.Any]
    check_mode: bool
    result: Result = dataclasses.field(default_factory=dict)
    no_log: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.result.get("changed"))


@dataclasses.dataclass
class Lock:
    """A file held open by a process: ``release_after`` refusals later it is closed (None: never).

    ``share_delete``: opened with FILE_SHARE_DELETE (virus scanners, the indexer): deleting the file succeeds, but it stays
    "delete pending" in its folder until the handle is closed, so removing the folder fails with "The directory is not empty".
    """

    path: pathlib.Path
    release_after: int | None = None
    refusals: int = 0
    share_delete: bool = False


def sha(path: pathlib.Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def failed(msg: str, **extra: t.Any) -> Result:
    return {"failed": True, "changed": False, "msg": msg, **extra}


# -- the file system ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Ace:
    """One access rule of a folder's ACL: who (SID and the name Translate gives), FileSystemRights as Int32, InheritanceFlags
    (1 ContainerInherit, 2 ObjectInherit), allow or deny."""

    sid: str
    name: str
    rights: int
    inheritance: int = 3
    allow: bool = True


FULL_CONTROL, MODIFY, READ_AND_EXECUTE = 0x1F01FF, 0x301BF, 0x200A9
# The ACL of a new NTFS data volume's root (D:\\), as icacls shows it on Windows Server: Administrators and SYSTEM full control,
# Users read and execute, Authenticated Users modify, all (OI)(CI) -- so every folder made below it lets every user read its
# files until its inheritance is cut (Microsoft Learn, "icacls" and "Default permissions of a new volume").
DEFAULT_ROOT_ACL = (Ace("S-1-5-32-544", "BUILTIN\\Administrators", FULL_CONTROL), Ace("S-1-5-18", "NT AUTHORITY\\SYSTEM", FULL_CONTROL),
                    Ace("S-1-5-32-545", "BUILTIN\\Users", READ_AND_EXECUTE), Ace("S-1-5-11", "NT AUTHORITY\\Authenticated Users", MODIFY))


class WinFS:
    """Windows paths on a local folder."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self.locks: list[Lock] = []
        self.lock_sources: list[t.Callable[[], list[pathlib.Path]]] = []
        self.hidden: set[pathlib.Path] = set()
        # link -> (the target as written into the reparse point, whether it is a junction)
        self.links: dict[pathlib.Path, tuple[str, bool]] = {}
        self.free = {"C": 40 * 1024 ** 3, "D": 500 * 1024 ** 3}
        self.language = "en"
        #: Files open for writing, sharing only Read (a log the server writes): File.ReadAllBytes (slurp) is refused on them.
        self.writer_sources: list[t.Callable[[], list[pathlib.Path]]] = []
        #: Shares (\\\\host\\share, lower case) the WinRM session cannot reach with its credentials: the double hop.
        self.double_hop: set[str] = set()
        #: Folder -> (its explicit rules, whether inheritance is cut); every other folder inherits from its parent.
        self.acls: dict[pathlib.Path, tuple[tuple[Ace, ...], bool]] = {}
        #: Folders whose ACL the WinRM account may not read (no READ_CONTROL).
        self.acl_unreadable: set[pathlib.Path] = set()
        for letter in self.free:
            (root / f"drive_{letter}").mkdir(parents=True, exist_ok=True)

    def set_acl(self, winpath: str, rules: t.Sequence[Ace], inherit: bool = False) -> None:
        """Give folder ``winpath`` explicit ``rules``; without ``inherit`` its inheritance is cut (icacls /inheritance:r)."""
        self.acls[self.local(winpath)] = (tuple(rules), not inherit)

    def access_rules(self, local: pathlib.Path) -> list[Ace]:
        """GetAccessRules(explicit, inherited) of a folder: its own rules, then what its parents pass down. A rule with
        ObjectInherit or ContainerInherit reaches every folder below (ObjectInherit alone as inherit-only, for their files)."""
        parts = local.relative_to(self.root).parts
        depth = 3 if parts[0] == "unc" else 1  # a drive folder, or unc/<host>/<share>
        rules = list(DEFAULT_ROOT_ACL)
        folder = self.root.joinpath(*parts[:depth])
        for part in parts[depth:]:
            folder = folder / part
            passed = [rule for rule in rules if rule.inheritance & 3]
            own, cut = self.acls.get(folder, ((), False))
            rules = list(own) + ([] if cut else passed)
        return rules

    def add_share(self, host: str, share: str) -> str:
        """Create ``\\\\host\\share`` and return its path."""
        (self.root / "unc" / host.casefold() / share.casefold()).mkdir(parents=True, exist_ok=True)
        return f"\\\\{host}\\{share}"

    def local(self, winpath: str) -> pathlib.Path:
        """The local path of a Windows path (existing names found case-insensitively)."""
        path = PureWin(winpath)
        if not path.is_absolute():
            raise EmulatorError(f"relative Windows path {winpath!r}: a module would resolve it against its working folder")
        current = anchor = self._anchor(path.drive)
        for part in path.parts[1:]:
            if part in ("", "."):
                continue
            if part == "..":
                current = current.parent if current != anchor else current
                continue
            current = current / self._match(current, part.rstrip(" .") or part)
        return current

    def _anchor(self, drive: str) -> pathlib.Path:
        if drive.startswith("\\\\"):
            host, share = (drive[2:].split("\\", 1) + [""])[:2]
            return self.root / "unc" / host.casefold() / share.casefold()
        return self.root / f"drive_{drive[0].upper()}"

    @staticmethod
    def _match(folder: pathlib.Path, name: str) -> str:
        if folder.is_dir():
            for entry in os.listdir(folder):
                if entry.casefold() == name.casefold():
                    return entry
        return name

    def link(self, winpath: str, target: str, junction: bool = False) -> pathlib.Path:
        """Make ``winpath`` a symbolic link to ``target`` (relative to the link's folder, or absolute), or a junction.

        A junction points at a folder by its absolute path (mklink /J); a symbolic link keeps a relative target relative.
        """
        if junction and not PureWin(target).is_absolute():
            raise EmulatorError("a junction needs an absolute target")
        local = self.local(winpath)
        local.parent.mkdir(parents=True, exist_ok=True)
        local.symlink_to(self.local(self.link_source(winpath, target)))
        self.links[local] = (target, junction)
        return local

    @staticmethod
    def link_source(winpath: str, target: str) -> str:
        """The absolute target of a link (what win_stat reports as lnk_source: Path.GetFullPath of folder + target)."""
        joined = PureWin(winpath).parent / target
        parts: list[str] = []
        for part in joined.parts[1:]:
            if part == "..":
                parts = parts[:-1]
            elif part not in ("", "."):
                parts.append(part)
        return str(PureWin(joined.anchor, *parts))

    def drive_exists(self, winpath: str) -> bool:
        return self._anchor(PureWin(winpath).drive).is_dir()

    def lock(self, winpath: str, release_after: int | None = None, share_delete: bool = False) -> Lock:
        """Hold a file open (as another process would)."""
        lock = Lock(self.local(winpath), release_after, share_delete=share_delete)
        self.locks.append(lock)
        return lock

    def text(self, key: str, *values: str) -> str:
        """An error message in the host's display language."""
        return MESSAGES[key][self.language].format(*values)

    def being_written(self, target: pathlib.Path) -> bool:
        return any(target == path for source in self.writer_sources for path in source())

    def unreachable_share(self, winpath: str) -> bool:
        """Whether ``winpath`` lies on a share the session may not use (no delegation of its credentials)."""
        drive = PureWin(winpath).drive.casefold()
        return drive.startswith("\\\\") and drive in self.double_hop

    def delete_pending(self, target: pathlib.Path) -> bool:
        """Whether a delete of ``target`` only marks it (its holder shares delete); counts as a refusal of that holder."""
        for held in list(self.locks):
            if held.path == target and held.share_delete:
                return True
        return False

    def blocking(self, target: pathlib.Path, tree: bool) -> pathlib.Path | None:
        """The open file that makes an operation on ``target`` (and, with ``tree``, everything below) fail."""
        for held in list(self.locks):
            if held.path == target or (tree and target in held.path.parents):
                held.refusals += 1
                if held.release_after is not None and held.refusals >= held.release_after:
                    self.locks.remove(held)
                    if held.share_delete and held.path.exists():
                        held.path.unlink()  # the last handle closed: the pending delete happens now
                return held.path
        for source in self.lock_sources:
            for path in source():
                if path == target or (tree and target in path.parents):
                    return path
        return None

    def winpath(self, local: pathlib.Path) -> str:
        """The Windows path of a local path inside the emulated tree (real case)."""
        relative = local.relative_to(self.root).parts
        if relative[0] == "unc":
            return "\\\\" + "\\".join(relative[1:])
        return f"{relative[0][-1]}:\\" + "\\".join(relative[1:])

    def snapshot(self) -> dict[str, bytes | None]:
        """Every folder (None) and file (content) of the emulated host."""
        found: dict[str, bytes | None] = {}
        for path in sorted(self.root.rglob("*")):
            found[str(path.relative_to(self.root))] = path.read_bytes() if path.is_file() else None
        return found


# -- the fake ConAktiv Windows service --------------------------------------------------------------------


@dataclasses.dataclass
class FakeService:  # pylint: disable=too-many-instance-attributes
    """A ConAktiv server installed as a Windows service, with the faults the update must survive."""

    fs: WinFS
    name: str = "ConAktivServer"
    display_name: str = "ConAktiv Server"
    server_path: str = "D:\\ConAktiv\\ConAktiv Server"
    data_path: str = "D:\\ConAktiv\\ConAktiv Data"
    backup_path: str = "D:\\ConAktiv\\Backups"
    client_port: int = 2048
    control_port: int = 2049
    token: str = "emulated-token"
    start_seconds: float = 0.1
    stop_seconds: float = 0.1
    migration_seconds: float = 0.3
    linger_seconds: float = 0.0
    hang_on_stop: bool = False
    fail_start_versions: set[str] = dataclasses.field(default_factory=set)
    #: Versions whose structure update fails (the status says failed, the log a failure line) after migration_seconds.
    fail_migration_versions: set[str] = dataclasses.field(default_factory=set)
    #: The Content-Type of the control interface's answers (win_uri parses JSON only for text / json / javascript types).
    content_type: str = "application/json"
    disabled: bool = False
    sessions: list[str] = dataclasses.field(default_factory=list)
    logoff_on_message: bool = True
    structure_version: str = "1.0.0"
    version: str | None = None
    messages: list[str] = dataclasses.field(default_factory=list)
    #: The address the clients reach the server on (its LAN address), and connections left in TIME_WAIT on the client port.
    lan_address: str = "192.168.10.5"
    time_wait: int = 0
    #: A log the running server holds open for writing (sharing Read only), with the structure update's start and end lines.
    structure_log: str | None = None
    #: An sc.exe error every start and stop request is answered with (e.g. 1079), None for the normal answers.
    refuse_control: int | None = None
    migration_failed: bool = False
    _state: str = "stopped"
    _since: float = 0.0
    _fails: bool = False
    _migrated_at: float = 0.0
    _process_until: float = 0.0
    _home: pathlib.Path | None = None
    pid: int = 0
    exit_code: int = 0
    _pids: t.Iterator[int] = dataclasses.field(default_factory=lambda: itertools.count(4100, 4))

    @property
    def state(self) -> str:
        """The SCM state as win_service_info names it (started, stopped, start_pending, stop_pending)."""
        now = time.monotonic()
        if self._state == "start_pending" and now >= self._since + self.start_seconds:
            if self._fails:
                self._state, self.exit_code, self._process_until = "stopped", 1067, now
            else:
                # The first start of a new version runs the structure update of the user data.
                self._state = "started"
                self._migrated_at = now + self.migration_seconds if self.structure_version != self.version else 0.0
                if self._migrated_at:
                    self._log(f"structure update {self.structure_version} -> {self.version} started")
        if self._state == "started" and self._migrated_at and now >= self._migrated_at and not self.migration_failed:
            if self.version in self.fail_migration_versions:
                self._log(f"structure update {self.structure_version} -> {self.version} failed: table ADRESSEN locked")
                self.migration_failed = True
            else:
                self._log(f"structure update {self.structure_version} -> {self.version} finished")
                self.structure_version, self._migrated_at = self.version or self.structure_version, 0.0
        if self._state == "stop_pending" and not self.hang_on_stop and now >= self._since + self.stop_seconds:
            self._state, self._process_until = "stopped", now + self.linger_seconds
        return self._state

    def process_alive(self, pid: int) -> bool:
        """Whether the service process ``pid`` still exists (it may outlive the stopped state)."""
        return pid == self.pid and pid > 0 and (self.state != "stopped" or time.monotonic() < self._process_until)

    def catch_up(self) -> None:
        """Reach the state the time says (the state is computed when it is looked at)."""
        self.state  # pylint: disable=pointless-statement

    def _log(self, text: str) -> None:
        if self.structure_log:
            path = self.fs.local(self.structure_log)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("ab") as handle:
                handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}\r\n".encode("utf-8"))

    def written_files(self) -> list[pathlib.Path]:
        """The files the running process holds open for writing (its structure-update log)."""
        if not self.structure_log or not self.process_alive(self.pid):
            return []
        return [self.fs.local(self.structure_log)]

    def tcp_connections(self) -> list[tuple[str, int, str]]:
        """(local address, local port, state) of the connections to the server, as GetActiveTcpConnections lists them."""
        if self.state != "started":
            return []
        return [(self.lan_address, self.client_port, "Established") for _user in self.sessions] + \
            [(self.lan_address, self.client_port, "TimeWait")] * self.time_wait

    def open_files(self) -> list[pathlib.Path]:
        """The files the running process holds open: its program files (lib/*)."""
        if not self._home or not self.process_alive(self.pid):
            return []
        return sorted((self._home / "lib").glob("*")) + [self._home / "lib"]

    def start(self) -> int:
        """SCM start; the sc.exe exit code."""
        state = self.state
        if self.refuse_control:
            return self.refuse_control
        if self.disabled:
            return 1058
        if state in ("started", "start_pending", "stop_pending"):
            return 1056
        home = self.fs.local(self.server_path)
        version_file = self.fs.local(self.server_path + "\\version.txt")
        self.version = version_file.read_text(encoding="utf-8").strip() if version_file.is_file() else None
        self._fails = self.version is None or self.version in self.fail_start_versions
        self._home = home
        self.migration_failed = False
        self.pid, self.exit_code = next(self._pids), 0
        self._state, self._since = "start_pending", time.monotonic()
        return 0

    def stop(self) -> int:
        """SCM stop control; the sc.exe exit code."""
        state = self.state
        if self.refuse_control:
            return self.refuse_control
        if state == "stopped":
            return 1062
        if state in ("stop_pending", "start_pending"):
            # A service accepts SERVICE_CONTROL_STOP only once it runs (its controls_accepted is empty while pending).
            return 1061
        self._state, self._since = "stop_pending", time.monotonic()
        return 0

    def kill(self) -> None:
        """The process ended by force: stopped at once, nothing lingers, the SCM records the unexpected end."""
        self.catch_up()
        self._state, self.exit_code, self._process_until, self._migrated_at = "stopped", 1067, 0.0, 0.0

    def run_now(self) -> None:
        """Put the service in the running state at once (test setup)."""
        self.start()
        self._since -= self.start_seconds
        assert self.state == "started", f"the fake service did not start (version {self.version})"
        self._migrated_at = 0.0
        self.structure_version = self.version or self.structure_version

    def info(self) -> Result:
        """One entry of win_service_info's services list."""
        state = self.state
        return {"name": self.name, "display_name": self.display_name, "state": state, "process_id": self.pid if state != "stopped" else 0,
                "service_type": "win32_own_process", "start_mode": "disabled" if self.disabled else "auto", "path": f'"{self.server_path}\\server.exe"',
                "win32_exit_code": self.exit_code, "service_exit_code": 0, "checkpoint": 0, "wait_hint_ms": 0, "username": "LocalSystem",
                "dependencies": [], "dependency_of": [], "controls_accepted": ["stop", "shutdown"] if state == "started" else [],
                "description": "ConAktiv Server", "desktop_interact": False, "error_control": "normal"}

    def listening(self, port: int) -> bool:
        return self.state == "started" and port in (self.client_port, self.control_port)

    # -- the http control interface --------------------------------------------------------------------
    def control(self, method: str, path: str, headers: dict[str, str], body: t.Any) -> tuple[int, Result]:
        """One request to the control interface; (status, JSON body)."""
        if headers.get("X-ConAktiv-Token") != self.token:
            return 401, {"error": "missing or wrong X-ConAktiv-Token header"}
        if (method, path) == ("GET", "/api/status"):
            return 200, self.status()
        if (method, path) == ("GET", "/api/sessions"):
            return 200, {"sessions": [{"user": user, "client": "CLIENT-PC"} for user in self.sessions]}
        if (method, path) == ("POST", "/api/message"):
            delivered = list(self.sessions)
            self.messages.append(str((body or {}).get("text")))
            if self.logoff_on_message:
                self.sessions.clear()
            return 200, {"delivered_to": delivered}
        if (method, path) == ("POST", "/api/backup"):
            return 200, self.backup(str((body or {}).get("label") or "online"))
        return 404, {"error": f"no route {method} {path}"}

    def status(self) -> Result:
        # server_path: the folder the service runs from (docs/docsite/rst/control-interface.rst), as the service's binary path names it.
        self.catch_up()
        if self.migration_failed:
            return {"version": self.version, "structure_version": self.structure_version, "state": "failed", "server_path": self.server_path,
                    "error": "structure update failed: table ADRESSEN locked"}
        if time.monotonic() < self._migrated_at:
            return {"version": self.version, "structure_version": self.structure_version, "state": "migrating", "server_path": self.server_path}
        self.structure_version = self.version or self.structure_version
        return {"version": self.version, "structure_version": self.structure_version, "state": "ready", "server_path": self.server_path}

    def backup(self, label: str) -> Result:
        folder = self.fs.local(self.backup_path)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"online-{label}-{len(list(folder.iterdir())) + 1:04d}.zip"
        data = self.fs.local(self.data_path)
        with zipfile.ZipFile(target, "w") as archive:
            for path in sorted(data.rglob("*")):
                if path.is_file():
                    archive.write(path, "/".join(path.relative_to(data.parent).parts))
        return {"path": self.fs.winpath(target), "sha256": sha(target, "sha256")}


# -- the emulator -----------------------------------------------------------------------------------------


class WindowsEmulator:  # pylint: disable=too-many-public-methods
    """Answers module calls of a Windows host; see the module docstring."""

    def __init__(self, root: pathlib.Path, latency: float = 1.0) -> None:
        self.fs = WinFS(root)
        #: Seconds each module call takes (a WinRM round trip: about 1 s), and per module where it differs (a slow delete).
        self.latency = latency
        self.latency_by_module: dict[str, float] = {}
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.services: list[FakeService] = []
        self.programs: dict[str, t.Callable[[list[str]], tuple[int, str, str]]] = {"sc": self._sc_exe, "taskkill": self._taskkill}
        #: The zone in the registry (TimeZoneKeyName, what tzutil /g prints); a German server's by default.
        self.time_zone_id = "W. Europe Standard Time"
        self.summer_time_disabled = False
        self.console_messages: list[str] = []
        #: What the modules wrote to the Windows event log (their invocations, see execute).
        self.event_log: list[str] = []
        self.tar_exe = True
        self.msg_exe = True
        #: When set, every claim snippet waits here right before it creates its file (to race two callers deterministically).
        self.claim_barrier: threading.Barrier | None = None
        self._faults: list[tuple[t.Callable[[str, dict[str, t.Any]], bool], str]] = []
        self._tmp_numbers = itertools.count(1)

    # -- setup helpers --------------------------------------------------------------------------------
    def add_service(self, **options: t.Any) -> FakeService:
        service = FakeService(self.fs, **options)
        self.services.append(service)
        self.fs.lock_sources.append(service.open_files)
        self.fs.lock_sources.append(service.written_files)
        self.fs.writer_sources.append(service.written_files)
        return service

    def write(self, winpath: str, content: bytes | str) -> pathlib.Path:
        path = self.fs.local(winpath)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def disconnect_when(self, predicate: t.Callable[[str, dict[str, t.Any]], bool], message: str = "WinRM connection lost") -> None:
        """Let the connection fail once, right before a matching call reaches the host."""
        self._faults.append((predicate, message))

    # -- the connection side ----------------------------------------------------------------------------
    def put_file(self, local_path: str, remote_path: str) -> None:
        """What the connection plugin's put_file does."""
        target = self.fs.local(remote_path)
        if not target.parent.is_dir():
            raise AnsibleConnectionFailure(f"failed to transfer file to {remote_path}: the folder does not exist")
        shutil.copyfile(local_path, target)

    def make_tmp(self) -> str:
        path = f"{TEMP_FOLDER}\\ansible-tmp-{next(self._tmp_numbers)}"
        self.fs.local(path).mkdir(parents=True)
        return path

    def remove_tmp(self, path: str) -> None:
        shutil.rmtree(self.fs.local(path), ignore_errors=True)

    # -- module execution ------------------------------------------------------------------------------------
    def execute(self, module: str, args: dict[str, t.Any], *, check_mode: bool, internal: bool = False, no_log: bool = False) -> Result:
        """Run one module call: contract check, then the module's behaviour.

        Like Ansible.Basic (``module_utils/csharp/Ansible.Basic.cs``, ``LogEvent("Invoked with: ...")``), a module that does
        not run with ``_ansible_no_log`` writes its parameters to the Windows event log, with only the values of options
        declared ``no_log`` masked: that is kept in ``event_log``.
        """
        try:
            params = wincontract.validate(module, args, internal=internal)
        except ContractViolation as exc:
            self.violations.append(str(exc))
            raise
        for fault in list(self._faults):
            if fault[0](module, params):
                self._faults.remove(fault)
                raise AnsibleConnectionFailure(fault[1])
        call = Call(module, dict(args), check_mode, no_log=no_log)
        self.calls.append(call)
        pause = self.latency_by_module.get(module, self.latency)
        if pause:
            time.sleep(pause)
        if not no_log:
            options = wincontract.ps1_spec(module).options
            logged = {name: "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" if (options.get(name) or {}).get("no_log") else value
                      for name, value in params.items()}
            self.event_log.append(f"{module}: Invoked with: {json.dumps(logged, default=str, sort_keys=True)}")
        handler = getattr(self, "_" + module.rsplit(".", 1)[1], None)
        if handler is None:
            raise EmulatorError(f"{module} is not emulated")
        implementation = wincontract.ps1_spec(module)
        if check_mode and not implementation.supports_check_mode:
            call.result = {"changed": False, "skipped": True, "msg": "remote module does not support check mode"}
        elif check_mode and module not in READ_ONLY_MODULES:
            call.result = {"changed": True, "msg": "check mode: the emulator changed nothing"}
        else:
            try:
                call.result = handler(params)
            except ContractViolation as exc:
                self.violations.append(str(exc))
                raise
        call.result.setdefault("changed", False)
        return dict(call.result)

    def write_calls(self) -> list[Call]:
        """Calls of modules that can change the host (whether they did or not)."""
        return [call for call in self.calls if call.changed or call.module not in READ_ONLY_MODULES and not _read_only(call)]

    def changed_calls(self) -> list[Call]:
        """Calls that reported a change."""
        return [call for call in self.calls if call.changed]

    # -- ansible.windows ---------------------------------------------------------------------------------
    def _win_stat(self, params: dict[str, t.Any]) -> Result:
        if params["follow"]:
            raise EmulatorError("win_stat: follow=true is not emulated")
        path = self.fs.local(params["path"])
        link = None
        if path.is_symlink():  # one made by WinFS.link, or else (an unpacked tar) an absolute link into the tree
            link = self.fs.links.get(path) or (self.fs.winpath(pathlib.Path(os.path.realpath(path))), False)
        if not path.exists() and link is None:
            return {"changed": False, "stat": {"exists": False}}
        # Get-AnsibleItem does not follow a link: times and attributes are the link's own; a link to a folder is a folder.
        stat = path.lstat()
        attributes = ("Directory" if path.is_dir() else "Archive") + (", ReparsePoint" if link else "")
        info: Result = {"exists": True, "isdir": path.is_dir(), "isreg": path.is_file() and not link, "islnk": bool(link and not link[1]),
                        "isjunction": bool(link and link[1]), "ishidden": path in self.fs.hidden, "isreadonly": False,
                        "isarchive": "Archive" in attributes, "isshared": False, "attributes": attributes, "path": str(PureWin(params["path"])),
                        "filename": path.name,
                        "creationtime": stat.st_ctime, "lastwritetime": stat.st_mtime, "lastaccesstime": stat.st_atime, "owner": "BUILTIN\\Administrators",
                        "nlink": 1, "hlnk_targets": []}
        if link:
            info.update(lnk_target=link[0], lnk_source=self.fs.link_source(params["path"], link[0]))
        if path.is_dir():
            if params["get_size"]:
                info["size"] = sum(item.stat().st_size for item in path.rglob("*") if item.is_file())
        else:
            info["extension"] = path.suffix
            if params["get_size"]:
                info["size"] = 0 if link else stat.st_size  # FileInfo.Length of a link is the link's own (empty) data
            if params["get_checksum"]:
                if not path.is_file():
                    return failed("Failed to get hash of file, set get_checksum to False to ignore this error: "
                                  f"Could not find file '{params['path']}'.")
                info["checksum"] = sha(path, params["checksum_algorithm"])  # the hash is read through the link
        return {"changed": False, "stat": info}

    def _win_find(self, params: dict[str, t.Any]) -> Result:
        if params.get("patterns") or params.get("age") or params.get("size") or params.get("depth") or params.get("follow"):
            raise EmulatorError("win_find: only the unfiltered listing (recursive or not, links not followed) is emulated")
        warnings, files, checked = [], [], set()
        examined = 0
        for given in params["paths"]:
            folder = self.fs.local(given)
            if not folder.exists():
                warnings.append(f"Argument path '{given}' does not exist or is not accessible, skipping")
                continue
            if not folder.is_dir():
                warnings.append(f"Argument path '{given}' is a file not a directory, skipping")
                continue
            # Depth first; with recurse into every folder that is no reparse point (follow=false), hidden or not: win_find.ps1
            # (ansible.windows, Search-Path) descends before it applies the hidden filter to the folder itself.
            pending = [(folder, str(PureWin(given)))]
            while pending:
                current, full = pending.pop()
                for entry in sorted(current.iterdir(), key=lambda item: item.name.casefold()):
                    child = full.rstrip("\\") + "\\" + entry.name
                    if child.casefold() in checked:
                        continue
                    checked.add(child.casefold())
                    examined += 1
                    if params.get("recurse") and entry.is_dir() and not entry.is_symlink():
                        pending.append((entry, child))
                    if not self._find_match(entry, params):
                        continue
                    files.append(self._file_info(entry, child, params))
        return {"changed": False, "examined": examined, "matched": len(files), "files": sorted(files, key=lambda item: item["path"].casefold()),
                "warnings": warnings}

    def _find_match(self, entry: pathlib.Path, params: dict[str, t.Any]) -> bool:
        wanted = params["file_type"]
        kind_ok = wanted == "any" or (wanted == "directory") == entry.is_dir()
        return kind_ok and (params["hidden"] or entry not in self.fs.hidden)

    def _file_info(self, entry: pathlib.Path, full: str, params: dict[str, t.Any]) -> Result:
        stat = entry.stat()
        info = {"path": full, "filename": entry.name, "isdir": entry.is_dir(), "isreg": entry.is_file(), "exists": True,
                "ishidden": entry in self.fs.hidden, "extension": None if entry.is_dir() else entry.suffix,
                "size": None if entry.is_dir() else stat.st_size, "checksum": None, "lastwritetime": stat.st_mtime,
                "attributes": "Directory" if entry.is_dir() else "Archive", "islnk": False, "isjunction": False}
        if entry.is_file() and params["get_checksum"]:
            info["checksum"] = sha(entry, params["checksum_algorithm"])
        return info

    def _win_file(self, params: dict[str, t.Any]) -> Result:
        given, state = params["path"], params.get("state")
        path = self.fs.local(given)
        if path.exists():
            if state == "absent":
                return self._delete(path) or {"changed": True}
            if state == "directory" and not path.is_dir():
                return failed(f"path {given} is not a directory")
            if state == "file" and path.is_dir():
                return failed(f"path {given} is not a file")
            if state == "touch":
                path.touch()
                return {"changed": True}
            return {"changed": False}
        if state == "directory":
            if not self.fs.drive_exists(given):
                return failed(f"Cannot find drive. A drive with the name '{PureWin(given).drive}' does not exist.")
            if any(parent.is_file() for parent in path.parents):
                return failed(f"path {given} is not a directory")
            path.mkdir(parents=True)
            return {"changed": True}
        if state == "touch":
            if not path.parent.is_dir():
                return failed(f"Could not find a part of the path '{given}'.")
            path.touch()
            return {"changed": True}
        if state == "absent":
            return {"changed": False}
        return failed(f"path {given} will not be created")

    def _delete(self, path: pathlib.Path) -> Result | None:
        """Remove-Item, child by child: what is not in use goes, the first file in use stops it (win_file.ps1 Remove-File)."""
        shown = self.fs.winpath(path)
        if self.fs.unreachable_share(shown):
            return failed(f"Failed to delete {shown}: {self.fs.text('denied', shown)}")
        if path.is_dir():
            for child in sorted(path.iterdir(), key=lambda item: item.name.casefold()):
                problem = self._delete(child)
                if problem:
                    return problem
            if self.fs.blocking(path, tree=True):
                return failed(f"Failed to delete {shown}: {self.fs.text('not_empty')}")
            path.rmdir()
            return None
        if self.fs.delete_pending(path):
            return None  # DeleteFile succeeds; the file stays in its folder until its holder closes it
        if self.fs.blocking(path, tree=False):
            return failed(f"Failed to delete {shown}: {self.fs.text('sharing', shown)}")
        path.unlink()
        return None

    def _slurp(self, params: dict[str, t.Any]) -> Result:
        path = self.fs.local(params["src"])
        self._tick()
        if path.is_file():
            if self.fs.being_written(path):
                # slurp.ps1 reads with File.ReadAllBytes, which shares only Read: refused while a writer holds the file.
                return failed('Unhandled exception while executing module: Exception calling "ReadAllBytes" with "1" argument(s): '
                              f'"{self.fs.text("sharing", params["src"])}"')
            return {"changed": False, "content": base64.b64encode(path.read_bytes()).decode("ascii"), "encoding": "base64", "source": params["src"]}
        if path.is_dir():
            return failed(f"Path {params['src']} is a directory")
        return failed(f"Path {params['src']} is not found")

    def _tick(self) -> None:
        """Let the services catch up with the time (a log line written, a state reached)."""
        for service in self.services:
            service.catch_up()

    def _win_copy(self, params: dict[str, t.Any]) -> Result:
        mode = params.get("_copy_mode", "single")
        if mode == "query":
            return self._copy_query(params)
        if mode == "single":
            return self._copy_single(params)
        if mode == "remote":
            return self._copy_remote(params)
        raise EmulatorError(f"win_copy _copy_mode {mode!r} is not emulated")

    def _copy_query(self, params: dict[str, t.Any]) -> Result:
        changed_files = []
        for item in params.get("files") or []:
            target = self.fs.local(str(PureWin(params["dest"], item["dest"])))
            if target.is_dir():
                return failed(f"cannot copy file to dest '{self.fs.winpath(target)}': object at path is already a directory")
            if not target.is_file() or (params.get("force", True) and sha(target, "sha1") != item["checksum"]):
                changed_files.append(item)
        return {"changed": False, "files": changed_files, "directories": list(params.get("directories") or []), "symlinks": []}

    def _copy_single(self, params: dict[str, t.Any]) -> Result:
        source = self.fs.local(params["src"])
        if not source.is_file():
            return failed(f"Cannot copy src file: '{params['src']}' as it does not exist")
        dest = params["dest"]
        target = self.fs.local(dest)
        if dest.endswith(("\\", "/")) or target.is_dir():
            target = target / params["_original_basename"]
        elif not target.parent.is_dir():
            return failed(f"Destination directory '{self.fs.winpath(target.parent)}' does not exist")
        if self.fs.blocking(target, tree=False):
            return failed(f"Unhandled exception while executing module: The process cannot access the file '{self.fs.winpath(target)}' "
                          "because it is being used by another process.")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return {"changed": True, "dest": self.fs.winpath(target), "checksum": sha(target, "sha1"), "size": target.stat().st_size}

    def _copy_remote(self, params: dict[str, t.Any]) -> Result:
        src, dest = params["src"], params["dest"]
        source = self.fs.local(src)
        result: Result = {"changed": False, "src": src, "dest": dest}
        if not source.exists():
            return failed(f"Cannot copy src file: '{src}' as it does not exist", src=src, dest=dest)
        if source.is_dir():
            result["operation"] = "folder_copy"
            if src.endswith(("\\", "/")):
                for child in sorted(source.iterdir()):
                    self._copy_any(child, self.fs.local(dest) / child.name, result)
                target = self.fs.local(dest)
            else:
                target = self.fs.local(dest) / source.name
                result["dest"] = str(PureWin(dest, source.name))
                self._copy_folder(source, target, result)
        else:
            result.update(operation="file_copy", original_basename=source.name)
            target = self.fs.local(dest)
            into_folder = dest.endswith(("\\", "/")) or target.is_dir()
            if into_folder:
                target = target / source.name
                result["dest"] = str(PureWin(dest, source.name))
            if not target.parent.is_dir():
                if not into_folder:
                    return failed(f"Destination directory '{self.fs.winpath(target.parent)}' does not exist")
                target.parent.mkdir(parents=True)
            self._copy_file(source, target, result)
            result["checksum"] = sha(source, "sha1")
        if "failed" not in result:
            result["size"] = target.stat().st_size if target.is_file() else sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
        return result

    def _copy_any(self, source: pathlib.Path, target: pathlib.Path, result: Result) -> None:
        if source.is_dir():
            self._copy_folder(source, target, result)
        else:
            self._copy_file(source, target, result)

    def _copy_folder(self, source: pathlib.Path, target: pathlib.Path, result: Result) -> None:
        if not target.is_dir():
            target.mkdir(parents=True)
            result["changed"] = True
        for child in sorted(source.iterdir()):
            self._copy_any(child, target / child.name, result)

    def _copy_file(self, source: pathlib.Path, target: pathlib.Path, result: Result) -> None:
        if target.is_file() and sha(source, "sha1") == sha(target, "sha1"):
            return
        if not target.parent.is_dir():
            target.parent.mkdir(parents=True)
        shutil.copy2(source, target)
        result["changed"] = True

    def _win_powershell(self, params: dict[str, t.Any]) -> Result:
        script, parameters = params.get("script"), params.get("parameters") or {}
        if script not in winhost.SCRIPTS:
            raise ContractViolation("win_powershell: the script is not one of the constant snippets of _windows_host (no string-built scripts)")
        declared = _declared_parameters(script or "")
        if set(parameters) != set(declared):
            raise ContractViolation(f"win_powershell: parameters {sorted(parameters)} do not match the script's param() block {sorted(declared)}")
        for name, kind in declared.items():
            value = parameters[name]
            if kind == "string[]" and not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
                raise ContractViolation(f"win_powershell: parameter {name} must be a list of strings, not {value!r}")
            if kind == "string" and not isinstance(value, str):
                raise ContractViolation(f"win_powershell: parameter {name} must be a string, not {value!r}")
        if params.get("error_action") != "stop":
            raise ContractViolation("win_powershell: the snippets rely on error_action 'stop'")
        run = {winhost.MOVE_SCRIPT: self._ps_move, winhost.VOLUME_SCRIPT: self._ps_volume, winhost.ZIP_SCRIPT: self._ps_zip,
               winhost.CLAIM_SCRIPT: self._ps_claim, winhost.CUTOVER_SCRIPT: self._ps_cutover, winhost.TAIL_SCRIPT: self._ps_tail,
               winhost.CONNECTIONS_SCRIPT: self._ps_connections, winhost.ERROR_TEXT_SCRIPT: self._ps_error_text,
               winhost.READERS_SCRIPT: self._ps_readers}[script]
        base: Result = {"changed": True, "result": {}, "output": [], "error": [], "host_out": "", "host_err": "", "warning": [], "verbose": [],
                        "debug": [], "information": []}
        try:
            outcome = run(parameters)
        except ScriptError as exc:
            return {**base, "failed": True, "error": [_error_record(exc)]}
        return {**base, **outcome}

    def _ps_cutover(self, parameters: dict[str, t.Any]) -> Result:
        """CUTOVER_SCRIPT step by step, each failing the way its .NET / cmdlet call would; a failed step is reported, not thrown."""
        steps: list[str] = []
        carried: list[int] = []
        absent: list[int] = []
        report: Result = {"steps": steps, "carried": carried, "absent": absent, "failed_step": None, "error": None, "in_use": False,
                          "refusals": 0, "waited": 0.0}

        def failed_at(step: str, message: str) -> Result:
            report.update(failed_step=step, error=message)
            return {"changed": True, "result": report}

        steps.append("stopped")
        try:
            self._append_journal(parameters["Journal"], parameters["BeginTail"])
        except ScriptError as exc:
            return failed_at("begin", exc.message)
        steps.append("begin")
        if parameters["MoveOld"] == "1":
            if self.fs.local(parameters["Old"]).exists():
                return failed_at("renamed_old", f"{parameters['Old']} exists already")
            try:
                self._move_folder(parameters["Server"], parameters["Old"], parameters, report)
            except ScriptError as exc:
                return failed_at("renamed_old", exc.message)
        steps.append("renamed_old")
        if parameters["Staged"]:
            try:
                self._move_folder(parameters["Staged"], parameters["Server"], parameters, report)
            except ScriptError as exc:
                return failed_at("renamed_new", exc.message)
        steps.append("renamed_new")
        for index, (source_given, target_given) in enumerate(zip(parameters["ItemsOld"], parameters["ItemsNew"])):
            source, target = self.fs.local(source_given), self.fs.local(target_given)
            if not source.exists():
                absent.append(index)
                continue
            if target.exists():
                # Remove-Item -Recurse -Force: what is in use stops it (with its message).
                problem = self._delete(target)
                if problem:
                    return failed_at("carried", str(problem["msg"]))
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)
            carried.append(index)
        steps.append("carried")
        names = parameters["ItemNames"]
        try:
            self._append_journal(parameters["Journal"], '"data":{"carried_over":[' + ",".join(names[i] for i in carried) + '],"not_present":['
                                 + ",".join(names[i] for i in absent) + "]," + parameters["DoneTail"])
        except ScriptError as exc:
            return failed_at("done", exc.message)
        steps.append("done")
        if not parameters["StartTail"]:
            return {"changed": True, "result": report}
        try:
            self._append_journal(parameters["Journal"], parameters["StartTail"])
        except ScriptError as exc:
            return failed_at("start_begin", exc.message)
        steps.append("start_begin")
        service = self._service(parameters["ServiceName"])
        if service is None:
            return failed_at("started", f"Cannot find any service with service name '{parameters['ServiceName']}'.")
        code = service.start()
        if code not in (0, 1056):
            # ServiceController.Start() throws InvalidOperationException "Cannot start service X on computer '.'."
            return failed_at("started", f"Cannot start service {parameters['ServiceName']} on computer '.'. (error {code})")
        # The snippet's poll: Refresh() and Status every 250 ms until Running, Stopped or the deadline.
        deadline = time.monotonic() + float(parameters["StartWaitSeconds"])
        while service.state != "started":
            if service.state == "stopped":
                return failed_at("started", f"the service {parameters['ServiceName']} stopped again during its start")
            if time.monotonic() > deadline:
                return failed_at("started", f"the service {parameters['ServiceName']} is not running {parameters['StartWaitSeconds']} s after "
                                            f"its start ({service.state})")
            time.sleep(0.25)
        steps.append("started")
        try:
            self._append_journal(parameters["Journal"], '"data":{"started_at":' + f"{time.time():.3f}," + parameters["StartDoneTail"])
        except ScriptError as exc:
            return failed_at("start_done", exc.message)
        steps.append("start_done")
        if parameters["ThenTail"]:
            try:
                self._append_journal(parameters["Journal"], parameters["ThenTail"])
            except ScriptError as exc:
                return failed_at("then_begin", exc.message)
            steps.append("then_begin")
        return {"changed": True, "result": report}

    def _move_folder(self, source: str, target: str, parameters: dict[str, t.Any], report: Result) -> None:
        """Move-Folder of CUTOVER_SCRIPT: Directory.Move, tried again with a growing pause while a file is in use."""
        delay, waited = float(parameters["FirstPause"]), 0.0
        while True:
            try:
                self._ps_move({"Path": source, "Destination": target})
                return
            except ScriptError as exc:
                report["in_use"] = exc.hresult in (_HR_ACCESS_DENIED, _HR_SHARING, -2147024863)
                if report["in_use"]:
                    report["refusals"] += 1
                if not report["in_use"] or waited + delay > float(parameters["RetrySeconds"]):
                    raise
                time.sleep(delay)
                waited += delay
                report["waited"] += delay
                delay = min(delay * 2, float(parameters["PauseCap"]))

    def _append_journal(self, given: str, tail: str) -> None:
        """File.AppendAllText of one journal line with the host's UTC time, CRLF, after a torn last line a line end first."""
        path = self.fs.local(given)
        if not path.parent.is_dir():
            raise ScriptError("System.IO.DirectoryNotFoundException", f"Could not find a part of the path '{given}'.", _HR_PATH_NOT_FOUND,
                              call="AppendAllText", args=3)
        if path.exists() and self.fs.blocking(path, tree=False):
            raise ScriptError("System.IO.IOException", f"The process cannot access the file '{given}' because it is being used by another "
                              "process.", _HR_SHARING, call="AppendAllText", args=3)
        existing = path.read_bytes() if path.exists() else b""
        lead = b"\r\n" if existing and not existing.endswith(b"\n") else b""
        moment = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        path.write_bytes(existing + lead + ('{"at":"' + moment + '",' + tail + "\r\n").encode("utf-8"))

    def _ps_move(self, parameters: dict[str, t.Any]) -> Result:
        """Directory.Move / File.Move, with their checks in .NET's order: roots, then what MoveFile reports."""
        source, target = self.fs.local(parameters["Path"]), self.fs.local(parameters["Destination"])
        as_folder = source.is_dir()
        denied = next((given for given in (parameters["Path"], parameters["Destination"]) if self.fs.unreachable_share(given)), None)
        if denied:
            raise ScriptError("System.IO.IOException", self.fs.text("denied", denied), _HR_ACCESS_DENIED)
        if not source.exists():
            raise ScriptError("System.IO.FileNotFoundException", f"Could not find file '{parameters['Path']}'.", _HR_FILE_NOT_FOUND)
        if as_folder and PureWin(parameters["Path"]).drive.casefold() != PureWin(parameters["Destination"]).drive.casefold():
            raise ScriptError("System.IO.IOException", "Source and destination path must have identical roots. Move will not work across volumes.",
                              _HR_COR_IO)
        if target.exists():
            raise ScriptError("System.IO.IOException", "Cannot create a file when that file already exists.", _HR_EXISTS)
        if not target.parent.is_dir():
            raise ScriptError("System.IO.DirectoryNotFoundException", f"Could not find a part of the path '{parameters['Destination']}'.",
                              _HR_PATH_NOT_FOUND)
        if self.fs.blocking(source, tree=True):
            if as_folder:  # Directory.Move reports ERROR_ACCESS_DENIED as an IOException
                raise ScriptError("System.IO.IOException", f"Access to the path '{parameters['Path']}' is denied.", _HR_ACCESS_DENIED)
            raise ScriptError("System.IO.IOException", "The process cannot access the file because it is being used by another process.", _HR_SHARING)
        source.rename(target)  # File.Move across volumes copies and deletes: the same outcome
        return {"changed": True}

    def _ps_volume(self, parameters: dict[str, t.Any]) -> Result:
        drive = PureWin(parameters["Path"].replace("%TEMP%", TEMP_FOLDER)).drive
        if drive.startswith("\\\\") or not drive:
            raise ScriptError("System.ArgumentException", 'Object must be a root directory ("C:\\") or a drive letter ("C").', _HR_ARGUMENT,
                              call=".ctor", args=1)
        letter = drive[0].upper()
        if letter not in self.fs.free:
            raise ScriptError("System.IO.DriveNotFoundException",
                              f"Could not find the drive '{letter}:\\'. The drive might not be ready or might not be mapped.", _HR_PATH_NOT_FOUND)
        return {"changed": False, "result": {"free_bytes": self.fs.free[letter], "volume_id": f"{letter}:\\"}}

    def _ps_zip(self, parameters: dict[str, t.Any]) -> Result:
        """ZIP_SCRIPT: ZipFile.Open(Create) (FileMode.CreateNew), every file of each folder (hidden ones too), '/' names, empty
        folders; the archive deleted when a step fails."""
        given = parameters["Destination"]
        target = self.fs.local(given)
        if target.exists():
            raise ScriptError("System.IO.IOException", f"The file '{given}' already exists.", -2147024816, call="Open")
        if not target.parent.is_dir():
            raise ScriptError("System.IO.DirectoryNotFoundException", f"Could not find a part of the path '{given}'.", _HR_PATH_NOT_FOUND, call="Open")
        try:
            with zipfile.ZipFile(target, "x", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
                for source_path in parameters["Path"]:
                    source = self.fs.local(source_path)
                    if source.is_file():
                        raise ScriptError("System.IO.IOException", "The directory name is invalid.", -2147024629, call="GetDirectories", args=3)
                    if not source.is_dir():
                        raise ScriptError("System.IO.DirectoryNotFoundException", f"Could not find a part of the path '{source_path}'.",
                                          _HR_PATH_NOT_FOUND, call="GetDirectories", args=3)
                    for item in sorted(source.rglob("*")):
                        name = "/".join(item.relative_to(source.parent).parts)
                        if item.is_dir() and not any(item.iterdir()):
                            archive.writestr(name + "/", b"")
                        elif item.is_file():
                            if self.fs.being_written(item):  # CreateEntryFromFile opens sharing Read only
                                raise ScriptError("System.IO.IOException", self.fs.text("sharing", self.fs.winpath(item)), _HR_SHARING,
                                                  call="CreateEntryFromFile", args=3)
                            archive.write(item, name)
        except ScriptError:
            target.unlink(missing_ok=True)
            raise
        return {"changed": True}

    def _ps_tail(self, parameters: dict[str, t.Any]) -> Result:
        """TAIL_SCRIPT: opened sharing ReadWrite and Delete, so a writer does not refuse it; the bytes from Offset on."""
        self._tick()
        path = self.fs.local(parameters["Path"])
        if not path.is_file():
            return {"changed": False, "result": {"exists": False}}
        data = path.read_bytes()
        start = int(parameters["Offset"])
        start = max(0 if start > len(data) else start, len(data) - int(parameters["MaxBytes"]))
        return {"changed": False, "result": {"exists": True, "size": len(data), "start": start,
                                             "content": base64.b64encode(data[start:]).decode("ascii")}}

    def _ps_connections(self, parameters: dict[str, t.Any]) -> Result:
        """CONNECTIONS_SCRIPT: GetActiveTcpConnections on the port, Established and SynReceived only, any local address."""
        port = int(parameters["Port"])
        active = [conn for service in self.services for conn in service.tcp_connections()
                  if conn[1] == port and conn[2] in ("Established", "SynReceived")]
        return {"changed": False, "result": {"connections": len(active)}}

    def _ps_readers(self, parameters: dict[str, t.Any]) -> Result:
        """READERS_SCRIPT: the allowed rules for Everyone / Authenticated Users / BUILTIN\\Users that reach files and read. Get-Acl
        of a folder whose security descriptor the account may not read throws UnauthorizedAccessException ("Attempted to perform
        an unauthorized operation."), which the snippet does not catch (error_action stop)."""
        given = parameters["Path"]
        path = self.fs.local(given)
        while not path.is_dir():
            if PureWin(given).parent == PureWin(given):
                return {"changed": False, "result": {"folder": None, "readers": []}}
            given = str(PureWin(given).parent)
            path = self.fs.local(given)
        if path in self.fs.acl_unreadable:
            raise ScriptError("System.UnauthorizedAccessException", "Attempted to perform an unauthorized operation.", _HR_ACCESS_DENIED,
                              call="GetAccessRules", args=3)
        broad = {"S-1-1-0", "S-1-5-11", "S-1-5-32-545"}
        readers = [rule.name for rule in self.fs.access_rules(path) if rule.allow and rule.sid in broad and rule.inheritance & 2
                   and (rule.rights & 1 or rule.rights < 0 or rule.rights & 0x10000000)]
        return {"changed": False, "result": {"folder": given, "readers": list(dict.fromkeys(readers))}}

    def _ps_error_text(self, parameters: dict[str, t.Any]) -> Result:
        code = int(parameters["Code"])
        text = (WIN32_TEXTS.get(code) or {}).get(self.fs.language) or f"Unknown error (0x{code:x})"
        return {"changed": False, "result": {"text": text}}

    def _ps_claim(self, parameters: dict[str, t.Any]) -> Result:
        """File.Open(CreateNew), atomic here too (O_EXCL): of racing calls exactly one creates the file."""
        given = parameters["Path"]
        path = self.fs.local(given)
        if self.claim_barrier is not None:
            self.claim_barrier.wait(timeout=10)
        if path.is_dir():
            # CreateFile(CREATE_NEW) on an existing folder fails with ERROR_ACCESS_DENIED, not ERROR_FILE_EXISTS, which .NET
            # raises as UnauthorizedAccessException (not an IOException: the snippet does not catch it). Source: CPython's
            # tempfile._mkstemp_inner, whose os.open(O_CREAT | O_EXCL) (the same CREATE_NEW call) catches PermissionError for
            # "a directory with the chosen name already exists on windows".
            raise ScriptError("System.UnauthorizedAccessException", f"Access to the path '{given}' is denied.", _HR_ACCESS_DENIED, call="Open")
        if not path.parent.is_dir():
            raise ScriptError("System.IO.DirectoryNotFoundException", f"Could not find a part of the path '{given}'.", _HR_PATH_NOT_FOUND,
                              call="Open")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            # IOException "The file '...' already exists." (0x80070050): the one error the snippet catches.
            return {"changed": False, "result": {"created": False}}
        return {"changed": True, "result": {"created": True}}

    def _win_command(self, params: dict[str, t.Any]) -> Result:
        argv = params.get("argv")
        if not argv:
            raise EmulatorError("win_command: only argv is emulated")
        program = PureWin(argv[0]).name.casefold().removesuffix(".exe")
        if program not in self.programs:
            return failed(f"Unhandled exception while executing module: Could not find file '{argv[0]}'.")
        rc, stdout, stderr = self.programs[program](list(argv))
        result = {"changed": True, "rc": rc, "stdout": stdout, "stderr": stderr, "cmd": " ".join(argv),
                  "stdout_lines": stdout.splitlines(), "stderr_lines": stderr.splitlines()}
        return {**result, "failed": True, "msg": "non-zero return code"} if rc else result

    def _taskkill(self, argv: list[str]) -> tuple[int, str, str]:
        """taskkill /PID <pid> /F (the only form the adapter uses): "SUCCESS: ..." and 0 when the process was ended; a pid no
        process has: "ERROR: The process "<pid>" not found." and 128, as taskkill.exe answers. The service control manager sees
        its service process end and reports the service stopped (win32 exit code 1067, "terminated unexpectedly")."""
        args = [arg.upper() for arg in argv[1:]]
        if len(args) != 3 or args[0] != "/PID" or args[2] != "/F" or not args[1].isdigit():
            return 1, "", 'ERROR: Invalid argument/option - the emulator knows only "taskkill /PID <pid> /F".\r\n'
        pid = int(args[1])
        service = next((service for service in self.services if service.process_alive(pid)), None)
        if service is None:
            return 128, "", f'ERROR: The process "{pid}" not found.\r\n'
        service.kill()
        return 0, f"SUCCESS: The process with PID {pid} has been terminated.\r\n", ""

    def _service(self, name: str) -> FakeService | None:
        return next((service for service in self.services if service.name.casefold() == name.casefold()), None)

    def _sc_exe(self, argv: list[str]) -> tuple[int, str, str]:
        """sc.exe: its text in the display language and the console's OEM code page (850 for German), which win_command decodes
        as UTF-8 (Ansible.Process WaitProcess: UTF-8 unless output_encoding_override)."""
        verb, name = argv[1].lower(), argv[2]
        service = self._service(name)
        if service is None:
            rc, call = 1060, "OpenService"
        else:
            rc = service.start() if verb == "start" else service.stop() if verb == "stop" else 87
            call = "StartService" if verb == "start" else "ControlService"
        if rc:
            text = (WIN32_TEXTS.get(rc) or {}).get(self.fs.language) or f"Unknown error {rc}"
            out = f"[SC] {call} FAILED {rc}:\r\n\r\n{text}\r\n\r\n"
        else:
            code, label = (2, "START_PENDING") if verb == "start" else (3, "STOP_PENDING")
            out = f"\r\nSERVICE_NAME: {service.name}\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n" \
                  f"        STATE              : {code}  {label}\r\n"
        return rc, out.encode("cp850", errors="replace").decode("utf-8", errors="replace"), ""

    def _win_reg_stat(self, params: dict[str, t.Any]) -> Result:
        """win_reg_stat of the time zone key only (the one the adapter reads): without ``name`` every value of the key under
        ``properties`` as {type, value, raw_value} (ansible.windows win_reg_stat.ps1); any other key does not exist here."""
        path = str(params.get("path") or "")
        if not re.match(r"^HK(CC|CR|CU|LM|U):\\", path):
            return failed(f"path: {path} is not a valid registry path, see module documentation for examples.")
        if path.casefold() != winhost.TIME_ZONE_KEY.casefold():
            return {"changed": False, "exists": False}
        values = {"TimeZoneKeyName": ("REG_SZ", self.time_zone_id), "DynamicDaylightTimeDisabled": ("REG_DWORD", int(self.summer_time_disabled)),
                  "StandardName": ("REG_SZ", "@tzres.dll,-322"), "Bias": ("REG_DWORD", 4294967236)}
        properties = {name: {"type": kind, "value": value, "raw_value": value} for name, (kind, value) in values.items()}
        if params.get("name") is not None:
            found = properties.get(params["name"])
            return {"changed": False, "exists": bool(found), **(found or {})}
        return {"changed": False, "exists": True, "properties": properties, "sub_keys": ["Dynamic DST"]}

    def _win_service_info(self, params: dict[str, t.Any]) -> Result:
        name = params.get("name")
        chosen = [service for service in self.services if not name or service.name.casefold() == name.casefold()]
        if not chosen and name:
            # Get-Service -Name: service name or display name, wildcards allowed.
            chosen = [service for service in self.services
                      if fnmatch.fnmatchcase(service.name.casefold(), name.casefold()) or fnmatch.fnmatchcase(service.display_name.casefold(), name.casefold())]
        return {"changed": False, "exists": bool(chosen), "services": [service.info() for service in chosen]}

    def _win_wait_for(self, params: dict[str, t.Any]) -> Result:
        port, path, state = params.get("port"), params.get("path"), params["state"]
        if port is not None and path is not None:
            return failed("port and path parameter can not both be passed to win_wait_for")
        if path is not None and state in ("stopped", "drained"):
            return failed(f"state={state} should only be used for checking a port in the win_wait_for module")
        if path is not None:
            local = self.fs.local(path)
            wanted_gone = state == "absent"
            done = (lambda: not local.exists()) if wanted_gone else local.exists
            what = f"timeout while waiting for file {path} to be {'absent' if wanted_gone else 'present'}"
        elif port is not None:
            listening = list(self.services)
            checks = {"started": lambda: any(s.listening(port) for s in listening), "present": lambda: any(s.listening(port) for s in listening),
                      "stopped": lambda: not any(s.listening(port) for s in listening), "absent": lambda: not any(s.listening(port) for s in listening),
                      "drained": lambda: not self._port_connections(params["host"], port)}
            done = checks[state]
            verbs = {"started": "start listening", "present": "start listening", "stopped": "stop listening", "absent": "stop listening",
                     "drained": "drain"}
            what = f"timeout while waiting for {params['host']}:{port} to {verbs[state]}"
        else:
            time.sleep(min(params.get("delay") or 0, 1))
            return {"changed": False, "elapsed": 0, "wait_attempts": 0}
        return self._wait(done, params["timeout"], what)

    def _port_connections(self, host: str, port: int) -> list[tuple[str, int, str]]:
        """win_wait_for.ps1 Get-PortConnection: every state (TIME_WAIT too); only local address == host, unless host is 0.0.0.0."""
        return [conn for service in self.services for conn in service.tcp_connections() if conn[1] == port and host in ("0.0.0.0", conn[0])]

    @staticmethod
    def _wait(done: t.Callable[[], bool], timeout: float, message: str) -> Result:
        started, attempts = time.monotonic(), 0
        while True:
            attempts += 1
            if done():
                return {"changed": False, "elapsed": round(time.monotonic() - started, 2), "wait_attempts": attempts}
            if time.monotonic() - started > timeout:
                return failed(message, elapsed=round(time.monotonic() - started, 2), wait_attempts=attempts)
            time.sleep(_POLL)

    def _win_uri(self, params: dict[str, t.Any]) -> Result:
        method = params["url_method"].upper()
        if not re.fullmatch(r"[A-Z]+", params["url_method"]):
            return failed("Parameter 'method' needs to be a single word in uppercase, like GET or POST.")
        parts = urllib.parse.urlsplit(params["url"])
        service = next((s for s in self.services if s.state == "started" and parts.port == s.control_port
                        and parts.hostname in ("127.0.0.1", "localhost")), None)
        base = {"changed": False, "url": params["url"], "elapsed": 0.01}
        if service is None:
            return failed("Unhandled exception occurred when sending web request. Exception: Unable to connect to the remote server", **base)
        body = params.get("body")
        if isinstance(body, str):
            body = json.loads(body) if body else None
        status, payload = service.control(method, parts.path, dict(params.get("headers") or {}), body)
        content = json.dumps(payload)
        result = {**base, "status_code": status, "msg": "OK" if status == 200 else "Error", "status_description": "OK" if status == 200 else "Error",
                  "content_length": len(content)}
        result["content_type"] = service.content_type
        if params["return_content"]:
            result["content"] = content
            # win_uri.ps1: json only when the Content-Type matches text|json|javascript and the parsed value is truthy to PowerShell
            # (`if ($json)`: null, "", 0, false and an empty array are not; a dictionary always is).
            if re.search("text|json|javascript", service.content_type) and (isinstance(payload, dict) or payload not in ([], "", 0, None)):
                result["json"] = payload
        if status not in params["status_code"]:
            return {**result, "failed": True, "msg": f"Status code of request '{status}' is not in list of valid status codes {params['status_code']}"}
        return result

    # -- community.windows ---------------------------------------------------------------------------------
    def _win_lineinfile(self, params: dict[str, t.Any]) -> Result:
        """state=present, inserting at EOF, with or without regex: the module's Present function, step by step."""
        if params.get("insertbefore") or params.get("state") != "present" or params.get("insertafter") not in (None, "EOF") or params["backrefs"] \
                or params["backup"] or params.get("validate") or params["encoding"] != "auto":
            raise EmulatorError("win_lineinfile: only state=present at EOF (with or without regex) in the detected encoding is emulated")
        given, line, regex = params["path"], params.get("line"), params.get("regex")
        path = self.fs.local(given)
        if path.is_dir():
            return failed(f"Path {given} is a directory")
        if not line:
            return failed("line= is required with state=present")
        newline = "\n" if params["newline"] == "unix" else "\r\n"
        ends_with_newline = None
        if not path.exists():
            if not params["create"]:
                return failed(f"Path {given} does not exist !")
            if not path.parent.is_dir():
                return failed(f"Unhandled exception while executing module: Could not find a part of the path '{given}'.")
            # [System.IO.File]::WriteAllLines($path, "", $encoding): one empty line, ended by Environment.NewLine.
            path.write_bytes(b"\r\n")
            ends_with_newline = False
        raw = path.read_bytes()
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise EmulatorError("win_lineinfile: only UTF-8 files are emulated")
        # encoding=auto finds UTF-8 by its byte order mark and writes it back; without one it is UTF-8 without.
        bom = codecs.BOM_UTF8 if raw.startswith(codecs.BOM_UTF8) else b""
        text = raw[len(bom):].decode("utf-8", errors="replace")
        lines = _read_all_lines(text)
        if ends_with_newline is None:
            ends_with_newline = text.endswith(("\n", "\r"))
        # The regex is compiled after the file was created: a bad one leaves the new file behind.
        try:
            matcher = re.compile(_python_regex(regex)) if regex else None
        except ValueError as exc:
            return failed(f'Unhandled exception while executing module: Exception calling ".ctor" with "2" argument(s): "{exc}"')
        # The last matching line counts; without regex only an identical line (-ceq) matches.
        found = max((number for number, current in enumerate(lines) if (matcher.search(current) if matcher else current == line)), default=-1)
        result: Result = {"changed": False, "msg": "", "backup": "", "encoding": "utf-8"}
        if found >= 0 and lines[found] == line:
            return result
        if found >= 0:
            lines[found], result["msg"] = line, "line replaced"
        else:
            lines.append(line)
            result["msg"] = "line added"
        clean = given.replace("/", "\\")
        if self.fs.blocking(path, tree=False):
            return failed(f"Cannot write to: {clean} (The process cannot access the file because it is being used by another process.)")
        if ends_with_newline:
            lines.append("")
        path.write_bytes(bom + newline.join(lines).encode("utf-8"))
        return {**result, "changed": True}

    def _win_unzip(self, params: dict[str, t.Any]) -> Result:
        src, dest = params["src"], params["dest"]
        result: Result = {"changed": False, "dest": dest, "src": src, "removed": False}
        source, target = self.fs.local(src), self.fs.local(dest)
        if params.get("creates") and self.fs.local(params["creates"]).exists():
            return {**result, "skipped": True, "msg": f"The file or directory '{params['creates']}' already exists."}
        if not source.exists():
            return failed(f"File '{src}' does not exist.", **result)
        target.mkdir(parents=True, exist_ok=True)
        name = source.name.lower()
        if name.endswith(".zip") and not params.get("recurse") and not params.get("password"):
            return self._unzip(source, target, result)
        if re.search(r"\.(tar|tar\.gz|tgz)$", name) and self.tar_exe:
            with tarfile.open(source) as archive:
                archive.extractall(target, filter="data")
            return {**result, "changed": True}
        return failed("PowerShellCommunityExtensions PowerShell Module (PSCX) is required for this archive type, recursive extraction, "
                      "or password-protected archives.", **result)

    def _unzip(self, source: pathlib.Path, target: pathlib.Path, result: Result) -> Result:
        with zipfile.ZipFile(source) as archive:
            for entry in archive.infolist():
                # .NET Framework's ZipArchiveEntry decodes a name without the UTF-8 flag with Encoding.GetEncoding(0), the ANSI code
                # page (1252 on German Windows), not the OEM one the zip tools wrote (reference source, ZipArchiveEntry.cs).
                name = entry.filename if entry.flag_bits & 0x800 else entry.orig_filename.encode("cp437").decode("cp1252", errors="replace")
                destination = target.joinpath(*PureWin(name).parts)
                if target not in destination.parents and destination != target:
                    return failed(f"Error unzipping '{result['src']}' to '{result['dest']}'! Filename contains relative paths which would extract "
                                  f"outside the destination: {entry.filename}", **result)
                # Windows PowerShell 5.1 (.NET Framework, legacy path handling): a full path of 260 characters or more fails.
                if len(self.fs.winpath(destination)) >= 260:
                    return failed(f"Error unzipping '{result['src']}' to '{result['dest']}'!. Method: System.IO.Compression.ZipFile, Exception: "
                                  f"{self.fs.text('too_long')}", **result)
                if entry.filename.endswith(("/", "\\")):
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                if self.fs.blocking(destination, tree=False):
                    return failed(f"Error unzipping '{result['src']}' to '{result['dest']}'!. Method: System.IO.Compression.ZipFile, Exception: "
                                  "The process cannot access the file because it is being used by another process.", **result)
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(archive.read(entry))
        return {**result, "changed": True}

    def _win_zip(self, params: dict[str, t.Any]) -> Result:
        src, dest = params["src"], params["dest"]
        contents_only = src.endswith("\\*")
        source = self.fs.local(src[:-2] if contents_only else src)
        target = self.fs.local(dest)
        if not source.exists():
            return failed(f"The source file or directory '{src[:-2] if contents_only else src}' does not exist.")
        if not dest.lower().endswith(".zip"):
            return failed(f"The destination zip file path '{dest}' need to be zip file path.")
        if target.exists():
            return {"changed": False, "msg": f"The destination zip file '{dest}' already exists."}
        if not target.parent.is_dir():
            return failed(f"Unhandled exception while executing module: Could not find a part of the path '{dest}'.")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            if source.is_file():
                archive.write(source, source.name)
            else:
                base = source if contents_only else source.parent
                for item in sorted(source.rglob("*")):
                    name = "/".join(item.relative_to(base).parts)
                    if item.is_dir() and not any(item.iterdir()):
                        archive.writestr(name + "/", b"")
                    elif item.is_file():
                        archive.write(item, name)
        return {"changed": True}

    def _win_wait_for_process(self, params: dict[str, t.Any]) -> Result:
        if params["state"] != "absent" or not params.get("pid"):
            raise EmulatorError("win_wait_for_process: only waiting for one pid to be gone is emulated (pid 0 means every process!)")
        pid = params["pid"]
        outcome = self._wait(lambda: not any(service.process_alive(pid) for service in self.services), params["timeout"],
                             "Timeout while waiting for process(es) to stop")
        outcome["matched_processes"] = [] if not outcome.get("failed") else [{"name": "server", "pid": pid}]
        return outcome

    def _win_msg(self, params: dict[str, t.Any]) -> Result:
        result = {"changed": False, "display_seconds": params["display_seconds"], "wait": params["wait"]}
        if len(params["msg"]) > 255:
            return failed(f"msg length must be less than 256 characters, current length: {len(params['msg'])}", **result)
        if not self.msg_exe:
            return failed("The term 'msg.exe' is not recognized as the name of a cmdlet, function, script file, or operable program.", rc=1, **result)
        self.console_messages.append(params["msg"])
        return {**result, "changed": True, "msg": params["msg"], "rc": 0, "runtime_seconds": 0.01, "sent_localtime": time.strftime("%A, %d %B %Y %H:%M:%S")}


def _read_only(call: Call) -> bool:
    """Calls that can only read: the volume snippet and GET requests."""
    if call.module == "ansible.windows.win_powershell":
        return call.args.get("script") == winhost.VOLUME_SCRIPT
    if call.module == "ansible.windows.win_uri":
        return str(call.args.get("url_method", "GET")).upper() == "GET"
    return False


def _read_all_lines(text: str) -> list[str]:
    """File.ReadAllLines: a line ends at CR LF, LF or CR; a final line end adds no empty line."""
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines[-1] == "" else lines


def _python_regex(pattern: str) -> str:
    """A .NET regex in Python syntax (the constructs dotnet_regex writes); ValueError with .NET's message for what it rejects.

    Named groups and backreferences, ``\\z`` / ``\\Z`` and ``\\e`` are rewritten; a ``{`` that starts no .NET quantifier
    (``{,n}`` does not) and a ``[`` inside a class are literals. Not emulated: ``\\G``, ``\\p``, ``\\c``, class subtraction, (?n).
    """
    out: list[str] = []
    index, class_open = 0, -1
    while index < len(pattern):
        char, rest = pattern[index], pattern[index + 1:]
        piece, step = char, 1
        if char == "\\":
            escaped, step = rest[:1], 2
            if not escaped:
                raise ValueError(f'parsing "{pattern}" - Illegal \\ at end of pattern.')
            if escaped in "GpPc":
                raise EmulatorError(f"the .NET escape \\{escaped} is not emulated")
            if escaped == "k" and class_open < 0:
                name = rest[2:rest.index(">")]
                piece, step = f"(?P={name})", len(name) + 4
            elif escaped in "zZe" and class_open < 0:
                piece = {"z": "\\Z", "Z": "(?=\\n?\\Z)", "e": "\\x1b"}[escaped]
            elif escaped not in _DOTNET_ESCAPES and winhost._dotnet_word_char(escaped):  # pylint: disable=protected-access
                raise ValueError(f'parsing "{pattern}" - Unrecognized escape sequence \\{escaped}.')
            else:
                piece = char + escaped
        elif class_open >= 0:
            first = index == class_open + 1 or (index == class_open + 2 and pattern[class_open + 1] == "^")
            if char == "]" and not first:
                class_open = -1
            elif char == "[" and pattern[index - 1] == "-":
                raise EmulatorError(".NET character class subtraction is not emulated")
            elif char == "[":
                piece = "\\["
        elif char == "[":
            class_open = index
        elif char == "{" and not _DOTNET_QUANTIFIER.match(pattern, index):
            piece = "\\{"
        elif char == "(" and rest.startswith("?<") and rest[2:3] not in ("=", "!"):
            piece, step = "(?P<", 3
        elif char == "(" and (flags := re.match(r"\?([a-zA-Z]+)", rest)) and "n" in flags[1]:
            raise EmulatorError("the .NET inline option n (explicit capture) is not emulated")
        out.append(piece)
        index += step
    return "".join(out)


def _declared_parameters(script: str) -> dict[str, str]:
    """Name -> type of the param() block of a snippet."""
    match = re.match(r"\s*param\((?P<block>[^)]*)\)", script)
    if not match:
        raise ContractViolation("win_powershell: every snippet starts with a param() block")
    return {name: kind.lower() for kind, name in re.findall(r"\[(string\[\]|string|int|switch)\]\$(\w+)", match["block"], re.IGNORECASE)}


def _error_record(error: ScriptError) -> Result:
    """An error record the way win_powershell returns it for an exception in a .NET method call."""
    inner = {"message": error.message, "type": error.kind, "hresult": error.hresult, "help_link": None, "source": "mscorlib",
             "inner_exception": None}
    outer = {"message": f'Exception calling "{error.call}" with "{error.arg_count}" argument(s): "{error.message}"',
             "type": "System.Management.Automation.MethodInvocationException", "hresult": -2146233087, "help_link": None,
             "source": "System.Management.Automation", "inner_exception": inner}
    return {"output": outer["message"], "error_details": None, "exception": outer, "target_object": None,
            "category_info": {"category": "NotSpecified", "category_id": 0, "activity": "", "reason": error.kind.rsplit(".", 1)[-1],
                              "target_name": "", "target_type": ""},
            "fully_qualified_error_id": error.kind.rsplit(".", 1)[-1], "script_stack_trace": "at <ScriptBlock>, <No file>: line 2",
            "pipeline_iteration_info": [0, 0]}


def zip_names(data: bytes) -> list[str]:
    """The entry names of a zip held in memory."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.namelist()
