"""Packages as real tools write them, staged through ansible-playbook: Info-ZIP, 7-Zip, bsdtar, and Windows layouts.

Info-ZIP's zip stores UTF-8 names without the UTF-8 flag, 7-Zip and bsdtar set it, bsdtar writes "./" before every name
without a top folder; zip tools on Windows write backslashes and (older ones, the Explorer) names in the OEM code page
CP850 without the flag (conaktiv_sim.package.build_windows_package). Every one must stage with the names it means.
"""

from __future__ import annotations

import shutil

import pytest

from playbook import run_tasks

from conaktiv_sim.package import UMLAUT_DICTIONARY, build_package_with_tool, build_windows_package

STAGE = "Stage the new ConAktiv version"
TOOLS = {"zip": "zip", "7zz": "7zip", "bsdtar": "libarchive-tools"}


def staged_tree(site):
    return site.server_dir.parent / "Temp_Updateordner" / "ConAktiv Server"


def stage(tmp_path, site, package):
    task = {"name": STAGE, "conaktiv.server.stage": {"server_path": str(site.server_dir), "version": "2.0.0", "source": str(package),
                                                     "force": True}}
    run = run_tasks(tmp_path / "play", [task])
    assert run.rc == 0, run.output
    tree = staged_tree(site)
    assert (tree / "version.txt").read_text().strip() == "2.0.0"
    assert (tree / UMLAUT_DICTIONARY).read_text(encoding="utf-8") == "1\nKundenstamm\n", sorted(p.name for p in (tree / UMLAUT_DICTIONARY).parent.iterdir())
    assert not list(tree.rglob("*\\*")), "a name with a backslash in it: the separators were not understood"
    return run


@pytest.mark.parametrize("top_folder", [True, False], ids=["top-folder", "no-top-folder"])
@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_packages_zipped_by_real_tools_stage_with_their_names(tmp_path, sim_site, tool, top_folder):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (Debian package {TOOLS[tool]}; scripts/test-peers.sh installs it as root)")
    stage(tmp_path, sim_site, build_package_with_tool(tmp_path / f"{tool}.zip", "2.0.0", tool, top_folder=top_folder))


@pytest.mark.parametrize(("encoding", "top_folder", "backslashes"),
                         [("cp850", True, True), ("cp850", False, True), ("cp437", True, True), ("utf-8", True, True), ("utf-8", True, False)],
                         ids=["oem-cp850", "oem-cp850-no-top-folder", "oem-cp437", "utf-8-flagged", "utf-8-flagged-slashes"])
def test_packages_written_on_windows_stage_with_their_names(tmp_path, sim_site, encoding, top_folder, backslashes):
    package = build_windows_package(tmp_path / "windows.zip", "2.0.0", encoding=encoding, top_folder=top_folder, backslashes=backslashes)
    run = stage(tmp_path, sim_site, package)
    assert "does not look like a ConAktiv server" not in run.output
