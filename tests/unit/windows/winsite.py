# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A used ConAktiv installation on the emulated Windows host, with its Windows service."""

from __future__ import annotations

import dataclasses
import typing as t

from winemu import FakeService, WindowsEmulator

from conaktiv_sim.install import CUSTOM_WORDS, pem, site_settings
from conaktiv_sim.layout import json_bytes, server_files

BASE = "D:\\ConAktiv"
SERVER = f"{BASE}\\ConAktiv Server"
PRESERVED = ("Server Database\\Preferences\\settings.json", "Server Database\\Preferences\\backup.json", "Server Database\\cert.pem",
             "Server Database\\key.pem", "Server Database\\Resources\\Hunspell\\custom.dic")


@dataclasses.dataclass
class Site:
    """A ConAktiv installation on the emulated host."""

    emulator: WindowsEmulator
    base: str
    service: FakeService

    @property
    def server(self) -> str:
        return f"{self.base}\\ConAktiv Server"

    def control(self, **extra: t.Any) -> dict[str, t.Any]:
        """service and control settings (for the service and structure_update phases)."""
        return {"service": {"manager": "windows", "name": self.service.name},
                "control": {"type": "http", "url": f"http://127.0.0.1:{self.service.control_port}", "token": self.service.token, "timeout": 5},
                **extra}

    def args(self, **extra: t.Any) -> dict[str, t.Any]:
        """server_path, service and control settings (for info, swap, backup)."""
        return {"server_path": self.server, **self.control(), **extra}

    def read(self, winpath: str) -> str:
        return self.emulator.fs.local(winpath).read_text(encoding="utf-8")

    def exists(self, winpath: str) -> bool:
        return self.emulator.fs.local(winpath).exists()

    def version(self, folder: str | None = None) -> str:
        return self.read(f"{folder or self.server}\\version.txt").strip()

    def preserved(self, folder: str | None = None) -> dict[str, bytes]:
        """The carried-over files of a server folder."""
        root = folder or self.server
        return {item: self.emulator.fs.local(f"{root}\\{item}").read_bytes() for item in PRESERVED}

    def names(self, folder: str | None = None) -> list[str]:
        return sorted(path.name for path in self.emulator.fs.local(folder or self.base).iterdir())


def install_site(emulator: WindowsEmulator, base: str = BASE, version: str = "1.0.0", running: bool = True) -> Site:
    """Lay down a used ConAktiv installation (own settings, certificate, custom words, logs, user data) and its service."""
    server = f"{base}\\ConAktiv Server"
    for item in server_files(version):
        emulator.write(f"{server}\\{item.path.replace('/', chr(92))}", item.content)
    database = f"{server}\\Server Database"
    emulator.write(f"{database}\\Preferences\\settings.json", json_bytes(site_settings(2048, 2049, "emulated-token")))
    emulator.write(f"{database}\\Preferences\\backup.json", json_bytes({"backup_folder": f"{base}\\Backups", "keep": 5}))
    emulator.write(f"{database}\\cert.pem", pem("CERTIFICATE", 300))
    emulator.write(f"{database}\\key.pem", pem("PRIVATE KEY", 400))
    emulator.write(f"{database}\\Resources\\Hunspell\\custom.dic", f"{len(CUSTOM_WORDS)}\n" + "\n".join(CUSTOM_WORDS) + "\nMüllerstraße\n")
    emulator.write(f"{database}\\Logs\\server.log", "2024-06-15T08:00:00+01:00 server started\n")
    data = f"{base}\\ConAktiv Data"
    emulator.write(f"{data}\\structure.json", json_bytes({"structure_version": version}))
    for number in range(1, 4):
        emulator.write(f"{data}\\records\\record-{number:05d}.json", json_bytes({"id": number, "customer": f"Kunde {number:05d}"}))
    service = emulator.add_service(server_path=server, data_path=data, backup_path=f"{base}\\Backups", structure_version=version)
    if running:
        service.run_now()
    return Site(emulator, base, service)
