"""Fixtures of the simulator's own tests: sites in tmp_path that never outlive their test."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conaktiv_sim.testing import Site  # noqa: E402  pylint: disable=wrong-import-position

SiteFactory = Callable[..., Site]


@pytest.fixture
def make_site(tmp_path: Path) -> Iterator[SiteFactory]:
    """Factory of installed sites (few records, short timeouts); every site is cleaned up, even on failure."""
    sites: List[Site] = []

    def factory(name: str = "site", version: str = "1.0.0", **options: Any) -> Site:
        options.setdefault("records", 40)
        options.setdefault("stop_timeout", 10)
        options.setdefault("start_timeout", 10)
        site = Site.install(tmp_path / name, version, **options)
        sites.append(site)
        return site

    yield factory
    for site in sites:
        site.cleanup()


@pytest.fixture
def site(make_site: SiteFactory) -> Site:
    """A stopped site of version 1.0.0 whose data is up to date."""
    return make_site()


@pytest.fixture
def running_site(site: Site) -> Site:
    """The site, started and ready."""
    site.start()
    site.wait_state("ready", timeout=10)
    return site
