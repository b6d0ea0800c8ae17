# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.structure_update: wait for the user-data structure update."""

from __future__ import annotations

import re
import time
import typing as t

from ansible_collections.conaktiv.server.plugins.plugin_utils._control import Control
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Host
from ansible_collections.conaktiv.server.plugins.plugin_utils._i18n import LANGUAGES, duration, text
from ansible_collections.conaktiv.server.plugins.plugin_utils._log_tail import LogFollower
from ansible_collections.conaktiv.server.plugins.plugin_utils._options import CONTROL_OPTION, SERVICE_OPTION
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction, PhaseFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._run_journal import JOURNAL_OPTION
from ansible_collections.conaktiv.server.plugins.plugin_utils._service import check_service_settings, service_state
from ansible_collections.conaktiv.server.plugins.plugin_utils._version import versions_match

ARGUMENT_SPEC: dict[str, t.Any] = {
    **CONTROL_OPTION,
    **SERVICE_OPTION,
    **JOURNAL_OPTION,
    "version": {"type": "str", "required": True},
    "timeout": {"type": "int", "default": 3600},
    "poll_interval": {"type": "int", "default": 5},
    "unreachable_grace": {"type": "int", "default": 30},
    "log_file": {"type": "str"},
    "success_pattern": {"type": "str", "default": r"structure update .* -> {version} finished"},
    "failure_pattern": {"type": "str", "default": r"structure update .* -> {version} (failed|aborted)"},
    "start_pattern": {"type": "str", "default": r"structure update .* -> {version} started"},
    "log_lines": {"type": "int", "default": 20},
    "language": {"type": "str", "choices": list(LANGUAGES), "default": "de"},
}
# Seconds between two progress lines at the default verbosity while the structure update runs.
SAY_EVERY_S = 300


class ActionModule(PhaseAction):
    """Wait until the server runs ``version`` and its structure update finished."""

    ARGUMENT_SPEC = ARGUMENT_SPEC
    JOURNAL_KEYS = ("state", "server_version", "structure_version", "outcome")

    def lease_seconds(self, args: dict[str, t.Any]) -> float:
        return float(args["timeout"] + args["unreachable_grace"])

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        control = Control(host, args.get("control"))
        if not control.enabled and not args.get("log_file"):
            raise PhaseFailed("structure_update needs control (type http or command) or log_file to know when the update finished")
        patterns = {key: self._pattern(args, key) for key in ("success", "failure", "start")}
        log = LogFollower(args["log_file"], host.text_encoding) if args.get("log_file") else None
        started = time.monotonic()
        deadline = started + args["timeout"]
        if self._task.check_mode:
            # Check mode reports the plain picture: every log line counts as news.
            seen = self._observe(host, control, args, patterns, log, stale_lines=0)
            return {"changed": False, "msg": "check mode: not waiting for the structure update", **self._public(seen)}
        last_seen = time.monotonic()
        delay = 0.5
        stale_lines: int | None = None
        language, name, said = args["language"], str(task_vars.get("inventory_hostname", "")), False
        while True:
            seen = self._observe(host, control, args, patterns, log, stale_lines)
            if stale_lines is None:
                stale_lines = seen["log_lines"]
            if seen["outcome"] == "stale_failure" and time.monotonic() - started > args["unreachable_grace"]:
                # Nobody started a new attempt within the grace: the old failure stands.
                seen.update(outcome="failed", state="failed",
                            error=f"{seen['stale_error']} (no new attempt started within {args['unreachable_grace']} s)")
            if seen["outcome"] == "finished":
                if said:
                    self.say(text("migration_done", language, host=name, waited=duration(time.monotonic() - started, language), version=args["version"]))
                return {"changed": False, "duration_s": round(time.monotonic() - started, 1), "msg": f"version {args['version']} is ready",
                        **self._public(seen)}
            if not said:
                # Only a structure update that did not end at the first look is reported: a quick one needs no line.
                self.say(text("migration_start", language, host=name, version=args["version"], limit=duration(args["timeout"], language)))
                said, last_said = True, time.monotonic()
            elif time.monotonic() - last_said >= SAY_EVERY_S:
                self.say(text("migration_progress", language, host=name, waited=duration(time.monotonic() - started, language),
                              state=seen.get("state")))
                last_said = time.monotonic()
            if seen["outcome"] == "failed":
                raise PhaseFailed(f"the structure update to {args['version']} failed: {seen.get('error') or 'see log_tail'}", **self._public(seen))
            if seen["outcome"] != "unreachable":
                last_seen = time.monotonic()
            elif self._process_ended(host, args):
                raise PhaseFailed(f"the server process ended during the structure update to {args['version']} (it stopped answering and "
                                  "the service manager reports it stopped): it crashed; see the server's log"
                                  + (f": {seen['log_tail'][-1]}" if seen.get("log_tail") else ""), **self._public(seen))
            elif time.monotonic() - last_seen > args["unreachable_grace"]:
                raise PhaseFailed(f"the server stopped answering during the structure update to {args['version']} "
                                  f"(no answer for {args['unreachable_grace']} s)", **self._public(seen))
            if time.monotonic() >= deadline:
                raise PhaseFailed(f"the structure update to {args['version']} did not finish within {args['timeout']} s "
                                  f"(last state: {seen.get('state')})", **self._public(seen))
            self.progress(f"structure update: {seen.get('state')}", task_vars)
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, max(1, args["poll_interval"]))

    @staticmethod
    def _process_ended(host: Host, args: dict[str, t.Any]) -> bool:
        """Whether the service manager says the server is gone (a crash need not wait for unreachable_grace)."""
        settings = check_service_settings(args.get("service"))
        if settings["manager"] == "none":
            return False
        return service_state(host, settings) == "stopped"

    @staticmethod
    def _public(seen: dict[str, t.Any]) -> dict[str, t.Any]:
        """The observation as returned to the user: internal bookkeeping left out."""
        public = {key: value for key, value in seen.items() if key not in ("log_lines", "stale_error")}
        if public.get("outcome") == "stale_failure":
            public["outcome"] = "running"
        return public

    @staticmethod
    def _pattern(args: dict[str, t.Any], key: str) -> re.Pattern[str]:
        """The compiled ``<key>_pattern`` with ``{version}`` filled in; a clear error for a bad expression."""
        try:
            return re.compile(args[f"{key}_pattern"].replace("{version}", re.escape(args["version"])))
        except re.error as exc:
            raise PhaseFailed(f"{key}_pattern {args[f'{key}_pattern']!r} is not a valid regular expression: {exc}") from None

    @staticmethod
    def _observe(host: Host, control: Control, args: dict[str, t.Any], patterns: dict[str, re.Pattern[str]], log_file: LogFollower | None,
                 stale_lines: int | None) -> dict[str, t.Any]:
        """One look at the server: outcome is finished, failed, stale_failure, running or unreachable.

        A failure line among the first ``stale_lines`` lines of the log (None: all of them, as on the first look) may
        be left from an earlier attempt: the control interface decides then, or without one it counts as
        ``stale_failure`` until a newer start line shows a new attempt (the caller gives it unreachable_grace).
        """
        # The status first, then the log: the server logs the end of the update before it reports ready, so the log
        # read second is never older than the status and the returned log_tail shows what the outcome is based on.
        status = control.status() if control.enabled else None
        # Only what is new is read each time, sharing the file with the server that writes it.
        log = log_file.look(host) if log_file else None
        lines = log or []
        seen: dict[str, t.Any] = {"log_lines": len(lines)}
        if log is not None:
            seen["log_tail"] = lines[-max(1, args["log_lines"]):]
        verdict, index = ActionModule._log_verdict(lines, patterns)
        stale = verdict == "failed" and index < (len(lines) if stale_lines is None else stale_lines)
        if verdict == "failed" and not stale:
            return {**seen, "outcome": "failed", "error": lines[index].strip(), "state": "failed"}
        if not control.enabled:
            if verdict == "finished":
                return {**seen, "outcome": "finished", "state": "ready"}
            if stale:
                return {**seen, "outcome": "stale_failure", "stale_error": lines[index].strip(), "state": "migrating"}
            return {**seen, "outcome": "running", "state": "migrating"}
        if status is None:
            return {**seen, "outcome": "unreachable", "state": "unreachable"}
        seen.update(state=status.get("state"), server_version=status.get("version"), structure_version=status.get("structure_version"))
        if status.get("state") == "failed":
            return {**seen, "outcome": "failed", "error": status.get("error")}
        version_ok = status.get("version") is not None and versions_match(str(status["version"]), args["version"])
        if status.get("state") == "ready" and version_ok:
            return {**seen, "outcome": "finished"}
        if status.get("state") == "ready" and not version_ok:
            return {**seen, "outcome": "failed", "error": f"the server runs version {status.get('version')}, not {args['version']}"}
        return {**seen, "outcome": "running"}

    @staticmethod
    def _log_verdict(lines: list[str], patterns: dict[str, re.Pattern[str]]) -> tuple[str | None, int]:
        """What the newest matching log line says (failed, finished, started or None) and its index.

        The newest line decides: an older failure followed by a new start is a new attempt.
        """
        for index in range(len(lines) - 1, -1, -1):
            for verdict, key in (("failed", "failure"), ("finished", "success"), ("started", "start")):
                if patterns[key].search(lines[index]):
                    return verdict, index
        return None, -1
