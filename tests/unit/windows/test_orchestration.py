# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The phases (real action plugins) against the emulated Windows host: the POSIX scenarios, on Windows."""

from __future__ import annotations

from conftest import Site, install_site


def test_probe(world, site, package):
    pkg = package("2.0.0")
    r = world.run("conaktiv.server.info", site.args())
    print(r)
    r = world.run("conaktiv.server.stage", {"server_path": site.server, "version": "2.0.0", "source": str(pkg)})
    print(r)
    r = world.run("conaktiv.server.service", {**site.args(), "state": "stopped", "max_wait": 2})
    print(r)
    r = world.run("conaktiv.server.swap", site.args(version="2.0.0"))
    print(r)
    r = world.run("conaktiv.server.service", {**site.args(), "state": "started", "start_timeout": 10})
    print(r)
    r = world.run("conaktiv.server.structure_update", {"control": site.args()["control"], "version": "2.0.0", "timeout": 10})
    print(r)
    r = world.run("conaktiv.server.swap", site.args(state="cleaned"))
    print(r)
    print(site.names())
    assert 0
