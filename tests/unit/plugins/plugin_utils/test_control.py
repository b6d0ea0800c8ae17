# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests for the client of the server's control interface (http, command, none)."""

from __future__ import annotations

import http.server
import json
import socket
import typing as t

import pytest
from testservers import web

from ansible_collections.conaktiv.server.plugins.plugin_utils._control import TOKEN_HEADER, Control, ControlAuthError, ControlError
from ansible_collections.conaktiv.server.plugins.plugin_utils._host import CommandResult, HttpResponse, http_response

URL = "http://127.0.0.1:2049"


class ScriptedHost:
    """Answers ``http`` and ``run`` from scripted replies and records every request."""

    def __init__(self, http: list[HttpResponse] | None = None, commands: list[CommandResult] | None = None) -> None:
        self.http_replies = list(http or [])
        self.command_replies = list(commands or [])
        self.requests: list[tuple[str, str, dict[str, str], t.Any, int]] = []
        self.commands: list[list[str]] = []
        self.probes: list[bool] = []

    def http(self, method: str, url: str, headers: dict[str, str], body: t.Any = None, timeout: int = 30) -> HttpResponse:
        self.requests.append((method, url, headers, body, timeout))
        return self.http_replies.pop(0)

    def run(self, command: list[str], probe: bool = False) -> CommandResult:
        self.commands.append(command)
        self.probes.append(probe)
        return self.command_replies.pop(0)


def http_control(*replies: HttpResponse, token: str = "", timeout: int = 30) -> tuple[Control, ScriptedHost]:
    host = ScriptedHost(http=list(replies))
    return Control(t.cast(t.Any, host), {"type": "http", "url": URL + "/", "token": token, "timeout": timeout}), host


def command_control(*replies: CommandResult, **commands: list[str]) -> tuple[Control, ScriptedHost]:
    host = ScriptedHost(commands=list(replies))
    return Control(t.cast(t.Any, host), {"type": "command", **{f"{key}_command": value for key, value in commands.items()}}), host


# -- http -----------------------------------------------------------------------------------------


def test_http_needs_a_url():
    with pytest.raises(ControlError, match="control.type 'http' needs control.url"):
        Control(t.cast(t.Any, ScriptedHost()), {"type": "http"})


def test_status_sends_the_token_header_and_returns_the_json():
    control, host = http_control(HttpResponse(200, {"version": "2.0.0", "state": "ready"}), token="s3cret", timeout=9)
    assert control.status() == {"version": "2.0.0", "state": "ready"}
    assert host.requests == [("GET", f"{URL}/api/status", {TOKEN_HEADER: "s3cret"}, None, 9)]


def test_no_token_no_header():
    control, host = http_control(HttpResponse(200, {"state": "ready"}))
    control.status()
    assert host.requests[0][2] == {}


@pytest.mark.parametrize("reply", [HttpResponse(0, None, "Connection refused"), HttpResponse(503, {"error": "starting"}),
                                   HttpResponse(200, ["not", "a", "dict"])])
def test_status_is_none_when_the_server_does_not_answer_properly(reply: HttpResponse):
    control, _host = http_control(reply)
    assert control.status() is None


def test_sessions_are_the_user_names():
    control, host = http_control(HttpResponse(200, {"sessions": [{"user": "anna", "since": "08:00"}, {"user": "bob"}]}))
    assert control.sessions() == ["anna", "bob"]
    assert host.requests[0][:2] == ("GET", f"{URL}/api/sessions")


def test_message_posts_the_text_and_returns_who_got_it():
    control, host = http_control(HttpResponse(200, {"delivered_to": ["anna"]}))
    assert control.message("Stop in 15 minutes") == ["anna"]
    assert host.requests[0][:4] == ("POST", f"{URL}/api/message", {}, {"text": "Stop in 15 minutes"})


def test_backup_gets_at_least_an_hour():
    control, host = http_control(HttpResponse(200, {"path": "/b/x.zip", "sha256": "ab"}), timeout=30)
    assert control.backup("pre") == {"path": "/b/x.zip", "sha256": "ab"}
    assert host.requests[0][3:] == ({"label": "pre"}, 3600)


@pytest.mark.parametrize(("reply", "message"), [
    (HttpResponse(0, None, "Connection refused"), f"the control interface at {URL} did not answer: Connection refused"),
    (HttpResponse(401, {"error": "bad token"}), "refused the token (HTTP 401): check control.token"),
    (HttpResponse(500, {"error": "disk full"}), f"GET /api/sessions on the control interface at {URL} failed with HTTP 500: disk full"),
    (HttpResponse(404, None), f"GET /api/sessions on the control interface at {URL} failed with HTTP 404"),
    (HttpResponse(200, ["anna"]), f"GET /api/sessions on the control interface at {URL} answered HTTP 200 without a JSON object"),
])
def test_request_errors_are_clear_and_never_show_the_token(reply: HttpResponse, message: str):
    control, _host = http_control(reply, token="tok-9f8e7d")
    with pytest.raises(ControlError) as raised:
        control.sessions()
    assert message in str(raised.value)
    assert "tok-9f8e7d" not in str(raised.value)


STATUS_LIST = "[" + ", ".join(str(code) for code in range(100, 600)) + "]"  # what the POSIX adapter passes as status_code


@pytest.mark.parametrize(("result", "key", "reason"), [
    ({"status": -1, "msg": f"Status code was -1 and not {STATUS_LIST}: Request failed: <urlopen error [Errno 111] Connection refused>"},
     "status", "Connection refused"),
    ({"status": -1, "msg": f"Status code was -1 and not {STATUS_LIST}: Connection failure: timed out"}, "status", "timed out"),
    ({"status": -1, "msg": f"Status code was -1 and not {STATUS_LIST}: Request failed: <urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] "
                           "certificate verify failed: self-signed certificate (_ssl.c:1020)>"},
     "status", "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"),
    ({"status": -1, "msg": f"Status code was -1 and not {STATUS_LIST}: Request failed: <urlopen error [Errno -2] Name or service not known>"},
     "status", "Name or service not known"),
    ({"failed": True, "msg": "Unhandled exception occurred when sending web request. Exception: Unable to connect to the remote server"},
     "status_code", "Unable to connect to the remote server"),
    ({"failed": True, "msg": 'Unhandled exception occurred when sending web request. Exception: Exception calling "GetResponse" with "0" '
                             'argument(s): "The operation has timed out"'},
     "status_code", "The operation has timed out"),
    ({"failed": True, "msg": "Unsupported parameters for (ansible.builtin.uri) module: bogus"}, "status",
     "Unsupported parameters for (ansible.builtin.uri) module: bogus"),
    ({"failed": True}, "status", "no connection"),
])
def test_did_not_answer_names_the_url_and_only_the_reason(result: dict[str, t.Any], key: str, reason: str):
    control, _host = http_control(http_response(result, key), token="tok-9f8e7d")
    with pytest.raises(ControlError) as raised:
        control.sessions()
    assert str(raised.value) == f"the control interface at {URL} did not answer: {reason}"


def test_a_url_with_credentials_is_shown_without_them():
    host = ScriptedHost(http=[HttpResponse(0, None, "Connection refused"), HttpResponse(401, None)])
    control = Control(t.cast(t.Any, host), {"type": "http", "url": "http://admin:pw-3e1c@127.0.0.1:2049", "token": "tok-9f8e7d"})
    with pytest.raises(ControlError) as refused:
        control.sessions()
    with pytest.raises(ControlAuthError) as unauthorized:
        control.status()
    assert str(refused.value) == f"the control interface at {URL} did not answer: Connection refused"
    assert str(unauthorized.value) == f"the control interface at {URL} refused the token (HTTP 401): check control.token"


CONTROL_ACTION = '''
from ansible.plugins.action import ActionBase
from ansible_collections.conaktiv.server.plugins.plugin_utils._control import Control, ControlError
from ansible_collections.conaktiv.server.plugins.plugin_utils._posix_host import PosixHost
from ansible_collections.conaktiv.server.plugins.plugin_utils._runner import Runner

class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        super().run(tmp, task_vars)
        settings = {"type": "http", "url": self._task.args["url"], "token": "tok-9f8e7d", "timeout": 2}
        try:
            Control(PosixHost(Runner(self, task_vars)), settings).sessions()
        except ControlError as exc:
            return {"changed": False, "error": str(exc)}
        return {"changed": False, "error": None}
'''


@pytest.mark.slow
def test_the_real_request_module_on_a_refused_a_silent_and_an_untrusted_port(run_action: t.Callable[..., list[dict[str, t.Any]]],
                                                                             tls_cert: t.Any):
    """What a user sees when the control interface does not answer, through the real module (conaktiv.server.host_request)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    quiet = silent.getsockname()[1]
    try:
        with web.serving(http.server.BaseHTTPRequestHandler, tls_cert) as untrusted:
            urls = [f"http://127.0.0.1:{closed}", f"http://admin:pw-3e1c@127.0.0.1:{quiet}", untrusted]
            errors = [result["error"] for result in run_action(CONTROL_ACTION, [{"url": url} for url in urls])]
    finally:
        silent.close()
    assert errors[0] == f"the control interface at http://127.0.0.1:{closed} did not answer: Connection refused"
    assert errors[1] == f"the control interface at http://127.0.0.1:{quiet} did not answer: timed out"
    assert errors[2].startswith(f"the control interface at {urls[2]} did not answer: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    assert not errors[2].endswith(")")  # no "(_ssl.c:1020)"
    for error in errors:
        assert "\n" not in error and "Status code" not in error and "pw-3e1c" not in error and "tok-9f8e7d" not in error


# -- command --------------------------------------------------------------------------------------


def test_command_status_and_sessions_parse_json():
    control, host = command_control(CommandResult(0, json.dumps({"version": "2.0", "state": "ready"}), ""),
                                    CommandResult(0, json.dumps({"sessions": [{"user": "anna"}, "bob"]}), ""),
                                    CommandResult(0, json.dumps(["carl"]), ""),
                                    status=["/opt/ctl", "status"], sessions=["/opt/ctl", "who"])
    assert control.status() == {"version": "2.0", "state": "ready"}
    assert control.sessions() == ["anna", "bob"]
    assert control.sessions() == ["carl"]
    assert host.commands == [["/opt/ctl", "status"], ["/opt/ctl", "who"], ["/opt/ctl", "who"]]
    assert host.probes == [True, True, True]  # read-only: they also run under check mode


def test_command_message_fills_in_the_text_without_a_shell():
    control, host = command_control(CommandResult(0, "", ""), message=["/opt/ctl", "say", "--text={text}"])
    assert control.message("Bye; rm -rf / {now}") == []
    assert host.commands == [["/opt/ctl", "say", "--text=Bye; rm -rf / {now}"]]
    assert host.probes == [False]


def test_command_backup_returns_the_reported_path():
    control, host = command_control(CommandResult(0, '{"path": "/b/pre.zip"}\n', ""), backup=["/opt/ctl", "backup", "{label}"])
    assert control.backup("post") == {"path": "/b/pre.zip"}
    assert host.commands == [["/opt/ctl", "backup", "post"]]


def test_command_failure_and_non_json_are_control_errors():
    control, _host = command_control(CommandResult(2, "", "permission denied\n"), CommandResult(0, "Anna, Bob", ""),
                                     sessions=["/opt/ctl", "who"])
    with pytest.raises(ControlError, match="control.sessions_command exited 2: permission denied"):
        control.sessions()
    with pytest.raises(ControlError, match="control.sessions_command did not print JSON: 'Anna, Bob'"):
        control.sessions()


@pytest.mark.parametrize("reply", [CommandResult(3, "", "not running\n"), CommandResult(0, "Server is up", ""), CommandResult(0, "{}", "")])
def test_a_status_command_that_fails_means_not_answering(reply: CommandResult):
    control, _host = command_control(reply, status=["/opt/ctl", "status"])
    assert control.status() is None


def test_command_without_the_needed_command():
    control, host = command_control()
    assert control.status() is None
    assert control.sessions() is None
    assert control.message("x") == []
    with pytest.raises(ControlError, match="needs control.type http, or control.backup_command"):
        control.backup("pre")
    assert host.commands == []


@pytest.mark.parametrize(("command", "argv"), [
    (["/opt/ctl", "say", '{"channel": "all"}', "{text}"], ["/opt/ctl", "say", '{"channel": "all"}', "bye"]),
    (["find", "/x", "-exec", "echo", "{}", "{text}", ";"], ["find", "/x", "-exec", "echo", "{}", "bye", ";"]),
])
def test_literal_braces_in_a_command_are_passed_through(command: list[str], argv: list[str]):
    control, host = command_control(CommandResult(0, "", ""), message=command)
    control.message("bye")
    assert host.commands == [argv]


# -- none -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("settings", [None, {}, {"type": "none"}, {"type": None}])
def test_none_asks_nothing(settings: dict[str, t.Any] | None):
    host = ScriptedHost()
    control = Control(t.cast(t.Any, host), settings)
    assert control.enabled is False
    assert control.status() is None
    assert control.sessions() is None
    assert control.message("x") == []
    with pytest.raises(ControlError):
        control.backup("pre")
    assert host.requests == [] and host.commands == []
