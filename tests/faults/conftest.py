"""The fault matrix (tests/faults): every row a real ansible-playbook run against the simulator with one fault injected.

``make test`` runs the rows marked ``representative`` (at least one per group, the overlap of two runs, and the opt-in
end by force of a server that will not stop, which no other test runs through a playbook); ``make faults``
sets CONAKTIV_FAULTS=all, runs every row and prints the matrix (``table.py``).
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import typing as t

import pytest

HERE = pathlib.Path(__file__).resolve().parent
INTEGRATION = HERE.parent / "integration"
for _path in (HERE, INTEGRATION):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

# pylint: disable=wrong-import-position
from harness import Bench  # noqa: E402
from hostlog import HostSyslog, namespace_problem  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "representative: a fault row that also runs in `make test` (at least one per group)")
    config.addinivalue_line("markers", "group(name): the group of a fault row in the matrix")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without CONAKTIV_FAULTS=all only the representative rows run (the whole matrix takes `make faults`)."""
    if os.environ.get("CONAKTIV_FAULTS") == "all":
        return
    skip = pytest.mark.skip(reason="a full fault-matrix row: run `make faults` (CONAKTIV_FAULTS=all)")
    for item in items:
        if item.path.parent == HERE and item.get_closest_marker("representative") is None:
            item.add_marker(skip)


@pytest.fixture
def make_bench(request: pytest.FixtureRequest, tmp_path: pathlib.Path, sim_package: t.Callable[..., pathlib.Path], ftp_server: t.Any,
               smtp_auth_server: t.Any) -> t.Iterator[t.Callable[..., Bench]]:
    """make_bench(site_root=None, size_mb=0, ftp=None): a running 1.0.0 site with two users who log off when told, the 2.0.0
    package (``size_mb`` of incompressible filler) on FTP, an SMTP catcher and the host's syslog captured."""
    from conaktiv_sim.testing import Site  # pylint: disable=import-outside-toplevel

    problem = namespace_problem()
    if problem:
        pytest.skip(problem)
    marker = request.node.get_closest_marker("group")
    sites: list[t.Any] = []
    syslogs: list[HostSyslog] = []

    def make(site_root: pathlib.Path | None = None, size_mb: int = 0, ftp: t.Any = None) -> Bench:
        site = Site.install(site_root or tmp_path / "site", version="1.0.0", faults={"migration_seconds": 1})
        sites.append(site)
        site.start()
        site.login("anna", "ben", logoff_after=1)
        server = ftp or ftp_server
        package = sim_package("2.0.0", size_mb=size_mb)
        (server.root / package.name).write_bytes(package.read_bytes())
        syslog = HostSyslog(tmp_path / "syslog").__enter__()
        syslogs.append(syslog)
        return Bench(tmp=tmp_path, site=site, ftp=server, smtp=smtp_auth_server, package=package, syslog=syslog,
                     row=_row_name(request.node), group=marker.args[0] if marker else "other")

    yield make
    for syslog in syslogs:
        syslog.close()
    for site in sites:
        site.cleanup()


def _row_name(node: pytest.Item) -> str:
    """The row's name in the matrix: a table row's id, or the test's name."""
    callspec = getattr(node, "callspec", None)
    return callspec.id if callspec is not None else node.name.removeprefix("test_")


@pytest.fixture
def bench(make_bench: t.Callable[..., Bench]) -> Bench:
    """The usual bench (see make_bench)."""
    return make_bench()


@pytest.fixture
def tmpfs(tmp_path: pathlib.Path) -> t.Iterator[t.Callable[[str], pathlib.Path]]:
    """Mount a size-limited tmpfs (a small disk); unmounted at the end. Needs root."""
    mounted: list[pathlib.Path] = []
    if os.geteuid() != 0:
        pytest.skip("a small disk (tmpfs) needs root")

    def mount(size: str) -> pathlib.Path:
        target = tmp_path / f"disk{len(mounted)}"
        target.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "conaktiv-faults", str(target)], check=True)
        mounted.append(target)
        return target

    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", str(target)], check=False)
