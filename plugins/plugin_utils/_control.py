# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ConAktiv server's own admin functions, reached through the ``control`` setting.

``http``: the JSON control interface (see ``docs/docsite/rst/control-interface.rst``), called *on the host*.
``command``: admin-supplied commands on the host. ``none``: no queries; callers wait instead.
"""

from __future__ import annotations

import json
import typing as t

from ._download import public_url
from ._host import Host, HttpResponse

TOKEN_HEADER = "X-ConAktiv-Token"

CONTROL_SPEC: dict[str, t.Any] = {
    "type": {"type": "str", "choices": ["http", "command", "none"], "default": "none"},
    "url": {"type": "str"},
    "token": {"type": "str", "no_log": True},
    "timeout": {"type": "int", "default": 30},
    "status_command": {"type": "list", "elements": "str"},
    "sessions_command": {"type": "list", "elements": "str"},
    "message_command": {"type": "list", "elements": "str"},
    "backup_command": {"type": "list", "elements": "str"},
}


class ControlError(Exception):
    """The control interface answered with an error or could not be reached."""


class ControlAuthError(ControlError):
    """The control interface refused the token: a configuration error, never worth waiting for."""


class Control:
    """Client of the server's control interface on one host."""

    def __init__(self, host: Host, settings: dict[str, t.Any] | None) -> None:
        settings = settings or {}
        self.host = host
        self.kind: str = settings.get("type") or "none"
        self.url = (settings.get("url") or "").rstrip("/")
        self._token = settings.get("token") or ""
        self.timeout = int(settings.get("timeout") or 30)
        self._commands = {key: settings.get(f"{key}_command") for key in ("status", "sessions", "message", "backup")}
        if self.kind == "http" and not self.url:
            raise ControlError("control.type 'http' needs control.url (e.g. http://127.0.0.1:2049)")

    @property
    def enabled(self) -> bool:
        """Whether the server can be queried at all."""
        return self.kind != "none"

    def status(self) -> dict[str, t.Any] | None:
        """The server's status (version, structure_version, state) or None when it does not answer."""
        if self.kind == "http":
            response = self.host.http("GET", f"{self.url}/api/status", self._headers(), timeout=self.timeout)
            if response.status == 401:
                # A wrong token is a configuration error, not a server that does not answer.
                raise ControlAuthError(self._refused())
            return response.json if response.status == 200 and isinstance(response.json, dict) else None
        if self.kind == "command" and self._commands["status"]:
            # A stopped server usually makes its status command fail: that means "not answering".
            try:
                status = self._json_command("status", {}, probe=True)
            except ControlError:
                return None
            return status if isinstance(status, dict) and status else None
        return None

    def sessions(self) -> list[str] | None:
        """The names of the logged-in users, or None when that cannot be queried."""
        if self.kind == "http":
            response = self._request("GET", "/api/sessions")
            return [str(item.get("user")) for item in response.get("sessions", [])]
        if self.kind == "command" and self._commands["sessions"]:
            data = self._json_command("sessions", {}, probe=True)
            items = data.get("sessions", []) if isinstance(data, dict) else data
            return [str(item.get("user") if isinstance(item, dict) else item) for item in items]
        return None

    def message(self, text: str) -> list[str]:
        """Broadcast ``text`` to the server console and every client; the users it reached."""
        if self.kind == "http":
            return [str(user) for user in self._request("POST", "/api/message", {"text": text}).get("delivered_to", [])]
        if self.kind == "command" and self._commands["message"]:
            self._run("message", {"text": text})
        return []

    def backup(self, label: str) -> dict[str, t.Any]:
        """Trigger the server's online backup and return its ``path`` (and ``sha256`` when known)."""
        if self.kind == "http":
            return self._request("POST", "/api/backup", {"label": label}, timeout=max(self.timeout, 3600))
        if self.kind == "command" and self._commands["backup"]:
            return self._json_command("backup", {"label": label})
        raise ControlError("the server's online backup needs control.type http, or control.backup_command")

    # -- internals --------------------------------------------------------------------------------
    def _clean(self, text: str) -> str:
        """``text`` with the token masked: module errors may echo the request, headers included."""
        return text.replace(self._token, "********") if self._token else text

    def _headers(self) -> dict[str, str]:
        return {TOKEN_HEADER: self._token} if self._token else {}

    def _where(self) -> str:
        """The interface's URL as shown in messages: no user or password (the token travels in a header)."""
        return public_url(self.url)

    def _no_answer(self, response: HttpResponse) -> str:
        """One line: which interface, and why no answer came (the reason as the host adapter reduced it)."""
        return self._clean(f"the control interface at {self._where()} did not answer: {' '.join((response.error or 'no connection').split())}")

    def _refused(self) -> str:
        return self._clean(f"the control interface at {self._where()} refused the token (HTTP 401): check control.token")

    def _http_failed(self, method: str, path: str, response: HttpResponse) -> str:
        """One line for an answer that is an error, or no JSON object."""
        where = f"{method} {path} on the control interface at {self._where()}"
        if response.status < 400:
            return self._clean(f"{where} answered HTTP {response.status} without a JSON object")
        detail = response.json.get("error") if isinstance(response.json, dict) else response.json
        said = f": {' '.join(str(detail).split())}" if detail not in (None, "") else ""
        return self._clean(f"{where} failed with HTTP {response.status}{said}")

    def _request(self, method: str, path: str, body: t.Any = None, timeout: int | None = None) -> dict[str, t.Any]:
        response = self.host.http(method, f"{self.url}{path}", self._headers(), body, timeout=timeout or self.timeout)
        if response.status == 0:
            raise ControlError(self._no_answer(response))
        if response.status == 401:
            raise ControlAuthError(self._refused())
        if response.status >= 400 or not isinstance(response.json, dict):
            raise ControlError(self._http_failed(method, path, response))
        return response.json

    def _run(self, key: str, values: dict[str, str], probe: bool = False) -> str:
        # Plain replacement, not str.format: admin commands may contain literal braces.
        argv = []
        for part in self._commands[key] or []:
            for name, value in values.items():
                part = part.replace("{" + name + "}", value)
            argv.append(part)
        result = self.host.run(argv, probe=probe)
        if result.rc != 0:
            raise ControlError(self._clean(f"control.{key}_command exited {result.rc}: {result.stderr.strip() or result.stdout.strip()}"))
        return result.stdout

    def _json_command(self, key: str, values: dict[str, str], probe: bool = False) -> t.Any:
        out = self._run(key, values, probe=probe)
        try:
            return json.loads(out)
        except ValueError as exc:
            raise ControlError(f"control.{key}_command did not print JSON: {out[:200]!r}") from exc
