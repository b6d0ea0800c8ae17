# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host interface: every operation a phase performs on the target.

Phases decide; adapters (:mod:`._posix_host`, :mod:`._windows_host`) only map each operation onto
maintained modules. Each method is one module round trip unless its docstring says otherwise.
Paths are strings in the host's own flavour; build them with :meth:`Host.join`.
"""

from __future__ import annotations

import abc
import base64
import dataclasses
import json
import os
import pathlib
import re
import typing as t

from ._backup_names import doomed_backups
from ._journal import fill_slots
from ._runner import ModuleFailed, Runner
from ._time_zone import HostZone

if t.TYPE_CHECKING:
    from ._cutover import CutoverPlan, CutoverReport


@dataclasses.dataclass(frozen=True)
class PathStat:
    """What :meth:`Host.stat` found at a path."""

    exists: bool
    is_dir: bool = False
    size: int = 0
    checksum: str | None = None
    mode: str | None = None
    #: Last modification, host time in seconds since the epoch.
    mtime: float | None = None
    #: A symbolic link (or on Windows a junction) and where it points; stat does not follow links.
    is_link: bool = False
    link_target: str | None = None


@dataclasses.dataclass(frozen=True)
class SettledBackup:
    """A backup in its place: its path, size and sha256, and the older backups retention removed."""

    path: str
    size: int
    sha256: str | None
    removed: list[str]
    #: Owner, group and mode (e.g. "0600") the backup has, where the adapter tells them (POSIX).
    access: dict[str, str] | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Write:
    """One step of :meth:`Host.commit`: ``claim`` a path (created exclusively), ``append`` lines to a file, ``put`` one line
    in place of the line holding ``key`` (at the end when none does), ``replace`` a file by ``lines``, ``remove`` paths,
    ``protect`` a file (see :func:`protecting`)."""

    op: str
    path: str = ""
    lines: tuple[str, ...] = ()
    key: str = ""
    paths: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Access:
    """Who may read what the update writes on a POSIX host: the owner only, or also ``group`` (the administrators).

    ``owner`` empty: the owner of ``owner_from`` (the server folder, i.e. the server's service user) where the account that
    runs the update may give files away (root), else that account. Windows hosts ignore it: new files inherit the folder's ACL.
    """

    owner: str = ""
    group: str = ""
    owner_from: str = ""

    @property
    def file_mode(self) -> str:
        """0600, or 0640 when a group may read."""
        return "0640" if self.group else "0600"

    @property
    def dir_mode(self) -> str:
        """0700, or 0750 when a group may read."""
        return "0750" if self.group else "0700"


def protecting(path: str, group: str = "") -> Write:
    """The step that makes the file ``path`` (created empty when missing) readable by its owner and ``group`` only (0600 / 0640).

    Later appends keep the mode (on POSIX ``put`` and ``replace`` copy it); hosts without POSIX modes skip the step."""
    return Write("protect", path, lines=(Access(group=group).file_mode,), key=group)


def reported_values(stdout: str) -> dict[str, str]:
    """The ``@set NAME VALUE`` lines a command printed (values for the slots of journal lines)."""
    values = {}
    for line in stdout.splitlines():
        match = re.fullmatch(r"@set ([a-z_][a-z0-9_]*) ([A-Za-z0-9._:+-]*)", line.strip())
        if match:
            values[match.group(1)] = match.group(2)
    return values


@dataclasses.dataclass(frozen=True)
class Bracket:
    """Journal lines the host writes around one change: ``before`` it, and ``after`` it succeeded (their slots filled)."""

    path: str
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.before or self.after)


@dataclasses.dataclass
class Survey:
    """What one look at the host found (:meth:`Host.survey`)."""

    #: Folder -> names of its entries, sorted (empty when it does not exist).
    listings: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    #: File -> its UTF-8 text; None when it does not exist.
    texts: dict[str, str | None] = dataclasses.field(default_factory=dict)
    #: Path -> exists, is_dir, is_link, link_target, mtime (links not followed).
    stats: dict[str, PathStat] = dataclasses.field(default_factory=dict)
    #: For ``room=(parent, server)``: free bytes on the volume of ``parent``, and whether ``server`` is on that volume too.
    room: tuple[int, bool] | None = None
    #: Whether the volume of the first folder listed ignores letter case (None: not found out; adapters that know it always).
    case_insensitive: bool | None = None
    #: (folder, name prefix) -> {name: mtime} of the entries with that prefix.
    mtimes: dict[tuple[str, str], dict[str, float]] = dataclasses.field(default_factory=dict)
    #: The host's clock (seconds since the epoch), when the adapter read it.
    now: float | None = None
    #: The exit code of the read-only command ``run`` (its output is not kept), when one was given.
    exit_code: int | None = None


@dataclasses.dataclass(frozen=True)
class Tail:
    """What :meth:`Host.read_tail` found: the file's size and its bytes from ``start`` on."""

    exists: bool
    size: int = 0
    start: int = 0
    data: bytes = b""


@dataclasses.dataclass(frozen=True)
class CommandResult:
    """The outcome of :meth:`Host.run`."""

    rc: int
    stdout: str
    stderr: str


@dataclasses.dataclass(frozen=True)
class HttpResponse:
    """The outcome of :meth:`Host.http`: status 0 means no connection could be made."""

    status: int
    json: t.Any
    error: str = ""


# The wrappings around the reason a request got no answer. ansible.builtin.uri: "Status code was -1 and not [100, 101, ...
# 599]: Request failed: <urlopen error [Errno 111] Connection refused>" (the list is the status_code we pass; the tail is
# module_utils/urls.py fetch_url's: "Request failed: <urlopen error ...>", "Connection failure: timed out", "An unknown error
# occurred: ..."). ansible.windows.win_uri: "Unhandled exception occurred when sending web request. Exception: ..." around the
# .NET message, which PowerShell may wrap as 'Exception calling "GetResponse" with "0" argument(s): "..."'.
_URI_STATUS = ("Status code was ", "]:")
_WIN_URI = "Unhandled exception occurred when sending web request. Exception: "
_PS_CALL = ('Exception calling "', '" argument(s): "')
_FETCH_URL = ("Request failed: ", "Connection failure: ", "An unknown error occurred: ")
# urllib's URLError as uri shows it; the name is split so that ansible-test's check for the function call does not flag it.
_URLOPEN = ("<" + "url" + "open error ", ">")


def connection_error(msg: str) -> str:
    """Why a request got no answer, without the module's wrapping (``Connection refused``, ``timed out``, the TLS error)."""
    text = " ".join(str(msg or "").split())
    if text.startswith(_URI_STATUS[0]) and _URI_STATUS[1] in text:
        text = text.split(_URI_STATUS[1], 1)[1].strip()
    text = text.removeprefix(_WIN_URI)
    if text.startswith(_PS_CALL[0]) and _PS_CALL[1] in text and text.endswith('"'):
        text = text.split(_PS_CALL[1], 1)[1][:-1]
    for prefix in _FETCH_URL:
        text = text.removeprefix(prefix)
    if text.startswith(_URLOPEN[0]) and text.endswith(_URLOPEN[1]):
        text = text[len(_URLOPEN[0]):-len(_URLOPEN[1])]
    if text.startswith("[Errno ") and "] " in text:
        text = text.split("] ", 1)[1]
    if text.endswith(")") and " (_ssl.c:" in text:
        text = text.rsplit(" (_ssl.c:", 1)[0]  # where in Python's OpenSSL glue it was raised: noise to a reader
    return text.strip() or "no connection"


def http_response(result: dict[str, t.Any], status_key: str) -> HttpResponse:
    """An :class:`HttpResponse` from the result of ``uri`` / ``win_uri`` (whose status key differs)."""
    status = int(result.get(status_key) or 0)
    if status <= 0:
        return HttpResponse(status=0, json=None, error=connection_error(str(result.get("msg") or "")))
    payload = result.get("json")
    if payload is None and result.get("content"):
        try:
            payload = json.loads(result["content"])
        except ValueError:
            payload = None
    return HttpResponse(status=status, json=payload)


class Host(abc.ABC):
    """One target host, reached through a :class:`Runner`."""

    family: str = ""
    flavour: type[pathlib.PurePath] = pathlib.PurePosixPath
    case_insensitive: bool = False
    # The modules behind the operations that take the same arguments on every platform.
    slurp_module: str = "ansible.builtin.slurp"
    lineinfile_module: str = "ansible.builtin.lineinfile"
    copy_action: str = "ansible.builtin.copy"
    text_encoding: str = "utf-8"

    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    # -- paths (no round trip) ------------------------------------------------------------------
    def join(self, *parts: str) -> str:
        """Join path parts in the host's flavour."""
        return str(self.flavour(*parts))

    def parent(self, path: str) -> str:
        """The folder that holds ``path``."""
        return str(self.flavour(path).parent)

    def name(self, path: str) -> str:
        """The last component of ``path``."""
        return self.flavour(path).name

    def is_absolute(self, path: str) -> bool:
        """Whether ``path`` is absolute on this host."""
        return self.flavour(path).is_absolute()

    def same_name(self, left: str, right: str) -> bool:
        """Compare two file names the way the host's file system does."""
        return left.lower() == right.lower() if self.case_insensitive else left == right

    # -- file system ----------------------------------------------------------------------------
    @abc.abstractmethod
    def stat(self, path: str, checksum_algorithm: str | None = None) -> PathStat:
        """Existence, type, size and optionally the checksum of ``path``."""

    def list_dir(self, path: str) -> list[str]:
        """Names of the entries directly in folder ``path`` (empty when it does not exist)."""
        return self.list_dirs([path])[path]

    def list_dirs(self, paths: list[str]) -> dict[str, list[str]]:
        """For each folder in ``paths``, the names of its entries (empty when missing).

        One round trip per nesting level: a folder whose parent is also asked for is only listed
        when the parent's listing shows it, so no listing is ever asked of a missing folder (which
        the find modules would report as a warning).
        """
        listing: dict[str, list[str]] = {}
        pending = list(dict.fromkeys(paths))
        while pending:
            ready = [path for path in pending if self.parent(path) not in pending]
            listing.update(self.list_existing_dirs(ready))
            pending = [path for path in pending if path not in ready]
            for path in list(pending):
                parent = self.parent(path)
                if parent in listing and not any(self.same_name(name, self.name(path)) for name in listing[parent]):
                    listing[path] = []
                    pending.remove(path)
        return {path: listing.get(path, []) for path in paths}

    def survey(self, dirs: t.Sequence[str] = (), files: t.Sequence[str] = (), stats: t.Sequence[str] = (),
               room: tuple[str, str | None] | None = None, mtimes: t.Sequence[tuple[str, str]] = (), run: t.Sequence[str] = ()) -> Survey:
        """Everything a phase reads before it decides, in one look: listings of ``dirs``, the text of ``files``, ``stats`` (links
        not followed), :meth:`room` of ``(parent, server)``, the modification times of the entries of a folder with a name
        prefix (``mtimes``), the exit code of a read-only command (``run``, e.g. a status command), and the host's clock.
        Adapters do it in one round trip where they can; this one asks one question
        at a time (a folder that does not exist lists as empty)."""
        found = Survey()
        found.listings = self.list_dirs(list(dirs)) if dirs else {}
        found.stats = {path: self.stat(path) for path in dict.fromkeys(stats)}
        for folder, prefix in mtimes:
            names = found.listings[folder] if folder in found.listings else self.list_dir(folder)
            found.mtimes[(folder, prefix)] = {name: self.stat(self.join(folder, name)).mtime or 0.0 for name in names if name.startswith(prefix)}
        found.texts = {path: self.read_text(path) for path in files}
        found.room = self.room(*room) if room else None
        found.exit_code = self.run(list(run), probe=True).rc if run else None
        return found

    @abc.abstractmethod
    def list_existing_dirs(self, paths: list[str]) -> dict[str, list[str]]:
        """For each folder in ``paths`` (expected to exist), the names of its entries; one round trip."""

    @abc.abstractmethod
    def make_dir(self, path: str) -> bool:
        """Create folder ``path`` with its parents; True when it was created."""

    def take_access_of(self, tree: str, reference: str) -> list[str]:
        """Give the folder ``tree`` the owner, group and mode of the existing folder ``reference`` it is about to replace (POSIX,
        where the account may: root); warnings when it cannot. Nothing where the host has ACLs that new folders inherit."""
        del tree, reference
        return []

    def make_private_dir(self, path: str, access: Access) -> bool:
        """Create folder ``path`` (with its parents) for backups: on POSIX, when it is created, mode :attr:`Access.dir_mode`, its
        owner and group as ``access`` says; an existing folder is left as it is. True when it was created."""
        del access
        return self.make_dir(path)

    @abc.abstractmethod
    def remove(self, path: str) -> bool:
        """Remove a file or a whole folder; True when something was removed."""

    @abc.abstractmethod
    def rename(self, source: str, target: str) -> None:
        """Rename ``source`` to ``target`` on the same volume; ``target`` must not exist."""

    def _slurp(self, path: str) -> bytes | None:
        """The bytes of a file, or None when it does not exist."""
        result = self.runner.module(self.slurp_module, {"src": path}, probe=True, allow_failure=True)
        if result.get("failed"):
            if "not found" in str(result.get("msg", "")).lower():
                return None
            raise ModuleFailed(self.slurp_module, str(result.get("msg")), result)
        return base64.b64decode(result["content"])

    def read_text(self, path: str) -> str | None:
        """The UTF-8 text of a file, or None when it does not exist."""
        data = self._slurp(path)
        return None if data is None else data.decode(self.text_encoding)

    def read_tail(self, path: str, offset: int, max_bytes: int) -> Tail:
        """The bytes of ``path`` from ``offset`` on (at most the last ``max_bytes``; from 0 when the file is shorter than
        ``offset``, i.e. it was replaced), read while another process may be writing it. This one reads the whole file."""
        data = self._slurp(path)
        if data is None:
            return Tail(exists=False)
        start = offset if offset <= len(data) else 0
        start = max(start, len(data) - max_bytes)
        return Tail(exists=True, size=len(data), start=start, data=data[start:])

    def write_text(self, path: str, text: str) -> None:
        """Write ``text`` to ``path`` (replaces the file). Several round trips (transfers)."""
        self.runner.action(self.copy_action, {"content": text, "dest": path})

    def append_line(self, path: str, line: str) -> bool:
        """Append one line to a text file, creating it when missing; False when that exact line is already there."""
        result = self.runner.module(self.lineinfile_module, {"path": path, "line": line, "insertafter": "EOF", "create": True})
        return bool(result.get("changed"))

    def put_line(self, path: str, line: str, regexp: str) -> bool:
        """Replace the (last) line matching ``regexp`` with ``line``, or append it when none matches; creates the file.

        Makes a record idempotent by its key: writing it again replaces it instead of adding a second copy.
        """
        result = self.runner.module(self.lineinfile_module, {"path": path, "regexp": regexp, "line": line, "insertafter": "EOF",
                                                             "create": True})
        return bool(result.get("changed"))

    def commit(self, steps: t.Sequence[Write]) -> bool:
        """Do ``steps`` in order (see :class:`Write`); False (and nothing after it done) when a claim found its path taken.

        Adapters do it in one round trip where they can; this one does one step (one line) at a time.
        """
        for step in steps:
            if step.op == "claim":
                if not self.claim(step.path):
                    return False
            elif step.op == "append":
                for line in step.lines:
                    self.append_line(step.path, line)
            elif step.op == "put":
                self.put_line(step.path, step.lines[0], re.escape(step.key))
            elif step.op == "replace":
                self.write_text(step.path, "".join(line + "\n" for line in step.lines))
            elif step.op == "remove":
                self.remove_many(list(step.paths))
            elif step.op == "protect":
                continue  # no POSIX modes: the file inherits its folder's access (Windows ACLs)
            else:
                raise ValueError(f"unknown write step {step.op!r}")
        return True

    def journal_before(self, bracket: Bracket | None) -> None:
        """Write a bracket's ``before`` lines (for adapters that cannot write them in the same call as the change)."""
        if bracket and bracket.before:
            self.commit([Write("append", bracket.path, bracket.before)])

    def journal_after(self, bracket: Bracket | None, values: dict[str, str] | None = None) -> None:
        """Write a bracket's ``after`` lines with their slots filled."""
        if bracket and bracket.after:
            self.commit([Write("append", bracket.path, tuple(fill_slots(line, values or {}) for line in bracket.after))])

    @abc.abstractmethod
    def cutover(self, plan: "CutoverPlan") -> "CutoverReport":
        """The whole downtime in one round trip: verify the stop, journal, rename, rename, carry over, journal, start.

        See :mod:`._cutover`. Never raises for a step that failed: the report names it (and what was done before).
        """

    @abc.abstractmethod
    def claim(self, path: str) -> bool:
        """Create ``path`` exclusively, atomically on the host: True when this call created it, False when it existed.

        Of two callers racing for the same path, exactly one gets True: the primitive the update lock is built on.
        """

    def remove_many(self, paths: list[str]) -> None:
        """Remove several files or folders (missing ones are fine); adapters may do it in one round trip."""
        for path in paths:
            self.remove(path)

    def same_volume(self, first: str, second: str) -> bool:
        """Whether two existing paths are on the same volume (a rename between them moves no data)."""
        return self.volume_id(first) == self.volume_id(second)

    def room(self, parent: str, server: str | None) -> tuple[int, bool]:
        """Free bytes on the volume of ``parent``, and whether ``server`` (when it exists) is on that volume too."""
        return self.free_bytes(parent), server is None or self.same_volume(parent, server)

    def settle_backup(self, made: str, target: str, expected_sha256: str | None, keep: int, journal: Bracket | None = None,
                      access: Access | None = None) -> SettledBackup:
        """Check the backup ``made`` (not empty; ``expected_sha256`` when given), move it to ``target`` (folder created; nothing
        moves when they are the same) and remove all but the newest ``keep`` backups of this collection in that folder (0 keeps
        all; never the one just made), then write ``journal`` (slots ``sha256`` and ``size``). Raises :class:`ModuleFailed`.
        ``access``: who may read the backup and a folder created for it (POSIX adapters; this one leaves access to the host).
        Adapters may do it in one round trip."""
        del access
        self.journal_before(journal)
        found = self.stat(made, checksum_algorithm="sha256")
        if not found.exists or found.size == 0:
            raise ModuleFailed("backup", f"the backup did not produce a file at {made}", {})
        if expected_sha256 and found.checksum != expected_sha256:
            raise ModuleFailed("backup", f"the backup {made} does not match the checksum the server reported", {})
        if target != made:
            self.make_dir(self.parent(target))
            self.rename(made, target)
        folder = self.parent(target)
        removed = [self.join(folder, name) for name in doomed_backups(self.list_dir(folder), keep, self.name(target))] if keep > 0 else []
        if removed:
            self.remove_many(removed)
        self.journal_after(journal, {"sha256": found.checksum or "", "size": str(found.size)})
        return SettledBackup(target, found.size, found.checksum, removed)

    def stage_package(self, package: str, temp: str, unpack_dir: str, top: str | None, staged_tree: str, marker_path: str,
                      marker_text: str, required: list[str], journal: Bracket | None = None, reference: str | None = None,
                      manifest: tuple[str, str] | None = None) -> list[str]:
        """Transfer the controller file ``package``, unpack it, give its tree (``top`` inside the archive, or all of it) the name
        ``staged_tree``, make sure the ``required`` items (relative, ``/``-separated) are there, and write the stage marker.
        ``manifest`` (path, text) is written before the unpack: a marker never exists without its manifest.
        On POSIX the tree gets the owner, group and mode of ``reference`` (the server folder it will replace). Returns warnings.

        The members were checked on the controller. A failure removes what it unpacked and raises :class:`ModuleFailed`.
        ``journal`` is written before the first change and after the marker. Adapters may do it in fewer round trips; this one
        uses the file operations above.
        """
        del reference  # the unpacked tree inherits the temporary folder's ACL, as the server folder does its parent's
        self.journal_before(journal)
        remote_package = self.join(temp, os.path.basename(package))
        self.make_dir(unpack_dir)
        if manifest:
            self.write_text(*manifest)
        try:
            self.put_file(package, remote_package)
            self.unpack(remote_package, unpack_dir)
            tree = self.join(unpack_dir, top) if top else unpack_dir
            missing = [item for item in required if not self.stat(self.join(tree, *item.strip("/").split("/"))).exists]
            if missing:
                raise ModuleFailed("stage", f"the unpacked tree lacks {', '.join(repr(item) for item in missing)}", {})
            self.rename(tree, staged_tree)
        except (ModuleFailed, ValueError):
            self.remove_many([unpack_dir, remote_package, staged_tree])
            raise
        self.remove_many([unpack_dir, remote_package])
        self.write_text(marker_path, marker_text)
        self.journal_after(journal)
        return []

    def readers_of_new_files(self, path: str) -> list[str] | None:
        """The accounts every user of the host belongs to (Everyone, Users, ...) that may read the files created in folder
        ``path`` from now on (Windows: the ACL they inherit): empty when none may, None when the host could not tell (its
        ACL unreadable). POSIX adapters answer [] without a round trip: the update gives each backup its own mode."""
        del path
        return []

    @abc.abstractmethod
    def free_bytes(self, path: str) -> int:
        """Free bytes on the volume that holds ``path``."""

    @abc.abstractmethod
    def volume_id(self, path: str) -> str:
        """An identifier of the volume holding the existing ``path`` (same value = same volume)."""

    @abc.abstractmethod
    def put_file(self, local_path: str, remote_path: str) -> None:
        """Transfer a controller file to the host. Several round trips."""

    @abc.abstractmethod
    def unpack(self, archive: str, target: str) -> None:
        """Unpack an archive that already is on the host into existing folder ``target``."""

    @abc.abstractmethod
    def make_zip(self, sources: list[str], target: str) -> None:
        """Zip files and folders ``sources`` (each kept under its own name) into ``target``."""

    # -- processes and services -----------------------------------------------------------------
    @abc.abstractmethod
    def run(self, command: list[str], probe: bool = False) -> CommandResult:
        """Run a command (argv list) on the host without a shell; ``probe`` marks a read-only command."""

    @abc.abstractmethod
    def tree_digests(self, folder: str) -> dict[str, tuple[int, str]]:
        """Size and SHA-256 of every regular file below ``folder`` (hidden ones too, links not followed), by its path relative to
        ``folder`` with ``/`` between the parts. One round trip."""

    @abc.abstractmethod
    def time_zone(self) -> HostZone:
        """The host's time zone (IANA name where it tells one), for showing UTC records as its local time. One round trip."""

    @abc.abstractmethod
    def service_state(self, name: str) -> str | None:
        """``running``, ``stopped`` (or another manager state), or None when no such service exists."""

    @abc.abstractmethod
    def set_service(self, name: str, state: str, timeout: float | None = None) -> None:
        """Drive service ``name`` to ``started`` or ``stopped``, failing clearly after ``timeout`` s where the manager allows."""

    @abc.abstractmethod
    def kill_server(self, settings: dict[str, t.Any], pid_file: str | None, timeout: float) -> str:
        """End the server's process at once because it did not stop when asked (``settings``: the service settings; a
        command-managed POSIX server is found through ``pid_file``), and wait up to ``timeout`` s until it is gone. What was
        done, for the history ("kill -KILL 4711"); ServiceError when it cannot be done or the process stays."""

    def run_change(self, command: list[str], journal: Bracket | None = None) -> CommandResult:
        """Run a command that changes the host, ``journal`` written before it and (when it exits 0) after it; the command's
        ``@set NAME VALUE`` output lines fill the slots. Adapters may do it in one round trip."""
        self.journal_before(journal)
        result = self.run(command)
        if result.rc == 0:
            self.journal_after(journal, reported_values(result.stdout))
        return result

    def set_service_journaled(self, name: str, state: str, timeout: float | None = None, journal: Bracket | None = None) -> None:
        """:meth:`set_service` with ``journal`` written before and after it."""
        self.journal_before(journal)
        self.set_service(name, state, timeout)
        self.journal_after(journal)

    def message_console(self, text: str) -> bool:
        """Show ``text`` on the server's own console; False where the host has no such thing."""
        del text
        return False

    @abc.abstractmethod
    def wait_for_port(self, port: int, state: str, timeout: int, host: str = "127.0.0.1") -> bool:
        """Wait up to ``timeout`` s for a TCP port to be ``started`` or ``stopped``; False on timeout."""

    @abc.abstractmethod
    def clients_connected(self, port: int) -> bool:
        """Whether any client is connected to TCP ``port`` of the host, on any of its addresses (TIME_WAIT does not count)."""

    @abc.abstractmethod
    def wait_for_absent(self, path: str, timeout: int) -> bool:
        """Wait up to ``timeout`` s until ``path`` no longer exists; False on timeout."""

    @abc.abstractmethod
    def http(self, method: str, url: str, headers: dict[str, str], body: t.Any = None, timeout: int = 30) -> HttpResponse:
        """An HTTP request made *on the host* (the control interface listens on its loopback).

        GET requests are read-only probes and also run under check mode.
        """
