# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.history: append one run's record to the update history."""

from __future__ import annotations

import typing as t

from ansible_collections.conaktiv.server.plugins.plugin_utils._history import from_dict, redact, summary_line, to_line
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Host
from ansible_collections.conaktiv.server.plugins.plugin_utils._options import COMMON_SPEC, layout
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction, PhaseFailed

ARGUMENT_SPEC: dict[str, t.Any] = {
    **COMMON_SPEC,
    "record": {"type": "dict", "required": True},
    "redact": {"type": "list", "elements": "str", "default": [], "no_log": True},
}


class ActionModule(PhaseAction):
    """Validate the record, scrub secrets from it and append it as one JSON line."""

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        where = layout(host, args)
        try:
            record = from_dict(redact(args["record"], [secret for secret in args["redact"] if secret]))
        except (KeyError, TypeError, ValueError) as exc:
            raise PhaseFailed(f"the history record is not valid: {exc}") from exc
        line = to_line(record)
        result = {"history_path": where.history, "summary": summary_line(record), "run_id": record.run_id}
        if self._task.check_mode:
            return {**result, "changed": True, "msg": f"would append to {where.history}"}
        changed = host.append_line(where.history, line.rstrip("\n"))
        return {**result, "changed": changed, "msg": f"recorded in {where.history}" if changed else "this record is already in the history"}
