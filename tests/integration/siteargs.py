"""Module arguments that point the phase modules at a simulator site."""

from __future__ import annotations

import typing as t


def control(site: t.Any) -> dict[str, t.Any]:
    """The http control settings of ``site``."""
    return {"type": "http", "url": f"http://127.0.0.1:{site.control_port}", "token": site.token, "timeout": 10}


def service(site: t.Any) -> dict[str, t.Any]:
    """The service wrapper of ``site`` as start/stop/status commands."""
    wrapper = str(site.wrapper)
    return {"manager": "command", "start_command": [wrapper, "start"], "stop_command": [wrapper, "stop"],
            "status_command": [wrapper, "status"]}


def server(site: t.Any, **extra: t.Any) -> dict[str, t.Any]:
    """server_path plus control and service for ``site``."""
    return {"server_path": str(site.server_dir), "control": control(site), "service": service(site), **extra}
