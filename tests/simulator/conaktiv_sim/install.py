"""Installed sites: a server folder, a data folder, a backup folder and a service, as after months of use."""

from __future__ import annotations

import base64
import json
import os
import random
import secrets
import shlex
import socket
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from .layout import (BACKUP_NAME, DATA_NAME, DATABASE, DEFAULT_SETTINGS, HUNSPELL, PREFERENCES, SERVER_NAME,
                     SERVICE_NAME, json_bytes, server_files, write_tree)

SERVICE_SOURCE = Path(__file__).with_name("service.py")
WRAPPER_NAME = "conaktiv-service"
DEFAULT_RECORDS = 300
CUSTOM_WORDS = ["ConAktiv", "Kundenakte", "Wiedervorlage", "Adressdublette", "Vertriebsgebiet"]
CITIES = ["Berlin", "Hamburg", "München", "Köln", "Leipzig", "Dresden", "Bremen", "Kiel"]


def free_ports(count: int) -> List[int]:
    """Distinct free TCP ports on 127.0.0.1 (all held open together, then released)."""
    sockets = []
    try:
        for _index in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def pem(kind: str, size: int) -> bytes:
    """PEM-looking block of random content (unique per site)."""
    body = base64.b64encode(os.urandom(size)).decode("ascii")
    lines = textwrap.wrap(body, 64)
    return "\n".join([f"-----BEGIN {kind}-----", *lines, f"-----END {kind}-----", ""]).encode("ascii")


def site_settings(client_port: int, control_port: int, token: str) -> Dict[str, Any]:
    """Non-default settings of a site in use."""
    settings = dict(DEFAULT_SETTINGS)
    settings.update({"client_port": client_port, "control_port": control_port, "control_token": token,
                     "webserver_autostart": True, "webserver_port": 8081, "cache_mb": 512, "timeout_s": 900})
    return settings


def write_site_database(server_dir: Path, settings: Dict[str, Any], backup_dir: Path, rng: random.Random) -> None:
    """What months of use leave in Server Database: own settings, certificate, custom words, logs."""
    database = server_dir / DATABASE
    (server_dir / PREFERENCES / "settings.json").write_bytes(json_bytes(settings))
    (server_dir / PREFERENCES / "backup.json").write_bytes(json_bytes({"backup_folder": str(backup_dir), "keep": 5}))
    (database / "cert.pem").write_bytes(pem("CERTIFICATE", 900))
    (database / "key.pem").write_bytes(pem("PRIVATE KEY", 1200))
    words = CUSTOM_WORDS + [f"Projekt{rng.randrange(10000, 99999)}"]
    (server_dir / HUNSPELL / "custom.dic").write_text(f"{len(words)}\n" + "\n".join(words) + "\n", encoding="utf-8")
    logs = database / "Logs"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "server.log").write_text("".join(f"2024-0{month}-15T08:00:00+01:00 server started\n" for month in range(1, 7)), encoding="utf-8")


def write_data(data_dir: Path, structure_version: str, records: int, rng: random.Random) -> None:
    """The user data folder: structure version and records."""
    record_dir = data_dir / "records"
    record_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "Logs").mkdir(exist_ok=True)
    (data_dir / "structure.json").write_bytes(json_bytes({"structure_version": structure_version}))
    for number in range(1, records + 1):
        record = {"id": number, "customer": f"Kunde {number:05d}", "city": rng.choice(CITIES),
                  "revenue": rng.randrange(1000, 250000), "updated": f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"}
        (record_dir / f"record-{number:05d}.json").write_bytes(json_bytes(record))


def write_service(service_dir: Path, config: Dict[str, Any]) -> Path:
    """service.json and the executable wrapper script; returns the wrapper's path."""
    service_dir.mkdir(parents=True, exist_ok=True)
    config_path = service_dir / "service.json"
    config_path.write_bytes(json_bytes(config))
    wrapper = service_dir / WRAPPER_NAME
    command = " ".join(shlex.quote(part) for part in (config["python"], str(SERVICE_SOURCE), "--config", str(config_path)))
    wrapper.write_text(
        "#!/bin/sh\n"
        f"# Service wrapper of the simulated ConAktiv site {shlex.quote(str(service_dir.parent))}.\n"
        f"# Usage: {WRAPPER_NAME} start | stop [--timeout N] | status | restart   (exit codes: see README)\n"
        f'exec {command} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return wrapper


def install_site(root: Union[str, Path], version: str = "1.0.0", server_name: str = SERVER_NAME,  # pylint: disable=too-many-arguments
                 client_port: Optional[int] = None, control_port: Optional[int] = None, token: Optional[str] = None,
                 records: int = DEFAULT_RECORDS, structure_version: Optional[str] = None,
                 stop_timeout: float = 30, start_timeout: float = 30, python: Optional[str] = None) -> Dict[str, Any]:
    """Lay down a site of `version` below root; returns the description site_info() gives."""
    root = Path(root).absolute()
    server_dir = root / server_name
    if server_dir.exists():
        raise FileExistsError(f"{server_dir} exists already")
    ports = free_ports(2)
    settings = site_settings(client_port or ports[0], control_port or ports[1], token or secrets.token_hex(12))
    rng = random.Random(str(root))
    backup_dir = root / BACKUP_NAME
    backup_dir.mkdir(parents=True, exist_ok=True)
    write_tree(server_dir, server_files(version))
    write_site_database(server_dir, settings, backup_dir, rng)
    write_data(root / DATA_NAME, structure_version or version, records, rng)
    write_service(root / SERVICE_NAME, {"server_dir": str(server_dir), "data_dir": str(root / DATA_NAME),
                                        "python": python or sys.executable, "stop_timeout": stop_timeout,
                                        "start_timeout": start_timeout})
    return site_info(root)


def _read_json(path: Path) -> Optional[Dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def site_info(root: Union[str, Path]) -> Dict[str, Any]:
    """Describe the site at root from its files (None for anything unreadable, e.g. in the middle of a swap)."""
    root = Path(root).absolute()
    service_dir = root / SERVICE_NAME
    service = _read_json(service_dir / "service.json")
    if service is None:
        raise FileNotFoundError(f"no site at {root}: {service_dir / 'service.json'} is missing or unreadable")
    server_dir, data_dir = Path(service["server_dir"]), Path(service["data_dir"])
    settings = _read_json(server_dir / PREFERENCES / "settings.json") or {}
    backup = _read_json(server_dir / PREFERENCES / "backup.json") or {}
    structure = _read_json(data_dir / "structure.json") or {}
    try:
        version: Optional[str] = (server_dir / "version.txt").read_text(encoding="utf-8").strip()
    except OSError:
        version = None
    backup_folder = backup.get("backup_folder")
    return {
        "root": str(root), "server_dir": str(server_dir), "data_dir": str(data_dir),
        "backup_dir": str(backup_folder) if backup_folder and Path(backup_folder).is_absolute() else str(server_dir.parent / (backup_folder or BACKUP_NAME)),
        "service_dir": str(service_dir), "wrapper": str(service_dir / WRAPPER_NAME), "python": service.get("python"),
        "version": version, "structure_version": structure.get("structure_version"),
        "client_port": settings.get("client_port"), "control_port": settings.get("control_port"), "token": settings.get("control_token"),
    }
