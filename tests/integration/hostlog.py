"""Capture what ansible-playbook (and every module it runs) sends to the host's system log.

Ansible modules log their invocation ("Invoked with <params>") unless the task has ``no_log``: through
python-systemd's ``journal.send`` when that binding is importable *and* the host booted with systemd,
otherwise through libc ``syslog(3)``, i.e. datagrams to the unix socket ``/dev/log``
(``AnsibleModule.log`` in ``ansible/module_utils/basic.py``). A test that wants to prove a secret never
reaches the system log must therefore see those datagrams, whether or not the machine runs a syslog daemon.

How: ``HostSyslog(tmp_path)`` binds unix datagram sockets inside ``tmp_path`` and a thread collects every
datagram. ``HostSyslog.wrapper`` is an argv prefix (for ``playbook.run_tasks(..., wrapper=...)``) that runs the
command with ``unshare --mount --propagation private`` and then this file as a setup step, which

* mounts a tmpfs over ``/dev`` (the real ``/dev`` is never written to: a bind mount needs an existing target,
  and creating ``/dev/log`` there would be a global change) and puts every original entry back: directories
  (``pts``, ``shm``, ...) recursively bind-mounted, device nodes and other files bind-mounted, symlinks
  (``fd``, ``stdin``, ...) recreated. Mirroring the whole listing instead of a fixed list keeps whatever
  the host (or container) provides. ``ptmx`` is the exception: a bind-mounted ptmx cannot find its sibling
  ``pts`` (the kernel's ``path_pts``), so it is re-created with ``mknod`` (or as the usual ``pts/ptmx`` link);
* bind-mounts the collector socket onto ``/dev/log`` (a bind mount rather than a symlink, so processes that
  dropped root can reach it even though pytest's tmp dirs are mode 0700);
* bind-mounts a second collector over ``/run/systemd/journal/socket`` when that exists, so modules that take
  the journald route are captured as well (native protocol, decoded to ``KEY=value`` text);
* then execs the command. Its children (the modules, with the local connection) inherit the namespace.

The namespace dies with its last process, so nothing has to be unmounted and nothing is visible outside of
it; ``--propagation private`` keeps mount events from leaking back even if ``/`` is a shared mount. The setup
step refuses to run unless it is in a different mount namespace than its parent.
"""

from __future__ import annotations

import ctypes
import functools
import os
import pathlib
import selectors
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import types
import typing as t

JOURNAL_SOCKET = "/run/systemd/journal/socket"
_MS_NOSUID = 0x2
_MS_BIND = 0x1000
_MS_REC = 0x4000
_MS_PRIVATE = 0x40000


class HostSyslog:
    """Collect every datagram sent to ``/dev/log`` (and the journal socket) by commands run under ``wrapper``.

    Use as a context manager; skips the test when not root or when mount namespaces are unavailable::

        with HostSyslog(tmp_path) as syslog:
            run = run_tasks(tmp_path / "play", tasks, wrapper=syslog.wrapper)
        assert token not in syslog.text()
    """

    def __init__(self, directory: pathlib.Path, *, journal_socket: str | os.PathLike[str] = JOURNAL_SOCKET) -> None:
        self.directory = pathlib.Path(directory)
        # Only tests need another path: the real journal socket does not exist on every machine.
        self.journal_socket = os.fspath(journal_socket)
        self._messages: list[str] = []
        self._lock = threading.Lock()
        # socket -> how to turn one of its datagrams into text
        self._sockets: dict[socket.socket, t.Callable[[bytes], str]] = {}
        self._folder: pathlib.Path | None = None
        self._thread: threading.Thread | None = None
        self._wake: tuple[int, int] | None = None

    def __enter__(self) -> HostSyslog:
        problem = namespace_problem()
        if problem:
            import pytest  # only here: the setup step runs this file without pytest
            pytest.skip(problem)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._folder = pathlib.Path(tempfile.mkdtemp(prefix="hostlog-", dir=self.directory))
        try:
            self._sockets[_bind_datagram(self._folder / "syslog.sock")] = _decode
            self._sockets[_bind_datagram(self._folder / "journal.sock")] = _decode_journal
            self._wake = os.pipe()
            self._thread = threading.Thread(target=self._collect, name=f"hostlog {self._folder}", daemon=True)
            self._thread.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: types.TracebackType | None) -> None:
        self.close()

    @property
    def syslog_socket(self) -> pathlib.Path:
        """The socket that appears as ``/dev/log`` under ``wrapper``."""
        assert self._folder is not None, "use HostSyslog as a context manager"
        return self._folder / "syslog.sock"

    @property
    def wrapper(self) -> list[str]:
        """argv prefix: run the rest of the command line with ``/dev/log`` captured here."""
        assert self._folder is not None, "use HostSyslog as a context manager"
        return [t.cast(str, shutil.which("unshare")), "--mount", "--propagation", "private", "--",
                sys.executable, str(pathlib.Path(__file__).resolve()),
                "--dev-log", str(self._folder / "syslog.sock"),
                "--shadow", str(self._folder / "journal.sock"), self.journal_socket, "--"]

    def messages(self) -> list[str]:
        """Every message received so far, in order (a message may contain newlines)."""
        with self._lock:
            # Whatever a finished command sent is already queued on the socket: read it now rather than racing
            # the collector thread.
            for sock in self._sockets:
                self._drain(sock)
            return list(self._messages)

    def text(self) -> str:
        """Everything logged so far, decoded, one message per line."""
        return "\n".join(self.messages())

    def close(self) -> None:
        """Stop collecting and remove the sockets; the messages stay readable."""
        if self._thread is not None and self._wake is not None:
            os.write(self._wake[1], b"x")
            self._thread.join(timeout=10)
            assert not self._thread.is_alive(), "hostlog collector thread did not stop"
        with self._lock:
            for sock in self._sockets:
                self._drain(sock)
                sock.close()
            self._sockets = {}
        for fd in self._wake or ():
            os.close(fd)
        self._thread = self._wake = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def _collect(self) -> None:
        """Thread: read datagrams as they come, so senders never block on a full queue (max_dgram_qlen is small)."""
        assert self._wake is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._wake[0], selectors.EVENT_READ)
            for sock in self._sockets:
                selector.register(sock, selectors.EVENT_READ)
            while True:
                for key, dummy in selector.select():
                    if key.fileobj == self._wake[0]:
                        return
                    with self._lock:
                        self._drain(t.cast(socket.socket, key.fileobj))

    def _drain(self, sock: socket.socket) -> None:
        """Read every queued datagram of ``sock`` (caller holds the lock)."""
        decode = self._sockets[sock]
        while True:
            try:
                # MSG_PEEK|MSG_TRUNC returns the real size, so no message is ever cut short.
                size = sock.recv_into(bytearray(1), 1, socket.MSG_PEEK | socket.MSG_TRUNC)
                data, fds, dummy_flags, dummy_address = socket.recv_fds(sock, max(size, 1), 4)
            except (BlockingIOError, InterruptedError):
                return
            for fd in fds:
                # journald clients pass messages too big for a datagram as a sealed memfd.
                try:
                    data += _read_fd(fd)
                finally:
                    os.close(fd)
            self._messages.append(decode(data))


@functools.cache
def namespace_problem() -> str | None:
    """Why ``HostSyslog`` cannot work here, or None."""
    if os.geteuid() != 0:
        return "capturing the host syslog needs root (it mounts a private /dev)"
    unshare = shutil.which("unshare")
    if unshare is None:
        return "capturing the host syslog needs unshare(1) (util-linux)"
    proc = subprocess.run([unshare, "--mount", "--propagation", "private", "--", "true"],
                          capture_output=True, text=True, check=False, timeout=30)
    if proc.returncode != 0:
        return f"mount namespaces are unavailable: unshare failed ({proc.returncode}): {proc.stderr.strip()}"
    return None


def _bind_datagram(path: pathlib.Path) -> socket.socket:
    """A non-blocking unix datagram socket bound at ``path``, writable by everyone like a real /dev/log."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        # sun_path holds 107 bytes and pytest's tmp_path is often longer: bind through the folder's fd.
        sock.bind(f"/proc/self/fd/{folder}/{path.name}")
    except BaseException:
        sock.close()
        raise
    finally:
        os.close(folder)
    os.chmod(path, 0o666)
    sock.setblocking(False)
    return sock


def _read_fd(fd: int) -> bytes:
    """The whole content of a passed memfd."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(data: bytes) -> str:
    # backslashreplace: odd bytes stay visible instead of turning into U+FFFD, so no content can hide.
    return data.rstrip(b"\0\n").decode("utf-8", "backslashreplace")


def _decode_journal(data: bytes) -> str:
    """journald's native protocol (``KEY=value\\n`` or ``KEY\\n<le64 size><bytes>\\n``) as ``journal: K=v K=v``."""
    fields = []
    while data:
        end = data.find(b"\n")
        if end < 0:
            fields.append(data)
            break
        line, rest = data[:end], data[end + 1:]
        if b"=" in line or len(rest) < 8:
            fields.append(line)
            data = rest
        else:
            size = int.from_bytes(rest[:8], "little")
            fields.append(line + b"=" + rest[8:8 + size])
            data = rest[8 + size + 1:]
    return "journal: " + " ".join(_decode(field) for field in fields)


# --- the setup step, run inside the new mount namespace -------------------------------------------------------

def _encode(value: str | None) -> bytes | None:
    return None if value is None else os.fsencode(value)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    """mount(2) directly: one call per entry, no mount(8) process for each of the ~100 /dev entries."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(_encode(source), _encode(target), _encode(fstype), ctypes.c_ulong(flags), _encode(data)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {source} on {target}: {os.strerror(errno)}")


def _touch(path: str) -> None:
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o600))


def _private_dev(dev_log: str, shadows: list[tuple[str, str]]) -> None:
    """Replace /dev in this (private) mount namespace by a copy whose ``log`` is ``dev_log``."""
    own = os.readlink("/proc/self/ns/mnt")
    if own == os.readlink(f"/proc/{os.getppid()}/ns/mnt"):
        raise RuntimeError("not in a private mount namespace (run through unshare --mount); refusing to touch /dev")
    # unshare already did this; repeating it is free and keeps every mount below from propagating anywhere.
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    old = os.open("/dev", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        entries = [(entry.name, entry.stat(follow_symlinks=False)) for entry in os.scandir(old)]
        _mount("tmpfs", "/dev", "tmpfs", _MS_NOSUID, "mode=755")
        # The old /dev stays reachable through the open fd's magic link although the tmpfs now covers it.
        source = f"/proc/self/fd/{old}"
        for name, info in entries:
            target = f"/dev/{name}"
            if name == "log":
                continue
            if stat.S_ISLNK(info.st_mode):
                os.symlink(os.readlink(name, dir_fd=old), target)
            elif stat.S_ISDIR(info.st_mode):
                os.mkdir(target, stat.S_IMODE(info.st_mode))
                _mount(f"{source}/{name}", target, None, _MS_BIND | _MS_REC)
            elif name == "ptmx" and stat.S_ISCHR(info.st_mode):
                try:
                    os.mknod(target, info.st_mode, info.st_rdev)
                except PermissionError:
                    os.symlink("pts/ptmx", target)
            else:
                _touch(target)
                _mount(f"{source}/{name}", target, None, _MS_BIND)
    finally:
        os.close(old)
    _touch("/dev/log")
    _mount(dev_log, "/dev/log", None, _MS_BIND)
    for socket_path, target in shadows:
        # Only where the host has it: a bind mount needs an existing target and the real fs must stay untouched.
        if os.path.exists(target):
            _mount(socket_path, target, None, _MS_BIND)


def _fail(message: str, code: int = 125) -> t.NoReturn:
    # 125/127 like env(1) and unshare(1): tells a setup failure apart from the command's own exit codes.
    print(f"hostlog: {message}", file=sys.stderr)
    sys.exit(code)


def main(argv: list[str]) -> t.NoReturn:
    """``hostlog.py --dev-log SOCK [--shadow SOCK TARGET]... -- COMMAND...``: set up /dev, then exec COMMAND."""
    usage = "usage: hostlog.py --dev-log SOCKET [--shadow SOCKET TARGET]... -- COMMAND [ARG]..."
    if "--" not in argv:
        _fail(usage)
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    dev_log: str | None = None
    shadows: list[tuple[str, str]] = []
    while options:
        if options[0] == "--dev-log" and len(options) >= 2:
            dev_log, options = options[1], options[2:]
        elif options[0] == "--shadow" and len(options) >= 3:
            shadows.append((options[1], options[2]))
            options = options[3:]
        else:
            _fail(f"unexpected {options[0]!r}; {usage}")
    if dev_log is None or not command:
        _fail(usage)
    try:
        _private_dev(dev_log, shadows)
    except (OSError, RuntimeError) as error:
        _fail(f"cannot set up the private /dev: {error}")
    try:
        os.execvp(command[0], command)
    except OSError as error:
        _fail(f"cannot run {command[0]}: {error}", 127)


if __name__ == "__main__":
    main(sys.argv[1:])
