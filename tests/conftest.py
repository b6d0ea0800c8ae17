"""Project-wide pytest setup: import paths, and fixtures for the test servers and the ConAktiv simulator.

Fixtures (function-scoped unless noted; all cleaned up even when the test fails):
  ftp_server / ftps_server                   testservers.FtpServer; put packages into `.root`; `.url`, `.user`, `.password`, `.ca_file`,
                                             `.url_for(path, credentials=True)` for ftp://user:pass@... (quoted)
  tls_cert (session)                         testservers.CertPair (`.cert`, `.key`) every TLS server of the run uses
  smtp_server, smtp_starttls_server,
  smtp_auth_server, smtp_ssl_server          testservers.SmtpServer; `.port`, `.messages()`, `.wait_for_messages(n)`, `.ca_file`,
                                             `.user` / `.password` (auth variant)
  sim_site                                   conaktiv_sim.testing.Site, version 1.0.0 installed in tmp_path/"site" (not started)
  sim_site_factory                           callable(name="site", **Site.install options) -> Site, for several/other sites
  sim_package                                callable(version, **build_package options) -> Path of a vendor package
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
for _path in (REPO_ROOT / "tests" / "simulator", REPO_ROOT / "tests" / "fixtures", REPO_ROOT / ".collections"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
# ansible-playbook / ansible-doc started by tests find conaktiv.server and its dependencies without scripts/env.sh.
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(REPO_ROOT / ".collections"))

# pylint: disable=wrong-import-position
from testservers import CertPair, FtpServer, SmtpConfig, SmtpServer, make_self_signed_cert  # noqa: E402

FTP_USER = "conaktiv"
SMTP_USER = "mailer"


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> CertPair:
    """One self-signed localhost/127.0.0.1 certificate for all TLS servers of the session (RSA key generation is the slow part)."""
    return make_self_signed_cert(tmp_path_factory.mktemp("tls"))


def _ftp(tmp_path: Path, tls: CertPair | None) -> Iterator[FtpServer]:
    root = tmp_path / "ftp-root"
    root.mkdir()
    with FtpServer(root, FTP_USER, f"pw-{secrets.token_hex(6)}", work_dir=tmp_path / "ftp-server", tls=tls) as server:
        yield server


@pytest.fixture
def ftp_server(tmp_path: Path) -> Iterator[FtpServer]:
    """Plain FTP server; one user whose home folder is `.root`."""
    yield from _ftp(tmp_path, None)


@pytest.fixture
def ftps_server(tmp_path: Path, tls_cert: CertPair) -> Iterator[FtpServer]:
    """Explicit FTPS server (TLS required on control and data); clients trust `.ca_file`."""
    yield from _ftp(tmp_path, tls_cert)


def _smtp(tmp_path: Path, config: SmtpConfig) -> Iterator[SmtpServer]:
    with SmtpServer(tmp_path / "maildir", work_dir=tmp_path / "smtp-server", config=config) as server:
        yield server


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """Plain SMTP, no AUTH."""
    yield from _smtp(tmp_path, SmtpConfig())


@pytest.fixture
def smtp_starttls_server(tmp_path: Path, tls_cert: CertPair) -> Iterator[SmtpServer]:
    """SMTP that requires STARTTLS before MAIL; clients trust `.ca_file`."""
    yield from _smtp(tmp_path, SmtpConfig(mode="starttls", tls=tls_cert))


@pytest.fixture
def smtp_auth_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """SMTP that requires AUTH (PLAIN/LOGIN) with `.user` / `.password`; allowed without TLS on loopback."""
    yield from _smtp(tmp_path, SmtpConfig(user=SMTP_USER, password=f"pw-{secrets.token_hex(6)}"))


@pytest.fixture
def smtp_ssl_server(tmp_path: Path, tls_cert: CertPair) -> Iterator[SmtpServer]:
    """SMTP over implicit TLS (SMTPS); clients trust `.ca_file`."""
    yield from _smtp(tmp_path, SmtpConfig(mode="ssl", tls=tls_cert))


@pytest.fixture
def sim_site_factory(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Install simulator sites on demand; every one is cleaned up (processes killed) at the end, pass or fail."""
    from conaktiv_sim.testing import Site  # pylint: disable=import-outside-toplevel

    # ExitStack runs every site's cleanup even when an earlier one raises.
    with contextlib.ExitStack() as cleanups:

        def install(name: str = "site", **options: Any) -> Any:
            options.setdefault("version", "1.0.0")
            site = Site.install(tmp_path / name, **options)
            cleanups.callback(site.cleanup)
            return site

        yield install


@pytest.fixture
def sim_site(sim_site_factory: Callable[..., Any]) -> Any:
    """A simulator site at version 1.0.0 in tmp_path/"site", installed but not started."""
    return sim_site_factory()


@pytest.fixture
def sim_package(tmp_path: Path) -> Callable[..., Path]:
    """Build vendor packages: sim_package("2.0.0", fmt="zip", size_mb=0, files=0, top_folder=True) -> Path."""
    from conaktiv_sim.testing import build_package  # pylint: disable=import-outside-toplevel

    folder = tmp_path / "packages"

    def build(version: str, name: str | None = None, **options: Any) -> Path:
        folder.mkdir(exist_ok=True)
        suffix = ".tar.gz" if options.get("fmt") == "tar.gz" else ".zip"
        return Path(build_package(folder / (name or f"ConAktiv-{version}{suffix}"), version, **options))

    return build
