"""Downloads from the servers admins run: Debian's vsftpd with its shipped configuration, pure-ftpd, nginx.

Each is started by the test on 127.0.0.1 (tests/fixtures/testservers/peers.py) and logs in a local Unix user, as on a
real server. Neither FTP server locks the user into a chroot: an ftp:// URL's path is relative to the login folder
(RFC 1738), which pyftpdlib (home = /) hid. vsftpd with TLS requires the data connection to resume the TLS session.
"""

from __future__ import annotations

import ftplib
import secrets
import shutil

import pytest

from playbook import run_tasks

from testservers import peers

STAGE = "Stage the new ConAktiv version"


@pytest.fixture
def ftp_home(tmp_path):
    """The FTP user's home with pakete/ConAktiv-2.0.0.zip in it, and its password."""
    password = f"Pw-{secrets.token_hex(6)}"
    try:
        home = peers.ftp_user(password)
    except peers.PeerUnavailable as exc:
        pytest.skip(str(exc))
    folder = home / "pakete"
    folder.mkdir(exist_ok=True)
    yield home, password
    shutil.rmtree(folder, ignore_errors=True)


def start(server, work, tls_cert=None):
    try:
        return server(work, tls=(tls_cert.cert, tls_cert.key) if tls_cert else None)
    except peers.PeerUnavailable as exc:
        pytest.skip(str(exc))


def stage(tmp_path, site, source, **extra):
    task = {"name": STAGE, "conaktiv.server.stage": {"server_path": str(site.server_dir), "version": "2.0.0", "source": source, **extra}}
    return run_tasks(tmp_path / "play", [task], extra_args=["-vvv"])


@pytest.mark.parametrize("tls", [False, True], ids=["ftp", "ftps"])
@pytest.mark.parametrize("server", [peers.vsftpd, peers.pure_ftpd], ids=["vsftpd", "pure-ftpd"])
def test_a_package_is_downloaded_from_a_real_ftp_server(tmp_path, sim_site, sim_package, ftp_home, tls_cert, server, tls):
    home, password = ftp_home
    package = sim_package("2.0.0")
    shutil.copy(package, home / "pakete" / package.name)
    daemon = start(server, tmp_path, tls_cert if tls else None)
    with daemon:
        scheme = "ftps" if tls else "ftp"
        extra = {"source_username": peers.FTP_USER, "source_password": password, **({"ca_path": str(tls_cert.cert)} if tls else {})}
        run = stage(tmp_path, sim_site, f"{scheme}://127.0.0.1:{daemon.port}/pakete/{package.name}", **extra)
        assert run.rc == 0, run.output + daemon.log_tail()
        assert (sim_site.server_dir.parent / "Temp_Updateordner" / "ConAktiv Server" / "version.txt").read_text().strip() == "2.0.0"
        assert password not in run.output
        # An explicitly absolute path (%2F) reaches the same file from the root of the disk.
        absolute = f"{scheme}://127.0.0.1:{daemon.port}/%2F{str(home).lstrip('/')}/pakete/{package.name}"
        again = stage(tmp_path, sim_site, absolute, force=True, **extra)
        assert again.rc == 0, again.output + daemon.log_tail()


def test_an_absolute_retr_is_what_real_servers_refuse(tmp_path, ftp_home, sim_package):
    """Why the path is relative: RETR /pakete/x is a folder at the root of the disk on a server without chroot."""
    home, password = ftp_home
    package = sim_package("2.0.0")
    shutil.copy(package, home / "pakete" / package.name)
    with start(peers.vsftpd, tmp_path) as daemon:
        client = ftplib.FTP()
        client.connect("127.0.0.1", daemon.port)
        client.login(peers.FTP_USER, password)
        with pytest.raises(ftplib.error_perm, match="550"):
            client.retrbinary(f"RETR /pakete/{package.name}", lambda block: None)
        client.quit()


def test_a_package_is_downloaded_from_nginx_over_https_with_basic_auth(tmp_path, sim_site, sim_package, tls_cert):
    root = tmp_path / "www"
    (root / "pakete").mkdir(parents=True)
    package = sim_package("2.0.0")
    shutil.copy(package, root / "pakete" / package.name)
    root.chmod(0o755)
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    password = f"Pw-{secrets.token_hex(6)}"
    try:
        daemon = peers.nginx(tmp_path, root, "pakete", password, (tls_cert.cert, tls_cert.key))
    except peers.PeerUnavailable as exc:
        pytest.skip(str(exc))
    with daemon:
        url = f"https://127.0.0.1:{daemon.port}/pakete/{package.name}"
        run = stage(tmp_path, sim_site, url, source_username="pakete", source_password=password, ca_path=str(tls_cert.cert))
        assert run.rc == 0, run.output + daemon.log_tail()
        assert password not in run.output
        wrong = stage(tmp_path, sim_site, url, source_username="pakete", source_password="falsch", ca_path=str(tls_cert.cert), force=True)
        assert wrong.rc != 0 and "401" in wrong.output


def test_vsftpd_refuses_tls_data_connections_that_do_not_resume_the_session(tmp_path, ftp_home, sim_package, tls_cert):
    """Why the download resumes the TLS session: plain ftplib.FTP_TLS does not, and vsftpd's require_ssl_reuse refuses it."""
    import ssl  # pylint: disable=import-outside-toplevel

    home, password = ftp_home
    package = sim_package("2.0.0")
    shutil.copy(package, home / "pakete" / package.name)
    with start(peers.vsftpd, tmp_path, tls_cert) as daemon:
        client = ftplib.FTP_TLS(context=ssl.create_default_context(cafile=str(tls_cert.cert)))
        client.connect("127.0.0.1", daemon.port)
        client.login(peers.FTP_USER, password)
        client.prot_p()
        client.cwd("pakete")
        with pytest.raises(ftplib.error_perm, match="522 SSL connection failed: session reuse required"):
            client.retrbinary(f"RETR {package.name}", lambda block: None)
        client.close()
