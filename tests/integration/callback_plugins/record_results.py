# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: writes every task result as one JSON line to $CONAKTIV_RESULTS_FILE."""

from __future__ import annotations

DOCUMENTATION = r"""
name: record_results
type: aggregate
short_description: Record task results for the integration tests
description:
  - Appends one JSON object per task result (host, task name, action, status, result) to the file named by
    the environment variable C(CONAKTIV_RESULTS_FILE).
requirements:
  - the environment variable C(CONAKTIV_RESULTS_FILE)
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Append task results to a JSON-lines file."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result, status: str) -> None:
        target = os.environ.get("CONAKTIV_RESULTS_FILE")
        if not target:
            return
        entry = {"host": result._host.get_name(), "task": result._task.get_name(), "action": result._task.action,
                 "status": status, "result": result._result}
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")

    def v2_runner_on_ok(self, result, **kwargs) -> None:
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs) -> None:
        self._record(result, "failed")

    def v2_runner_on_unreachable(self, result, **kwargs) -> None:
        self._record(result, "unreachable")

    def v2_runner_on_skipped(self, result, **kwargs) -> None:
        self._record(result, "skipped")
