"""The files of a ConAktiv server folder as the vendor ships it (shared by package and install)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator

SERVER_NAME = "ConAktiv Server"
DATA_NAME = "ConAktiv Data"
BACKUP_NAME = "Backups"
SERVICE_NAME = "service"
DATABASE = "Server Database"
PREFERENCES = f"{DATABASE}/Preferences"
HUNSPELL = f"{DATABASE}/Resources/Hunspell"
SERVER_PROGRAM = "conaktiv_server.py"
SERVER_SOURCE = Path(__file__).with_name("server.py")

DEFAULT_SETTINGS: Dict[str, object] = {
    "client_port": 2048,
    "control_port": 2049,
    "control_token": "default",
    "webserver_autostart": False,
    "webserver_port": 8080,
    "cache_mb": 256,
    "timeout_s": 300,
}
DEFAULT_BACKUP: Dict[str, object] = {"backup_folder": BACKUP_NAME, "keep": 5}

# Fixed timestamp inside the generated jar, so a version's jar is byte-identical wherever it is built.
JAR_TIMESTAMP = (2024, 1, 1, 0, 0, 0)

DE_DIC = "\n".join(["12", "Adresse/N", "Angebot/EN", "Auftrag/EN", "Besuch/EN", "Firma/P", "Kontakt/EN",
                    "Kunde/N", "Projekt/EN", "Rechnung/P", "Termin/EN", "Vertrag/EN", "Vorgang/EN"]) + "\n"
DE_AFF = "\n".join(["SET UTF-8", "TRY esianrtolcdugmphbyfvkwzESIANRTOLCDUGMPHBYFVKWZ", "",
                    "SFX N Y 1", "SFX N 0 n .", "", "SFX E Y 1", "SFX E 0 e .", "",
                    "SFX P Y 1", "SFX P 0 en .", ""]) + "\n"


@dataclass(frozen=True)
class TreeFile:
    """One file of a server folder: path relative to the folder, content, permission bits."""

    path: str
    content: bytes
    mode: int = 0o644


def json_bytes(data: object) -> bytes:
    """JSON as the simulated server writes its settings files."""
    return (json.dumps(data, indent=2) + "\n").encode("utf-8")


def version_jar(version: str) -> bytes:
    """A real (deterministic) jar whose content depends on the version."""
    seed = hashlib.sha256(f"conaktiv-{version}".encode("utf-8")).digest()
    payload = b"".join(hashlib.sha256(seed + bytes([block])).digest() for block in range(128))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as jar:
        manifest = f"Manifest-Version: 1.0\nImplementation-Title: ConAktiv Server\nImplementation-Version: {version}\n"
        jar.writestr(zipfile.ZipInfo("META-INF/MANIFEST.MF", JAR_TIMESTAMP), manifest)
        jar.writestr(zipfile.ZipInfo("de/conaktiv/server/Build.class", JAR_TIMESTAMP), payload)
    return buffer.getvalue()


def release_notes(version: str) -> bytes:
    """Release notes of one version."""
    return (f"ConAktiv Server {version}\n{'=' * (16 + len(version))}\n\n"
            f"- Structure version {version} of the user data (structure update on first start).\n"
            "- Fixes and improvements.\n").encode("utf-8")


def server_files(version: str) -> Iterator[TreeFile]:
    """Every file of a fresh server folder of this version (default settings, no certificate, no custom words)."""
    yield TreeFile("version.txt", f"{version}\n".encode("utf-8"))
    yield TreeFile(SERVER_PROGRAM, SERVER_SOURCE.read_bytes(), 0o755)
    yield TreeFile(f"lib/conaktiv-{version}.jar", version_jar(version))
    yield TreeFile(f"ReleaseNotes_{version}.txt", release_notes(version))
    yield TreeFile(f"{PREFERENCES}/settings.json", json_bytes(DEFAULT_SETTINGS))
    yield TreeFile(f"{PREFERENCES}/backup.json", json_bytes(DEFAULT_BACKUP))
    yield TreeFile(f"{HUNSPELL}/de_DE.dic", DE_DIC.encode("utf-8"))
    yield TreeFile(f"{HUNSPELL}/de_DE.aff", DE_AFF.encode("utf-8"))


def write_tree(folder: Path, files: Iterator[TreeFile]) -> None:
    """Write files below folder, creating parents."""
    for item in files:
        target = folder / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.content)
        target.chmod(item.mode)
