"""install lays down a site as it looks after months of use; site-info describes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conaktiv_sim.layout import DEFAULT_SETTINGS
from conaktiv_sim.testing import SIMULATOR_ROOT, Site


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """python -m conaktiv_sim ... with the simulator importable."""
    return subprocess.run([sys.executable, "-m", "conaktiv_sim", *args], cwd=SIMULATOR_ROOT, capture_output=True,
                          text=True, check=False, timeout=60)


def test_installed_layout(site: Site) -> None:
    root = site.root
    assert site.server_dir == root / "ConAktiv Server" and site.data_dir == root / "ConAktiv Data"
    assert site.backup_dir == root / "Backups" and site.backup_dir.is_dir()
    assert site.version_on_disk() == "1.0.0" and site.structure_version() == "1.0.0"
    database = site.server_dir / "Server Database"
    for relative in ("cert.pem", "key.pem", "Resources/Hunspell/de_DE.dic", "Resources/Hunspell/de_DE.aff",
                     "Resources/Hunspell/custom.dic", "Preferences/settings.json", "Preferences/backup.json"):
        assert (database / relative).is_file(), relative
    assert (database / "cert.pem").read_text().startswith("-----BEGIN CERTIFICATE-----\n")
    assert (database / "key.pem").read_text().strip().endswith("-----END PRIVATE KEY-----")
    assert "Kundenakte" in (database / "Resources/Hunspell/custom.dic").read_text()
    assert (site.server_dir / "lib" / "conaktiv-1.0.0.jar").is_file()
    assert len(list((site.data_dir / "records").glob("*.json"))) == 40
    assert os.access(site.wrapper, os.X_OK)
    service = json.loads((site.service_dir / "service.json").read_text())
    assert service["server_dir"] == str(site.server_dir) and service["data_dir"] == str(site.data_dir)
    assert not (site.service_dir / "faults.json").exists()


def test_installed_preferences_are_not_the_defaults(site: Site) -> None:
    preferences = site.server_dir / "Server Database" / "Preferences"
    settings = json.loads((preferences / "settings.json").read_text())
    differing = {key for key, default in DEFAULT_SETTINGS.items() if settings[key] != default}
    assert differing == set(DEFAULT_SETTINGS)
    assert settings["cache_mb"] == 512 and settings["timeout_s"] == 900
    assert settings["webserver_autostart"] is True and settings["webserver_port"] == 8081
    assert (settings["client_port"], settings["control_port"], settings["control_token"]) == (site.client_port, site.control_port, site.token)
    assert json.loads((preferences / "backup.json").read_text()) == {"backup_folder": str(site.backup_dir), "keep": 5}


def test_each_site_has_its_own_certificate_and_ports(make_site) -> None:
    first, second = make_site("a"), make_site("b")
    assert first.snapshot(["ConAktiv Server/Server Database/cert.pem"])["ConAktiv Server/Server Database/cert.pem"] != \
        second.snapshot(["ConAktiv Server/Server Database/cert.pem"])["ConAktiv Server/Server Database/cert.pem"]
    assert len({first.client_port, first.control_port, second.client_port, second.control_port}) == 4


def test_snapshot_hashes_files_and_folders(site: Site) -> None:
    snapshot = site.snapshot(["ConAktiv Server/version.txt", site.server_dir / "Server Database" / "Resources"])
    assert set(snapshot) == {"ConAktiv Server/version.txt", "ConAktiv Server/Server Database/Resources/Hunspell/de_DE.dic",
                             "ConAktiv Server/Server Database/Resources/Hunspell/de_DE.aff",
                             "ConAktiv Server/Server Database/Resources/Hunspell/custom.dic"}
    (site.server_dir / "Server Database" / "Resources" / "Hunspell" / "custom.dic").write_text("1\nanders\n")
    assert site.snapshot([site.server_dir / "Server Database" / "Resources"]) != \
        {key: value for key, value in snapshot.items() if key != "ConAktiv Server/version.txt"}


def test_install_and_site_info_command_line(tmp_path: Path) -> None:
    root = tmp_path / "site"
    result = run_cli("install", "--root", str(root), "--version", "2.0.0", "--structure-version", "1.0.0",
                     "--server-name", "CA Server", "--client-port", "40001", "--control-port", "40002",
                     "--token", "secret", "--records", "5")
    assert result.returncode == 0, result.stderr
    installed = json.loads(result.stdout)
    assert installed["server_dir"] == str(root / "CA Server")
    assert (installed["version"], installed["structure_version"]) == ("2.0.0", "1.0.0")
    assert (installed["client_port"], installed["control_port"], installed["token"]) == (40001, 40002, "secret")
    assert len(list((root / "ConAktiv Data" / "records").iterdir())) == 5
    info = run_cli("site-info", "--root", str(root))
    assert info.returncode == 0 and json.loads(info.stdout) == installed
    again = run_cli("install", "--root", str(root), "--version", "2.0.0", "--server-name", "CA Server")
    assert again.returncode != 0 and "exists already" in again.stderr


def test_site_info_of_a_folder_without_site(tmp_path: Path) -> None:
    result = run_cli("site-info", "--root", str(tmp_path))
    assert result.returncode != 0 and "no site" in result.stderr
