# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by several phases, and the folder layout they imply.

The doc fragment ``conaktiv.server.common`` documents these same options; keep both in step.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ._control import CONTROL_SPEC
from ._history import HISTORY_FILE_NAME
from ._host import Host
from ._journal import JOURNAL_FILE_NAME
from ._naming import TEMP_FOLDER_NAME, validate_folder_name

STAGE_MARKER_NAME = "stage.json"

SERVICE_SPEC: dict[str, t.Any] = {
    "manager": {"type": "str", "choices": ["windows", "systemd", "command", "none"], "default": "none"},
    "name": {"type": "str"},
    "start_command": {"type": "list", "elements": "str"},
    "stop_command": {"type": "list", "elements": "str"},
    "status_command": {"type": "list", "elements": "str"},
}

COMMON_SPEC: dict[str, t.Any] = {
    "server_path": {"type": "str", "required": True},
    "temp_folder_name": {"type": "str", "default": TEMP_FOLDER_NAME},
    "history_path": {"type": "str"},
}

CONTROL_OPTION: dict[str, t.Any] = {"control": {"type": "dict", "options": CONTROL_SPEC}}
SERVICE_OPTION: dict[str, t.Any] = {"service": {"type": "dict", "options": SERVICE_SPEC}}


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where everything of one server installation lives on the host."""

    server: str
    parent: str
    name: str
    temp: str
    staged_tree: str
    stage_marker: str
    journal: str
    history: str


def layout(host: Host, args: dict[str, t.Any]) -> Layout:
    """The layout for ``server_path`` (absolute on the host) and the folder-name options."""
    server = str(args["server_path"]).rstrip("/\\") or str(args["server_path"])
    if not host.is_absolute(server):
        raise ValueError(f"server_path must be an absolute path on the host, got {server!r}")
    parent, name = host.parent(server), host.name(server)
    if not name:
        raise ValueError(f"server_path {server!r} names no folder")
    temp = host.join(parent, validate_folder_name(args.get("temp_folder_name") or TEMP_FOLDER_NAME))
    history = args.get("history_path") or host.join(parent, HISTORY_FILE_NAME)
    return Layout(server=server, parent=parent, name=name, temp=temp, staged_tree=host.join(temp, name),
                  stage_marker=host.join(temp, STAGE_MARKER_NAME), journal=host.join(parent, JOURNAL_FILE_NAME),
                  history=str(history))
