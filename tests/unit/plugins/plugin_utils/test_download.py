# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for fetching the package onto the controller: URLs shown, schemes, FTP/HTTP error mapping, retries.

FTP is exercised through a fake ``ftplib`` client for the error mapping, and against real sockets for what only a
real connection shows (a refused or silent port, the pyftpdlib test server); HTTP through a real ``http.server`` on
127.0.0.1, because its error mapping comes from urllib.
"""

from __future__ import annotations

import base64
import ftplib
import http.server
import os
import socket
import threading
import time
import typing as t
from pathlib import Path

import pytest
from testservers import web

from ansible_collections.conaktiv.server.plugins.plugin_utils import _download
from ansible_collections.conaktiv.server.plugins.plugin_utils._download import DownloadError, fetch, file_name, ftp_steps, public_url, split_source

SECRET = "pw-7c1d"


# -- URLs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "shown"), [
    (f"ftp://conaktiv:{SECRET}@ftp.example.com/pub/ConAktiv-9.0.zip", "ftp://ftp.example.com/pub/ConAktiv-9.0.zip"),
    (f"ftps://conaktiv:{SECRET}@ftp.example.com:2121/ConAktiv-9.0.zip", "ftps://ftp.example.com:2121/ConAktiv-9.0.zip"),
    ("https://user@dl.example.com/ConAktiv.zip?token=abc#x", "https://dl.example.com/ConAktiv.zip?token=abc#x"),
    ("http://dl.example.com:8080/ConAktiv.zip", "http://dl.example.com:8080/ConAktiv.zip"),
    ("/srv/packages/ConAktiv.zip", "/srv/packages/ConAktiv.zip"),
])
def test_public_url_strips_user_and_password(url: str, shown: str):
    assert public_url(url) == shown


def test_public_url_keeps_ipv6_brackets():
    assert public_url(f"ftp://u:{SECRET}@[::1]:2121/pkg.zip") == "ftp://[::1]:2121/pkg.zip"


@pytest.mark.parametrize(("source", "scheme"), [
    ("ftp://h/x.zip", "ftp"), ("FTPS://h/x.zip", "ftps"), ("https://h/x.zip", "https"), ("file:///srv/x.zip", "file"),
    ("/srv/x.zip", "file"), ("packages/x.zip", "file"), ("C:\\packages\\x.zip", "file"),
])
def test_split_source_schemes(source: str, scheme: str):
    assert split_source(source)[0] == scheme


def test_a_plain_path_becomes_an_absolute_file_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert split_source("pkg dir/x.zip")[1].path == str(tmp_path / "pkg%20dir/x.zip")


@pytest.mark.parametrize("source", [f"sftp://u:{SECRET}@h/x.zip", f"smb://u:{SECRET}@server/share/x.zip"])
def test_unsupported_scheme_is_named_without_the_password(source: str):
    with pytest.raises(DownloadError) as raised:
        split_source(source)
    assert "unsupported scheme" in str(raised.value)
    assert "use one of ftp, ftps, http, https, file" in str(raised.value)
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize(("source", "name"), [
    ("ftp://h/pub/ConAktiv%209.0.zip", "ConAktiv 9.0.zip"), ("/srv/x.tar.gz", "x.tar.gz"), ("https://h/a/b.zip?x=1", "b.zip"),
])
def test_file_name(source: str, name: str):
    assert file_name(source) == name


def test_a_source_without_file_name_is_refused():
    with pytest.raises(DownloadError, match="names no file"):
        file_name(f"ftp://u:{SECRET}@h/")


# -- file sources ---------------------------------------------------------------------------------


def test_file_source_is_copied_into_a_private_folder_readable_by_its_user_only(tmp_path: Path):
    package = tmp_path / "ConAktiv.zip"
    package.write_bytes(b"PK\x05\x06" + bytes(18))
    package.chmod(0o644)
    target = tmp_path / "out" / "pkg.zip"
    fetch(str(package), str(target))
    assert target.read_bytes() == package.read_bytes()
    assert target.stat().st_mode & 0o777 == 0o600 and target.parent.stat().st_mode & 0o777 == 0o700
    assert sorted(path.name for path in target.parent.iterdir()) == ["pkg.zip"], "no partial file left behind"


def test_an_existing_cache_folder_of_ones_own_is_closed_to_others(tmp_path: Path):
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o755)
    _download.private_folder(str(cache))
    assert cache.stat().st_mode & 0o777 == 0o700


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root (CI runs as root)")
def test_a_cache_folder_of_another_user_is_refused(tmp_path: Path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o755)
    os.chown(cache, 4711, 4711)
    with pytest.raises(DownloadError, match="belongs to user id 4711, not to the user running Ansible"):
        _download.private_folder(str(cache))
    assert cache.stat().st_mode & 0o777 == 0o755, "a folder of someone else is not touched"


def test_missing_file_source_fails_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    sleeps: list[float] = []
    monkeypatch.setattr(_download.time, "sleep", sleeps.append)
    with pytest.raises(DownloadError, match=f"the package {tmp_path}/none.zip does not exist on the controller"):
        fetch(str(tmp_path / "none.zip"), str(tmp_path / "out.zip"))
    assert sleeps == []
    assert not (tmp_path / "out.zip").exists()


# -- retries --------------------------------------------------------------------------------------


class ScriptedTransfer:
    """Stands in for ``_ftp`` / ``_http``: raises the scripted errors (after writing a partial file), then succeeds."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        self.attempts = 0

    def __call__(self, where: t.Any, dest: t.BinaryIO, **_: t.Any) -> None:
        self.attempts += 1
        dest.write(b"partial")
        if self.errors:
            error = self.errors.pop(0)
            raise DownloadError(error, transient=error not in REFUSALS)
        dest.write(b" and the rest")


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The backoff sleeps of fetch(), recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(_download, "time", type("FakeTime", (), {"sleep": staticmethod(recorded.append)}))
    return recorded


def scripted(monkeypatch: pytest.MonkeyPatch, scheme: str, errors: list[str]) -> ScriptedTransfer:
    transfer = ScriptedTransfer(errors)
    monkeypatch.setattr(_download, "_ftp" if scheme.startswith("ftp") else "_http", transfer)
    return transfer


TRANSIENT = ["cannot connect to ftp://h:21: [Errno 111] Connection refused",
             "downloading /x.zip from ftp://h:21 failed: 425 Can't open data connection",
             "downloading https://h/x.zip failed: HTTP 503 Service Unavailable",
             "downloading https://h/x.zip failed: timed out"]
REFUSALS = ["FTP login to ftp://h:21 as 'conaktiv' failed: 530 Login incorrect.",
            "cannot download /x.zip from ftp://h:21: 550 No such file or directory",
            "TLS handshake with ftps://h:21 failed: CERTIFICATE_VERIFY_FAILED",
            "downloading https://h/x.zip failed: HTTP 404 Not Found",
            "downloading https://h/x.zip failed: HTTP 401 Unauthorized"]


@pytest.mark.parametrize("error", TRANSIENT)
def test_transient_errors_are_retried_with_backoff(error: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]):
    scheme = "ftp" if "ftp://" in error else "https"
    transfer = scripted(monkeypatch, scheme, [error, error])
    target = tmp_path / "pkg.zip"
    fetch(f"{scheme}://h/x.zip", str(target), attempts=3, backoff=2.0)
    assert transfer.attempts == 3
    assert sleeps == [2.0, 4.0]
    assert target.read_bytes() == b"partial and the rest"
    assert sorted(os.listdir(tmp_path)) == ["pkg.zip"]


@pytest.mark.parametrize("error", REFUSALS)
def test_refusals_fail_at_once(error: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]):
    scheme = "https" if "https://" in error else "ftp"
    transfer = scripted(monkeypatch, scheme, [error])
    with pytest.raises(DownloadError, match="failed|550"):
        fetch(f"{scheme}://h/x.zip", str(tmp_path / "pkg.zip"))
    assert transfer.attempts == 1
    assert sleeps == []
    assert os.listdir(tmp_path) == []


def test_the_last_error_is_raised_when_every_attempt_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]):
    transfer = scripted(monkeypatch, "ftp", [f"cannot connect to ftp://h:21: attempt {n}" for n in range(1, 7)])
    with pytest.raises(DownloadError, match="attempt 6"):
        fetch("ftp://h/x.zip", str(tmp_path / "pkg.zip"), attempts=6, backoff=10.0)
    assert transfer.attempts == 6
    assert sleeps == [10.0, 20.0, 30.0, 30.0, 30.0]
    assert os.listdir(tmp_path) == []


# -- FTP ------------------------------------------------------------------------------------------


class FakeFTP:
    """An ``ftplib.FTP`` stand-in; ``failures`` maps a method name to the exception it raises."""

    instances: list[FakeFTP] = []
    failures: dict[str, BaseException] = {}

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        self.kwargs = kwargs
        self.log: list[tuple[t.Any, ...]] = []
        FakeFTP.instances.append(self)

    def _step(self, name: str, *args: t.Any) -> None:
        self.log.append((name, *args))
        if name in self.failures:
            raise self.failures[name]

    def connect(self, host: str, port: int) -> None:
        self._step("connect", host, port)

    def login(self, user: str, password: str) -> None:
        self._step("login", user, password)

    def prot_p(self) -> None:
        self._step("prot_p")

    def set_pasv(self, value: bool) -> None:
        self._step("set_pasv", value)

    def cwd(self, folder: str) -> None:
        self._step("cwd", folder)

    def retrbinary(self, command: str, callback: t.Callable[[bytes], t.Any], blocksize: int = 8192) -> None:
        self._step("retrbinary", command)
        callback(b"zipdata")

    def quit(self) -> None:
        self._step("quit")

    def close(self) -> None:
        self._step("close")


@pytest.fixture
def fake_ftp(monkeypatch: pytest.MonkeyPatch) -> type[FakeFTP]:
    FakeFTP.instances, FakeFTP.failures = [], {}
    monkeypatch.setattr(_download.ftplib, "FTP", FakeFTP)
    monkeypatch.setattr(_download, "_FTPS", FakeFTP)
    return FakeFTP


def test_ftp_logs_in_with_the_url_credentials_and_downloads_passively(tmp_path: Path, fake_ftp: type[FakeFTP]):
    target = tmp_path / "pkg.zip"
    fetch(f"ftp://con%20aktiv:{SECRET}%40x@h:2121/pub/Con%20Aktiv.zip", str(target))
    assert target.read_bytes() == b"zipdata"
    # RFC 1738: the path is relative to the login folder, one CWD per folder, each segment decoded on its own.
    assert fake_ftp.instances[0].log == [("connect", "h", 2121), ("login", "con aktiv", f"{SECRET}@x"), ("set_pasv", True),
                                         ("cwd", "pub"), ("retrbinary", "RETR Con Aktiv.zip"), ("quit",)]


@pytest.mark.parametrize(("path", "steps"), [
    ("/x.zip", ([], "x.zip")),
    ("/pakete/9.1/ConAktiv%209.1.zip", (["pakete", "9.1"], "ConAktiv 9.1.zip")),
    ("/%2Fsrv%2Fftp/pakete/x.zip", (["/srv/ftp", "pakete"], "x.zip")),
    ("//srv/x.zip", (["/", "srv"], "x.zip")),
    ("/a%2Fb.zip", ([], "a/b.zip")),
])
def test_ftp_url_paths_are_relative_to_the_login_folder(path: str, steps: tuple[list[str], str]):
    assert ftp_steps(path) == steps


def test_an_ftp_url_without_a_file_is_refused():
    with pytest.raises(ValueError, match="names no file"):
        ftp_steps("/pakete/")


def test_ftps_uses_tls_and_protects_the_data_channel(tmp_path: Path, fake_ftp: type[FakeFTP]):
    fetch("ftps://h/x.zip", str(tmp_path / "pkg.zip"), username="conaktiv", password=SECRET, validate_certs=False)
    log = fake_ftp.instances[0].log
    assert log[:3] == [("connect", "h", 21), ("login", "conaktiv", SECRET), ("prot_p",)]
    assert "context" in fake_ftp.instances[0].kwargs


def test_ftp_without_user_is_anonymous(tmp_path: Path, fake_ftp: type[FakeFTP]):
    fetch("ftp://h/x.zip", str(tmp_path / "pkg.zip"))
    assert fake_ftp.instances[0].log[1] == ("login", "anonymous", "")


@pytest.mark.parametrize(("step", "error", "message", "attempts"), [
    ("connect", ConnectionRefusedError(111, "Connection refused"), "cannot connect to ftp://h:21: [Errno 111] Connection refused", 3),
    ("login", ftplib.error_perm("530 Login incorrect."), "FTP login to ftp://h:21 as 'conaktiv' failed: 530 Login incorrect.", 1),
    ("retrbinary", ftplib.error_perm("550 No such file."), "cannot download /x.zip from ftp://h:21: 550 No such file.", 1),
    ("retrbinary", ftplib.error_temp("425 Can't open data connection."), "downloading /x.zip from ftp://h:21 failed: 425", 3),
    ("retrbinary", EOFError(), "downloading /x.zip from ftp://h:21 failed", 3),
])
def test_ftp_errors_are_mapped_and_never_show_the_password(step: str, error: BaseException, message: str, attempts: int, tmp_path: Path,
                                                           fake_ftp: type[FakeFTP], sleeps: list[float]):
    fake_ftp.failures = {step: error}
    with pytest.raises(DownloadError) as raised:
        fetch("ftp://h/x.zip", str(tmp_path / "pkg.zip"), username="conaktiv", password=SECRET)
    assert str(raised.value).startswith(message)
    assert SECRET not in str(raised.value)
    assert len(fake_ftp.instances) == attempts
    assert os.listdir(tmp_path) == []


def test_a_failing_quit_closes_the_connection(tmp_path: Path, fake_ftp: type[FakeFTP]):
    fake_ftp.failures = {"quit": EOFError()}
    fetch("ftp://h/x.zip", str(tmp_path / "pkg.zip"))
    assert fake_ftp.instances[0].log[-2:] == [("quit",), ("close",)]


# -- HTTP (a real server on 127.0.0.1) -------------------------------------------------------------


class PackageHandler(http.server.BaseHTTPRequestHandler):
    """Serves /pkg.zip to user conaktiv with SECRET; everything else is 404."""

    requests: list[str] = []

    def do_GET(self) -> None:  # pylint: disable=invalid-name
        type(self).requests.append(self.path)
        expected = "Basic " + base64.b64encode(f"conaktiv:{SECRET}".encode()).decode()
        if self.path != "/pkg.zip":
            self.send_error(404, "Not Found")
        elif self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="pkg"')
            self.end_headers()
        else:
            body = b"PK-package"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, format: str, *args: t.Any) -> None:  # pylint: disable=redefined-builtin
        """Quiet."""


@pytest.fixture
def http_server() -> t.Iterator[str]:
    """A package server on 127.0.0.1; yields its base URL and is shut down even when the test fails."""
    PackageHandler.requests = []
    with web.serving(PackageHandler) as url:
        yield url


def test_http_download_with_basic_auth(tmp_path: Path, http_server: str):
    target = tmp_path / "pkg.zip"
    fetch(f"{http_server}/pkg.zip", str(target), username="conaktiv", password=SECRET, timeout=5)
    assert target.read_bytes() == b"PK-package"


def test_http_download_with_credentials_in_the_url(tmp_path: Path, http_server: str):
    target = tmp_path / "pkg.zip"
    fetch(http_server.replace("http://", f"http://conaktiv:{SECRET}@") + "/pkg.zip", str(target), timeout=5)
    assert target.read_bytes() == b"PK-package"


@pytest.mark.parametrize(("path", "password", "code"), [("/missing.zip", SECRET, "HTTP 404 Not Found"),
                                                        ("/pkg.zip", "wrong-" + SECRET, "HTTP 401 Unauthorized")])
def test_http_refusals_are_not_retried_and_hide_credentials(path: str, password: str, code: str, tmp_path: Path, http_server: str,
                                                            sleeps: list[float]):
    with pytest.raises(DownloadError) as raised:
        fetch(f"{http_server}{path}", str(tmp_path / "pkg.zip"), username="conaktiv", password=password, timeout=5)
    assert str(raised.value) == f"downloading {http_server}{path} failed: {code}"
    assert SECRET not in str(raised.value)
    assert sleeps == []
    assert PackageHandler.requests == [path]
    assert os.listdir(tmp_path) == []


def test_http_never_hands_credentials_in_the_url_to_open_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    opened: list[str] = []

    def fake_open_url(url: str, **kwargs: t.Any) -> t.Any:
        opened.append(url)
        return open(os.devnull, "rb")  # pylint: disable=consider-using-with

    monkeypatch.setattr(_download, "open_url", fake_open_url)
    fetch(f"https://conaktiv:{SECRET}@dl.example.com/pkg.zip", str(tmp_path / "pkg.zip"), username="conaktiv", password=SECRET)
    assert opened == ["https://dl.example.com/pkg.zip"]


def test_http_connection_refused_is_retried(tmp_path: Path, http_server: str, sleeps: list[float]):
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), PackageHandler) as closed:
        port = closed.server_address[1]
    with pytest.raises(DownloadError, match="Connection refused"):
        fetch(f"http://127.0.0.1:{port}/pkg.zip", str(tmp_path / "pkg.zip"), attempts=2, timeout=5)
    assert sleeps == [2.0]


# -- real sockets: refused, silent and cut-off connections ---------------------------------------


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_port() -> t.Iterator[int]:
    """A loopback port that takes connections (the kernel's backlog) and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.mark.parametrize(("scheme", "message"), [
    ("ftp", "cannot connect to ftp://127.0.0.1:{port}: [Errno 111] Connection refused (tried 3 times)"),
    ("ftps", "cannot connect to ftps://127.0.0.1:{port}: [Errno 111] Connection refused (tried 3 times)"),
    ("http", "downloading http://127.0.0.1:{port}/pkg.zip failed: [Errno 111] Connection refused (tried 3 times)"),
    ("https", "downloading https://127.0.0.1:{port}/pkg.zip failed: [Errno 111] Connection refused (tried 3 times)"),
])
def test_a_refused_connection_is_retried_and_named_without_the_password(scheme: str, message: str, closed_port: int, tmp_path: Path,
                                                                        sleeps: list[float]):
    with pytest.raises(DownloadError) as raised:
        fetch(f"{scheme}://conaktiv:{SECRET}@127.0.0.1:{closed_port}/pkg.zip", str(tmp_path / "pkg.zip"), timeout=5)
    assert str(raised.value) == message.format(port=closed_port)
    assert raised.value.transient is True
    assert sleeps == [2.0, 4.0]
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(("scheme", "message"), [
    ("ftp", "cannot connect to ftp://127.0.0.1:{port}: timed out (tried 2 times)"),
    ("ftps", "cannot connect to ftps://127.0.0.1:{port}: timed out (tried 2 times)"),
    ("http", "downloading http://127.0.0.1:{port}/pkg.zip failed: timed out (tried 2 times)"),
    ("https", "downloading https://127.0.0.1:{port}/pkg.zip failed: The handshake operation timed out (tried 2 times)"),
])
def test_a_host_that_does_not_answer_times_out_and_is_retried(scheme: str, message: str, silent_port: int, tmp_path: Path,
                                                              sleeps: list[float]):
    with pytest.raises(DownloadError) as raised:
        fetch(f"{scheme}://conaktiv:{SECRET}@127.0.0.1:{silent_port}/pkg.zip", str(tmp_path / "pkg.zip"), timeout=1, attempts=2)
    assert str(raised.value) == message.format(port=silent_port)
    assert sleeps == [2.0]


def test_a_silent_ftp_server_costs_one_timeout_not_two(silent_port: int, tmp_path: Path):
    started = time.monotonic()
    with pytest.raises(DownloadError, match="timed out"):
        fetch(f"ftp://127.0.0.1:{silent_port}/pkg.zip", str(tmp_path / "pkg.zip"), timeout=2, attempts=1)
    # A QUIT sent to a server that never greeted would wait for a second timeout.
    assert time.monotonic() - started < 3.5


class RawServer:
    """A loopback TCP server that answers every connection with the same raw bytes, then closes it."""

    def __init__(self, reply: bytes, read_request: bool = True) -> None:
        self.reply = reply
        self.read_request = read_request  # False for protocols where the server speaks first (FTP)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.05)  # accept() wakes up to see the stop flag
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _peer = self.listener.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(5)
                if self.read_request:
                    connection.recv(65536)
                connection.sendall(self.reply)

    def __enter__(self) -> int:
        self.thread.start()
        return self.listener.getsockname()[1]

    def __exit__(self, *exc_info: t.Any) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.listener.close()


@pytest.mark.parametrize(("reply", "reason"), [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nPK-cut", "the connection closed 94 bytes before the end"),
    (b"garbage\r\n\r\n", "invalid HTTP response (BadStatusLine: garbage)"),
    (b"", "Remote end closed connection without response"),
])
def test_a_broken_http_answer_is_retried_and_never_kept(reply: bytes, reason: str, tmp_path: Path, sleeps: list[float]):
    with RawServer(reply) as port, pytest.raises(DownloadError) as raised:
        fetch(f"http://127.0.0.1:{port}/pkg.zip", str(tmp_path / "pkg.zip"), timeout=5, attempts=2)
    assert str(raised.value) == f"downloading http://127.0.0.1:{port}/pkg.zip failed: {reason} (tried 2 times)"
    assert sleeps == [2.0]
    assert os.listdir(tmp_path) == []


# -- the pyftpdlib test server --------------------------------------------------------------------


@pytest.mark.parametrize("tls", [False, True])
def test_a_real_ftp_server_serves_the_package_and_refuses_a_wrong_password(tls: bool, request: pytest.FixtureRequest,
                                                                           tmp_path: Path, sleeps: list[float]):
    server = request.getfixturevalue("ftps_server" if tls else "ftp_server")
    (server.root / "pkg.zip").write_bytes(b"PK-real")
    scheme = "ftps" if tls else "ftp"
    url = server.url_for("pkg.zip").replace("ftp://", f"{scheme}://")
    options: dict[str, t.Any] = {"ca_path": str(server.ca_file)} if tls else {}
    fetch(url, str(tmp_path / "ok.zip"), username=server.user, password=server.password, timeout=10, **options)
    assert (tmp_path / "ok.zip").read_bytes() == b"PK-real"
    with pytest.raises(DownloadError) as raised:
        fetch(url, str(tmp_path / "bad.zip"), username=server.user, password="wrong-" + server.password, timeout=10, **options)
    assert str(raised.value).startswith(f"FTP login to {scheme}://127.0.0.1:{server.port} as '{server.user}' failed: 530")
    assert server.password not in str(raised.value)
    assert sleeps == []


def test_a_stopped_ftp_server_is_retried_and_the_password_never_shown(ftp_server: t.Any, tmp_path: Path, sleeps: list[float]):
    url = ftp_server.url_for("pkg.zip", credentials=True)
    ftp_server.stop()
    with pytest.raises(DownloadError) as raised:
        fetch(url, str(tmp_path / "pkg.zip"), timeout=5)
    assert str(raised.value) == f"cannot connect to ftp://127.0.0.1:{ftp_server.port}: [Errno 111] Connection refused (tried 3 times)"
    assert ftp_server.password not in str(raised.value)
    assert sleeps == [2.0, 4.0]


@pytest.mark.parametrize(("greeting", "reason"), [
    (b"", "the server closed the connection"),
    (b"421 Too many connections, try later.\r\n", "421 Too many connections, try later."),
])
def test_an_ftp_server_that_turns_the_connection_away_is_retried(greeting: bytes, reason: str, tmp_path: Path, sleeps: list[float]):
    with RawServer(greeting, read_request=False) as port, pytest.raises(DownloadError) as raised:
        fetch(f"ftp://conaktiv:{SECRET}@127.0.0.1:{port}/pkg.zip", str(tmp_path / "pkg.zip"), timeout=5, attempts=2)
    assert str(raised.value) == f"cannot connect to ftp://127.0.0.1:{port}: {reason} (tried 2 times)"
    assert sleeps == [2.0]


def test_an_untrusted_certificate_is_a_refusal_without_openssl_noise(tmp_path: Path, tls_cert: t.Any, sleeps: list[float]):
    with web.serving(PackageHandler, tls_cert) as base:
        url = f"{base.replace('://', f'://conaktiv:{SECRET}@')}/pkg.zip"
        with pytest.raises(DownloadError) as raised:
            fetch(url, str(tmp_path / "pkg.zip"), timeout=5)
    assert str(raised.value).startswith(f"downloading {public_url(url)} failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    assert "_ssl.c" not in str(raised.value) and SECRET not in str(raised.value)
    assert raised.value.transient is False and sleeps == []
