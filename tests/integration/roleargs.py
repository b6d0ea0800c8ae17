"""Inventory variables that point the conaktiv_update role at a simulator site."""

from __future__ import annotations

import hashlib
import typing as t

import yaml


def role_vars(site: t.Any, package: t.Any, **extra: t.Any) -> dict[str, t.Any]:
    """Role variables for updating ``site`` with ``package`` (a controller file), forced into the window."""
    wrapper = str(site.wrapper)
    values = {
        "conaktiv_update_server_path": str(site.server_dir),
        "conaktiv_update_data_path": str(site.data_dir),
        "conaktiv_update_version": "2.0.0",
        "conaktiv_update_source": str(package),
        "conaktiv_update_checksum": "sha256:" + hashlib.sha256(package.read_bytes()).hexdigest(),
        "conaktiv_update_force": True,
        "conaktiv_update_service_manager": "command",
        "conaktiv_update_start_command": [wrapper, "start"],
        "conaktiv_update_stop_command": [wrapper, "stop"],
        "conaktiv_update_status_command": [wrapper, "status"],
        "conaktiv_update_client_port": site.client_port,
        "conaktiv_update_pid_file": str(site.data_dir / "server.pid"),
        "conaktiv_update_control": {"type": "http", "url": f"http://127.0.0.1:{site.control_port}", "token": site.token, "timeout": 10},
        "conaktiv_update_max_wait": 10,
        "conaktiv_update_poll_interval": 1,
        "conaktiv_update_stop_timeout": 20,
        "conaktiv_update_start_timeout": 20,
        "conaktiv_update_structure_update_timeout": 30,
        "conaktiv_update_backup": {"method": "server", "dir": str(site.root / "Backups"), "keep": 5},
    }
    values.update(extra)
    return values


def write_inventory(path: t.Any, hosts: dict[str, dict[str, t.Any]]) -> str:
    """An inventory with ``hosts`` (name -> vars, local connection) in the group conaktiv_servers."""
    inventory = {"conaktiv_servers": {"hosts": {name: {"ansible_connection": "local", **values} for name, values in hosts.items()}}}
    path.write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
    return str(path)
