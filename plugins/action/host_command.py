# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.host_command: refuses arguments ansible-core would rewrite, then runs the module."""

from __future__ import annotations

from ansible_collections.conaktiv.server.plugins.modules.host_command import ARGUMENT_SPEC
from ansible_collections.conaktiv.server.plugins.plugin_utils._jsonargs import JsonArgsAction


class ActionModule(JsonArgsAction):
    """Run one command on the host (plugins/modules/host_command.py)."""

    MODULE = "conaktiv.server.host_command"
    ARGUMENT_SPEC = ARGUMENT_SPEC
