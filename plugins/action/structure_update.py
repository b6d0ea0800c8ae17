# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.structure_update: wait for the user-data structure update."""

from __future__ import annotations

import re
import time
import typing as t

from ansible_collections.conaktiv.server.plugins.plugin_utils._control import Control
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Host
from ansible_collections.conaktiv.server.plugins.plugin_utils._options import CONTROL_OPTION
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction, PhaseFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._version import compare_versions

ARGUMENT_SPEC: dict[str, t.Any] = {
    **CONTROL_OPTION,
    "version": {"type": "str", "required": True},
    "timeout": {"type": "int", "default": 3600},
    "poll_interval": {"type": "int", "default": 5},
    "unreachable_grace": {"type": "int", "default": 30},
    "log_file": {"type": "str"},
    "success_pattern": {"type": "str", "default": r"structure update .* -> {version} finished"},
    "failure_pattern": {"type": "str", "default": r"structure update .* -> {version} (failed|aborted)"},
    "start_pattern": {"type": "str", "default": r"structure update .* -> {version} started"},
    "log_lines": {"type": "int", "default": 20},
}


class ActionModule(PhaseAction):
    """Wait until the server runs ``version`` and its structure update finished."""

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        control = Control(host, args.get("control"))
        if not control.enabled and not args.get("log_file"):
            raise PhaseFailed("structure_update needs control (type http or command) or log_file to know when the update finished")
        patterns = {key: self._pattern(args, key) for key in ("success", "failure", "start")}
        started = time.monotonic()
        deadline = started + args["timeout"]
        if self._task.check_mode:
            return {"changed": False, "msg": "check mode: not waiting for the structure update", **self._observe(host, control, args, patterns)}
        last_seen = time.monotonic()
        delay = 0.5
        while True:
            seen = self._observe(host, control, args, patterns)
            if seen["outcome"] == "finished":
                return {"changed": False, "duration_s": round(time.monotonic() - started, 1), "msg": f"version {args['version']} is ready",
                        **seen}
            if seen["outcome"] == "failed":
                raise PhaseFailed(f"the structure update to {args['version']} failed: {seen.get('error') or 'see log_tail'}", **seen)
            if seen["outcome"] != "unreachable":
                last_seen = time.monotonic()
            elif time.monotonic() - last_seen > args["unreachable_grace"]:
                raise PhaseFailed(f"the server stopped answering during the structure update to {args['version']} "
                                  f"(no answer for {args['unreachable_grace']} s)", **seen)
            if time.monotonic() >= deadline:
                raise PhaseFailed(f"the structure update to {args['version']} did not finish within {args['timeout']} s "
                                  f"(last state: {seen.get('state')})", **seen)
            self.progress(f"structure update: {seen.get('state')}", task_vars)
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, max(1, args["poll_interval"]))

    @staticmethod
    def _pattern(args: dict[str, t.Any], key: str) -> re.Pattern[str]:
        """The compiled ``<key>_pattern`` with ``{version}`` filled in; a clear error for a bad expression."""
        try:
            return re.compile(args[f"{key}_pattern"].replace("{version}", re.escape(args["version"])))
        except re.error as exc:
            raise PhaseFailed(f"{key}_pattern {args[f'{key}_pattern']!r} is not a valid regular expression: {exc}") from None

    @staticmethod
    def _observe(host: Host, control: Control, args: dict[str, t.Any], patterns: dict[str, re.Pattern[str]]) -> dict[str, t.Any]:
        """One look at the server: outcome is finished, failed, running or unreachable."""
        seen: dict[str, t.Any] = {}
        log = host.read_text(args["log_file"]) if args.get("log_file") else None
        if log is not None:
            lines = log.splitlines()
            seen["log_tail"] = lines[-max(1, args["log_lines"]):]
            # The newest matching line decides: an older failure followed by a new start is a new attempt.
            for line in reversed(lines):
                if patterns["failure"].search(line):
                    return {**seen, "outcome": "failed", "error": line.strip(), "state": "failed"}
                if patterns["success"].search(line):
                    if not control.enabled:
                        return {**seen, "outcome": "finished", "state": "ready"}
                    break
                if patterns["start"].search(line):
                    break
        if not control.enabled:
            return {**seen, "outcome": "running", "state": "migrating"}
        status = control.status()
        if status is None:
            return {**seen, "outcome": "unreachable", "state": "unreachable"}
        seen.update(state=status.get("state"), server_version=status.get("version"), structure_version=status.get("structure_version"))
        if status.get("state") == "failed":
            return {**seen, "outcome": "failed", "error": status.get("error")}
        version_ok = status.get("version") is not None and compare_versions(str(status["version"]), args["version"]) == 0
        if status.get("state") == "ready" and version_ok:
            return {**seen, "outcome": "finished"}
        if status.get("state") == "ready" and not version_ok:
            return {**seen, "outcome": "failed", "error": f"the server runs version {status.get('version')}, not {args['version']}"}
        return {**seen, "outcome": "running"}
