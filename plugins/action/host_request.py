# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.host_request: refuses arguments ansible-core would rewrite, then runs the module."""

from __future__ import annotations

from ansible_collections.conaktiv.server.plugins.modules.host_request import ARGUMENT_SPEC
from ansible_collections.conaktiv.server.plugins.plugin_utils._jsonargs import JsonArgsAction


class ActionModule(JsonArgsAction):
    """Send one HTTP request from the host (plugins/modules/host_request.py)."""

    MODULE = "conaktiv.server.host_request"
    ARGUMENT_SPEC = ARGUMENT_SPEC
