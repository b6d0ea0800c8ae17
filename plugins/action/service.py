# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for conaktiv.server.service: drain and stop, start and wait for health."""

from __future__ import annotations

import time
import typing as t

from ansible.utils.display import Display

from ansible_collections.conaktiv.server.plugins.plugin_utils._control import Control, ControlAuthError, ControlError
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import Host
from ansible_collections.conaktiv.server.plugins.plugin_utils._i18n import (
    DEFAULT_STOP_MESSAGE, LANGUAGES, duration, in_minutes, minutes_until, people, text)
from ansible_collections.conaktiv.server.plugins.plugin_utils._journal import start_refusal
from ansible_collections.conaktiv.server.plugins.plugin_utils._options import CONTROL_OPTION, SERVICE_OPTION
from ansible_collections.conaktiv.server.plugins.plugin_utils._phase import PhaseAction, PhaseFailed
from ansible_collections.conaktiv.server.plugins.plugin_utils._run_journal import JOURNAL_OPTION
from ansible_collections.conaktiv.server.plugins.plugin_utils._service import check_service_settings, drive_service, service_state
from ansible_collections.conaktiv.server.plugins.plugin_utils._text import format_duration, render_message

display = Display()


ARGUMENT_SPEC: dict[str, t.Any] = {
    **CONTROL_OPTION,
    **SERVICE_OPTION,
    **JOURNAL_OPTION,
    "state": {"type": "str", "choices": ["started", "stopped", "restarted"], "required": True},
    "client_port": {"type": "int"},
    "pid_file": {"type": "str"},
    "wait_for_logoff": {"type": "bool", "default": True},
    "max_wait": {"type": "int", "default": 900},
    "message": {"type": "str"},
    "language": {"type": "str", "choices": list(LANGUAGES), "default": "de"},
    "version": {"type": "str", "default": "(new)"},
    "reminder_interval": {"type": "int", "default": 300},
    "poll_interval": {"type": "int", "default": 5},
    "stop_timeout": {"type": "int", "default": 300},
    "start_timeout": {"type": "int", "default": 300},
    "verify_stop": {"type": "bool", "default": True},
    "kill_after": {"type": "int", "default": 0},
}


class ActionModule(PhaseAction):
    """Drive the ConAktiv server to started / stopped / restarted."""

    ARGUMENT_SPEC = ARGUMENT_SPEC
    JOURNAL_KEYS = ("state", "state_before", "stopped_at", "started_at", "killed")
    _host_name = ""
    # The begin goes with the stop or start command (the drain before it changes nothing on the host).
    JOURNAL_BEGIN_WITH_CHANGE = True

    def lease_seconds(self, args: dict[str, t.Any]) -> float:
        return float(max(0, args["max_wait"]) + args["stop_timeout"] + args["start_timeout"])

    def execute(self, host: Host, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        settings = check_service_settings(args.get("service"))
        if settings["manager"] == "none":
            raise PhaseFailed("service.manager is 'none': set a Windows service, a systemd unit or start/stop commands")
        # A bad template must fail before anything happens, also under --check and without a control interface.
        args["message"] = args.get("message") or DEFAULT_STOP_MESSAGE[args["language"]]
        render_message(args["message"], minutes=0, in_minutes=in_minutes(0, args["language"]), version=args["version"])
        self._check_kill_after(settings, args)
        self._host_name = str(task_vars.get("inventory_hostname", ""))
        control = Control(host, args.get("control"))
        before = service_state(host, settings)
        if before == "absent":
            raise PhaseFailed(f"the service {settings.get('name')!r} does not exist on this host")
        if before == "unknown":
            source = (f"service.status_command {' '.join(settings['status_command'])!r} exited with neither 0 (running) nor 1 to 3 (stopped)"
                      if settings["manager"] == "command" else f"the {settings['manager']} service manager reported no usable state")
            raise PhaseFailed(f"cannot tell whether the server runs: {source}")
        wanted = args["state"]
        result: dict[str, t.Any] = {"state_before": before, "changed": False}
        if (wanted == "stopped" and before == "stopped") or (wanted == "started" and before == "running"):
            if wanted == "started":
                result.update(self._wait_healthy(host, settings, control, args, check_only=True))
            return {**result, "state": "stopped" if wanted == "stopped" else "running", "msg": f"the server is already {wanted}"}
        if self._task.check_mode:
            return {**result, "changed": True, "state": "stopped" if wanted == "stopped" else "running", "msg": f"would be {wanted}"}
        if wanted in ("started", "restarted") and self.journal is not None:
            # Never start a version whose carry-over the journal does not confirm (it would run with the package's defaults).
            refusal = start_refusal(self.journal.read().chain(self.journal.run))
            if refusal:
                raise PhaseFailed(f"not starting the server: {refusal}")
        # Any state but stopped (running, or a manager's pending/paused state) needs the stop; only a running server is drained.
        if wanted in ("stopped", "restarted") and before != "stopped":
            if before == "running":
                result.update(self._drain(host, control, args, task_vars))
            killed = self._stop(host, settings, control, args, before)
            result["stopped_at"] = time.time()
            if killed:
                result["killed"] = killed
        if wanted in ("started", "restarted"):
            self._start(host, settings, args)
            result.update(self._wait_healthy(host, settings, control, args))
            result["started_at"] = time.time()
        forced = f" (it did not stop within {args['kill_after']} s and was ended by force: {result['killed']})" if result.get("killed") else ""
        msg = f"the server was {wanted}{forced}"
        return {**result, "changed": True, "state": "stopped" if wanted == "stopped" else "running", "msg": msg}

    @staticmethod
    def _check_kill_after(settings: dict[str, t.Any], args: dict[str, t.Any]) -> None:
        """Refuse a kill_after that cannot work before anything happens (also under --check)."""
        kill_after = args["kill_after"]
        if kill_after < 0 or (kill_after and kill_after >= args["stop_timeout"]):
            raise PhaseFailed(f"kill_after must be 0 (never) or more than 0 and less than stop_timeout ({args['stop_timeout']} s), not {kill_after}")
        if kill_after and settings["manager"] == "command" and not args.get("pid_file"):
            raise PhaseFailed("kill_after needs pid_file when the server is run by commands: the pid file names the process to end")

    # -- drain ------------------------------------------------------------------------------------
    def _drain(self, host: Host, control: Control, args: dict[str, t.Any], task_vars: dict[str, t.Any]) -> dict[str, t.Any]:
        """Announce the stop and wait until every user logged off or the maximum wait passed.

        The wait is reported at the default verbosity (AWX shows no more): when it starts, at each reminder and when it ends.
        """
        max_wait, started = max(0, args["max_wait"]), time.monotonic()
        deadline = started + max_wait
        users = self._sessions(host, control, args)
        messages: list[str] = []
        language, name = args["language"], str(task_vars.get("inventory_hostname", ""))
        limit = duration(max_wait, language)
        # Nobody logged on (the control interface says so): nobody to tell, only the server's console.
        self._announce(host, control if users != [] else Control(host, None), args, max_wait, messages)
        if not args["wait_for_logoff"] or users == [] or max_wait == 0:
            return {"drain": {"waited_s": 0.0, "remaining_users": users or [], "messages": messages}}
        self.say(text("drain_start", language, host=name, users=people(users, language), limit=limit,
                      have="hat" if len(users) == 1 else "haben") if users else text("drain_unknown", language, host=name, limit=limit))
        next_reminder = started + max(1, args["reminder_interval"])
        # None: the sessions cannot be queried, so the whole maximum wait is given, as the vendor's updater does.
        while (users is None or users) and time.monotonic() < deadline:
            left = deadline - time.monotonic()
            who = f"{len(users)} users still logged in ({', '.join(users[:5])}{', …' if len(users) > 5 else ''})" if users \
                else "logged-in users unknown"
            self.progress(f"{who} - {format_duration(time.monotonic() - started)}/{format_duration(max_wait)}", task_vars)
            if time.monotonic() >= next_reminder:
                self._announce(host, control, args, left, messages)
                next_reminder += max(1, args["reminder_interval"])
                if users:
                    self.say(text("drain_reminder", language, host=name, users=people(users, language), left=duration(left, language)))
            time.sleep(min(max(1, args["poll_interval"]), max(0.0, left)))
            users = self._sessions(host, control, args)
        waited = time.monotonic() - started
        timed_out = users is None or bool(users)
        if timed_out:
            self.say(text("drain_timeout", language, host=name, limit=limit, users=people(users, language) if users else "?"))
        else:
            self.say(text("drain_done", language, host=name, waited=duration(waited, language)))
        return {"drain": {"waited_s": round(waited, 1), "remaining_users": users or [], "messages": messages, "timed_out": timed_out}}

    @staticmethod
    def _announce(host: Host, control: Control, args: dict[str, t.Any], seconds_left: float, sent: list[str]) -> None:
        """Show the stop message on the server console (where there is one) and on every client; record what went out."""
        message = render_message(args["message"], minutes=minutes_until(seconds_left), in_minutes=in_minutes(seconds_left, args["language"]),
                                 version=args["version"])
        shown = host.message_console(message)
        if not control.enabled:
            if shown:
                sent.append(message)
            return
        try:
            control.message(message)
        except ControlAuthError:
            raise
        except ControlError as exc:
            # Not being able to tell the users must not block the update; the drain still waits for them.
            display.warning(f"conaktiv.server.service: the stop message could not be sent: {exc}")
            sent.append(f"(not sent) {message}")
            return
        sent.append(message)

    @staticmethod
    def _sessions(host: Host, control: Control, args: dict[str, t.Any]) -> list[str] | None:
        """Logged-in users from the control interface, else whether the client port has connections."""
        if control.enabled:
            try:
                return control.sessions()
            except ControlAuthError:
                raise
            except ControlError:
                return None
        if args.get("client_port"):
            # No control interface: no client connected to the client port (on any address) means nobody is logged in.
            return ["(connected client)"] if host.clients_connected(args["client_port"]) else []
        return None

    # -- stop / start -----------------------------------------------------------------------------
    def _stop(self, host: Host, settings: dict[str, t.Any], control: Control, args: dict[str, t.Any], before: str) -> str | None:
        """Stop the server; with ``kill_after``, one that has not stopped by then is ended by force. What the force did, or None."""
        deadline = time.monotonic() + args["stop_timeout"]
        # The graceful stop gets kill_after seconds when the server may be ended by force afterwards, else all of stop_timeout.
        graceful = args["kill_after"] or args["stop_timeout"]
        # Windows: set_service waits for the service's own process to end (win_wait_for_process): the stop call itself makes
        # sure, no extra look while the server is down.
        verified_by_the_stop = not args["verify_stop"] or settings["manager"] == "windows"
        # The begin goes with the stop command; when nothing more is to be looked at, the done too (with the host's time of
        # the stop): one round trip.
        done = {"state": "stopped", "state_before": before, "changed": True, "msg": "the server was stopped"} \
            if verified_by_the_stop and args["state"] == "stopped" else None
        try:
            drive_service(host, settings, "stopped", graceful, self.journal_bracket(done=done, numbers={"stopped_at": "epoch"}))
        except ValueError as exc:
            if not args["kill_after"]:
                raise PhaseFailed(f"stopping the ConAktiv server failed: {exc}") from exc
            return self._kill(host, settings, args, str(exc), deadline)
        if verified_by_the_stop:
            return None
        problem = self._still_running(host, control, args, time.monotonic() + graceful if args["kill_after"] else deadline)
        if problem is None:
            return None
        if not args["kill_after"]:
            raise PhaseFailed(problem)
        return self._kill(host, settings, args, problem, deadline)

    @staticmethod
    def _still_running(host: Host, control: Control, args: dict[str, t.Any], deadline: float) -> str | None:
        """Why the server has not stopped by ``deadline`` after the service manager said so, or None when it has."""
        # The service manager may report "stopped" before the process is gone and its files are free. One look is
        # enough, and the surest one: the pid file (removed when the process really exits), else the client port,
        # else the control interface (which may close a moment after the process reported its stop).
        seconds = max(1, int(deadline - time.monotonic()))
        if args.get("pid_file"):
            if not host.wait_for_absent(args["pid_file"], seconds):
                return f"the server process is still running {args['stop_timeout']} s after the stop: {args['pid_file']} still exists"
        elif args.get("client_port"):
            if not host.wait_for_port(args["client_port"], "stopped", seconds):
                return f"port {args['client_port']} is still open {args['stop_timeout']} s after the stop"
        else:
            while control.enabled and control.status() is not None:
                if time.monotonic() >= deadline:
                    return f"the server still answers on its control interface {args['stop_timeout']} s after the stop"
                time.sleep(1)
        return None

    def _kill(self, host: Host, settings: dict[str, t.Any], args: dict[str, t.Any], problem: str, deadline: float) -> str:
        """End a server that did not stop within kill_after; fail (the old version is started again) when even that fails."""
        self.say(text("stop_kill", args["language"], host=self._host_name, seconds=args["kill_after"], problem=problem))
        try:
            killed = host.kill_server(settings, args.get("pid_file"), max(10.0, deadline - time.monotonic()))
        except ValueError as exc:
            raise PhaseFailed(f"the server did not stop within {args['kill_after']} s ({problem}) and could not be ended by force: {exc}") from exc
        # The stop's journal line was not written with the stop command: the phase writes it now that the server is down.
        self.journal_done_by_host = False
        return killed

    def _start(self, host: Host, settings: dict[str, t.Any], args: dict[str, t.Any]) -> None:
        try:
            drive_service(host, settings, "started", args["start_timeout"], self.journal_bracket())
        except ValueError as exc:
            raise PhaseFailed(f"starting the ConAktiv server failed: {exc}") from exc

    @staticmethod
    def _wait_healthy(host: Host, settings: dict[str, t.Any], control: Control, args: dict[str, t.Any],
                      check_only: bool = False) -> dict[str, t.Any]:
        """Wait until the client port is open and the control interface reports a live state.

        A server that dies while this waits fails the task at once, not after start_timeout, where the service manager
        reports that reliably: start/stop commands and Windows services. (The systemd adapter reports a unit that is
        still activating as stopped, so systemd is left out.)
        """
        timeout = 1 if check_only else args["start_timeout"]
        deadline = time.monotonic() + timeout
        port = args.get("client_port")
        port_open = not port
        status: dict[str, t.Any] | None = None
        delay = 0.5
        while True:
            if not port_open:
                # Short waits, so that a server that died is noticed between them.
                port_open = host.wait_for_port(port, "started", 1 if check_only else max(1, min(args["poll_interval"], int(deadline - time.monotonic()))))
            if port_open and not control.enabled:
                return {"healthy": True, "server_status": None}
            if port_open:
                status = control.status()
                if status and status.get("state") in ("ready", "migrating"):
                    return {"healthy": True, "server_status": status}
                if status and status.get("state") == "failed":
                    if status.get("structure_version") and status.get("structure_version") != status.get("version"):
                        # The server is up, its structure update failed: that is conaktiv.server.structure_update's verdict.
                        return {"healthy": True, "server_status": status}
                    raise PhaseFailed(f"the server reports state 'failed': {status.get('error') or 'no reason given'}")
            if check_only:
                return {"healthy": False, "server_status": status} if port_open else {"healthy": False}
            if time.monotonic() >= deadline:
                if not port_open:
                    raise PhaseFailed(f"the server did not open its client port {port} within {timeout} s")
                raise PhaseFailed(f"the control interface did not report the server ready within {timeout} s (last: {status})")
            if status is None and settings["manager"] in ("command", "windows") and service_state(host, settings) == "stopped":
                raise PhaseFailed("the server stopped again right after the start: the service manager reports it stopped")
            if port_open:
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 5.0)
