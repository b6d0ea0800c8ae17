# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fetching the vendor package onto the controller: ftp, ftps (explicit TLS), http(s), local files.

Credentials are passed separately and never appear in messages; URLs in messages are shown
without a user-info part.
"""

from __future__ import annotations

import contextlib
import ftplib
import http.client
import os
import shutil
import ssl
import tempfile
import time
import typing as t
import urllib.error
import urllib.parse

from ansible.module_utils.urls import open_url

SCHEMES = ("ftp", "ftps", "http", "https", "file")
_CHUNK = 1024 * 1024


class DownloadError(ValueError):
    """The package could not be fetched; the message names source and reason, never a secret.

    ``transient`` is set where the error is raised: connection trouble is worth another try,
    a refusal (login, missing file, certificate, HTTP 4xx) is not.
    """

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def public_url(url: str) -> str:
    """``url`` without user name and password, safe to show."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"  # an IPv6 address keeps its brackets
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def split_source(source: str) -> tuple[str, urllib.parse.SplitResult]:
    """The scheme of ``source`` (a plain path means ``file``) and its parsed form."""
    parts = urllib.parse.urlsplit(source)
    scheme = parts.scheme.lower()
    if not scheme or (len(scheme) == 1 and source[1:2] == ":"):
        return "file", urllib.parse.urlsplit("file://" + urllib.parse.quote(os.path.abspath(source)))
    if scheme not in SCHEMES:
        raise DownloadError(f"source {public_url(source)!r} has an unsupported scheme {scheme!r}; use one of {', '.join(SCHEMES)}")
    return scheme, parts


def file_name(source: str) -> str:
    """The package's file name from its URL or path."""
    name = urllib.parse.unquote(urllib.parse.urlsplit(source).path).rstrip("/").rsplit("/", 1)[-1]
    if not name:
        raise DownloadError(f"source {public_url(source)!r} names no file")
    return name


def _tls_context(validate_certs: bool, ca_path: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_path) if validate_certs else ssl._create_unverified_context()  # pylint: disable=protected-access
    return context


def _why(exc: BaseException) -> str:
    """The reason an FTP exchange broke off; ftplib's EOFError for a closed connection has no text of its own."""
    return " ".join(str(exc).split()) or ("the server closed the connection" if isinstance(exc, EOFError) else type(exc).__name__)


class _FTPS(ftplib.FTP_TLS):
    """Explicit FTPS whose data connections resume the control connection's TLS session.

    vsftpd (``require_ssl_reuse=YES``, its default) and other servers refuse a data connection that starts a new TLS session
    ("522 SSL connection failed: session reuse required"): they take it as a hijacked connection. ftplib does not resume.
    """

    def ntransfercmd(self, cmd: str, rest: int | str | None = None) -> tuple[t.Any, int | None]:
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:  # type: ignore[attr-defined]
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=self.sock.session)  # type: ignore[union-attr]
        return conn, size


def ftp_steps(url_path: str) -> tuple[list[str], str]:
    """The folders to change into, one ``CWD`` each, and the file to ``RETR`` for the path of an ftp:// URL (RFC 1738, 3.2.2).

    The path is relative to the folder the login ends in, so ``ftp://host/pakete/x.zip`` is ``pakete/x.zip`` there (on a
    server that does not lock the user into a chroot, ``/pakete`` would be a folder at the root of the disk). Each segment
    is %-decoded on its own: ``%2F`` makes an explicitly absolute path (``ftp://host/%2Fsrv/x.zip``: ``CWD /srv``). An
    empty first segment (``ftp://host//srv/x.zip``) changes to ``/`` first, as curl does.
    """
    segments = url_path.split("/")[1:] if url_path.startswith("/") else url_path.split("/")
    if not segments or not segments[-1]:
        raise ValueError(f"the ftp URL path {url_path!r} names no file")
    folders = [urllib.parse.unquote(segment) for segment in segments[:-1]]
    steps = (["/"] if folders and folders[0] == "" else []) + [folder for folder in folders if folder]
    return steps, urllib.parse.unquote(segments[-1])


def _ftp(parts: urllib.parse.SplitResult, dest: t.BinaryIO, *, tls: bool, username: str | None, password: str | None,
         validate_certs: bool, ca_path: str | None, timeout: int) -> None:
    host, port = parts.hostname or "", parts.port or 21
    user = username or (urllib.parse.unquote(parts.username) if parts.username else "anonymous")
    secret = password if password is not None else (urllib.parse.unquote(parts.password) if parts.password else "")
    path = urllib.parse.unquote(parts.path)
    where = f"{'ftps' if tls else 'ftp'}://{host}:{port}"
    folders, name = ftp_steps(parts.path)
    client: ftplib.FTP = _FTPS(context=_tls_context(validate_certs, ca_path), timeout=timeout) if tls else ftplib.FTP(timeout=timeout)
    greeted = False
    try:
        try:
            client.connect(host, port)
        except (OSError, EOFError, ftplib.Error) as exc:
            raise DownloadError(f"cannot connect to {where}: {_why(exc)}", transient=True) from exc
        greeted = True
        try:
            client.login(user, secret)  # FTP_TLS.login() sends AUTH TLS first (explicit TLS)
        except ssl.SSLError as exc:
            raise DownloadError(f"TLS handshake with {where} failed: {exc.reason or exc}") from exc
        except ftplib.error_perm as exc:
            raise DownloadError(f"FTP login to {where} as {user!r} failed: {exc}") from exc
        if tls:
            client.prot_p()  # type: ignore[attr-defined]
        client.set_pasv(True)
        for folder in folders:
            try:
                client.cwd(folder)
            except ftplib.error_perm as exc:
                raise DownloadError(f"cannot download {path} from {where}: the folder {folder!r} (relative to the login folder of "
                                    f"{user!r}) cannot be entered: {exc}") from exc
        try:
            client.retrbinary(f"RETR {name}", dest.write, blocksize=_CHUNK)
        except ftplib.error_perm as exc:
            raise DownloadError(f"cannot download {path} from {where}: {exc}") from exc
    except (OSError, EOFError, ftplib.Error) as exc:
        if isinstance(exc, DownloadError):
            raise
        # Temporary FTP replies (4xx), dropped connections and timeouts.
        raise DownloadError(f"downloading {path} from {where} failed: {_why(exc)}", transient=True) from exc
    finally:
        # QUIT needs a server that answered: on a refused connection ftplib has no socket (quit() would raise
        # AttributeError and hide the real error), on a silent one it would wait for another timeout.
        if not greeted:
            client.close()
        else:
            try:
                client.quit()
            except (OSError, EOFError, ftplib.Error):
                client.close()


def _ssl_text(reason: object) -> str:
    """``reason`` without where in Python's OpenSSL glue it was raised ("_ssl.c:1003: ...", "... (_ssl.c:1020)"): noise to a reader."""
    text = " ".join(str(reason).split())
    if text.startswith("_ssl.c:") and ": " in text:
        text = text.split(": ", 1)[1]
    if text.endswith(")") and " (_ssl.c:" in text:
        text = text.rsplit(" (_ssl.c:", 1)[0]
    return text


def _http(url: str, dest: t.BinaryIO, *, username: str | None, password: str | None, validate_certs: bool,
          ca_path: str | None, timeout: int) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.username is not None and not username:
        username, password = urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or "")
    url = public_url(url)  # credentials travel as basic auth, never as part of the host name
    try:
        response = open_url(url, url_username=username, url_password=password, force_basic_auth=bool(username),
                            validate_certs=validate_certs, ca_path=ca_path, timeout=timeout)
        shutil.copyfileobj(response, dest, _CHUNK)
        # read(n) ends quietly when the server closes early; only the announced length shows the cut. That length
        # counts the encoded bytes, so a compressed answer (which open_url decodes) cannot be measured against it.
        headers = getattr(response, "headers", None) or {}
        expected = str(headers.get("Content-Length") or "")
        if expected.isdigit() and str(headers.get("Content-Encoding") or "identity").lower() == "identity" and dest.tell() < int(expected):
            raise http.client.IncompleteRead(b"", int(expected) - dest.tell())
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"downloading {public_url(url)} failed: HTTP {exc.code} {exc.reason}",
                            transient=exc.code >= 500 or exc.code in (408, 429)) from exc
    except (urllib.error.URLError, OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"downloading {public_url(url)} failed: {_ssl_text(reason)}",
                            transient=not isinstance(reason, ssl.SSLError) and not isinstance(exc, ssl.SSLError)) from exc
    except http.client.HTTPException as exc:
        # A body cut short or a garbled status line: urllib passes these through unwrapped.
        if isinstance(exc, http.client.IncompleteRead):
            reason = f"the connection closed {exc.expected} bytes before the end" if exc.expected else "the connection closed before the end"
        else:
            reason = f"invalid HTTP response ({type(exc).__name__}: {' '.join(str(exc).split())})"
        raise DownloadError(f"downloading {public_url(url)} failed: {reason}", transient=True) from exc


def private_folder(path: str) -> None:
    """Make sure the controller folder ``path`` exists and only the user running Ansible can enter it (0700).

    A missing one is created so (its missing parents with the usual mode); an existing one must belong to that user (a
    :class:`DownloadError` otherwise: a package in it could have been swapped by its owner) and loses any group or other bits.
    """
    if os.path.exists(path) and not os.path.isdir(path):
        raise DownloadError(f"the controller folder {path} for the package is a file, not a folder")
    os.makedirs(path, mode=0o700, exist_ok=True)
    info = os.stat(path)
    if info.st_uid != os.getuid():
        raise DownloadError(f"the controller folder {path} belongs to user id {info.st_uid}, not to the user running Ansible "
                            f"({os.getuid()}): packages are only kept in a folder of one's own")
    if info.st_mode & 0o077:
        os.chmod(path, 0o700)


@contextlib.contextmanager
def _partial(target: str) -> t.Iterator[t.BinaryIO]:
    """A file beside ``target`` to write it into (0600: mkstemp), renamed to ``target`` when the block ends without an error,
    removed otherwise: ``target`` is never half written."""
    handle, partial = tempfile.mkstemp(dir=os.path.dirname(target) or ".", prefix=".partial-")
    try:
        with os.fdopen(handle, "wb") as dest:
            yield dest
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def private_copy(source: str, target: str) -> None:
    """Copy a controller file to ``target``, readable by the user running Ansible only (0600), renamed into place."""
    with _partial(target) as dest, open(source, "rb") as src:
        shutil.copyfileobj(src, dest, _CHUNK)


def fetch(source: str, target: str, *, username: str | None = None, password: str | None = None, validate_certs: bool = True,
          ca_path: str | None = None, timeout: int = 60, attempts: int = 3, backoff: float = 2.0) -> None:
    """Download ``source`` to the controller file ``target`` (written atomically).

    Connection problems are retried ``attempts`` times with capped backoff; refusals
    (login, missing file, HTTP 4xx) fail at once. The file and its partial download are 0600, in a folder only the user
    running Ansible can enter (:func:`private_folder`).
    """
    scheme, parts = split_source(source)
    private_folder(os.path.dirname(target) or ".")
    if scheme == "file":
        path = urllib.parse.unquote(parts.path)
        if not os.path.isfile(path):
            raise DownloadError(f"the package {path} does not exist on the controller")
        private_copy(path, target)
        return
    delay = backoff
    for attempt in range(1, attempts + 1):
        try:
            with _partial(target) as dest:
                if scheme in ("ftp", "ftps"):
                    _ftp(parts, dest, tls=scheme == "ftps", username=username, password=password,
                         validate_certs=validate_certs, ca_path=ca_path, timeout=timeout)
                else:
                    _http(source, dest, username=username, password=password, validate_certs=validate_certs,
                          ca_path=ca_path, timeout=timeout)
            return
        except DownloadError as exc:
            if not exc.transient:
                raise
            if attempt == attempts:
                if attempts == 1:
                    raise
                raise DownloadError(f"{exc} (tried {attempts} times)", transient=True) from exc
            time.sleep(delay)
            delay = min(delay * 2, 30.0)
