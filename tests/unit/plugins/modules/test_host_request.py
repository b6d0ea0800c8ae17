# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""conaktiv.server.host_request as ansible-core sends it (jsonargs.py), against real HTTP and HTTPS servers on loopback:
answers of every kind, no answer of every kind, credentials in the URL, check mode, wrong arguments."""

from __future__ import annotations

import base64
import contextlib
import errno
import http.server
import json
import os
import socket
import typing as t

import pytest
from jsonargs import build, run_as_file, send
from testservers import web

TOKEN = "tok-51c0ffee"


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers by path; records what it received."""

    received: list[dict[str, t.Any]] = []

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append({"method": self.command, "path": self.path, "headers": {key.lower(): value for key, value in self.headers.items()}, "body": body})
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/json")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, kind, text = {"/json": (200, "application/json", '{"state": "ready", "users": ["anna"]}'),
                              "/missing": (404, "application/json", '{"error": "no such thing"}'),
                              "/broken": (500, "text/html", "<html>oops</html>")}.get(self.path, (200, "text/plain", "plain ü"))
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: t.Any) -> None:  # pylint: disable=redefined-builtin
        del format, args


@contextlib.contextmanager
def serving(tls: t.Any = None) -> t.Iterator[str]:
    """The recording server (HTTPS with a certificate pair); its base URL."""
    Recorder.received = []
    with web.serving(Recorder, tls) as url:
        yield url


def test_it_is_sent_as_it_is_without_ansiballz():
    built = build("host_request", {"url": "http://127.0.0.1:1/"})
    assert built.module_style == "new" and b"ANSIBALLZ" not in built.b_module_data


def test_a_get_returns_status_content_and_json_and_sends_the_headers():
    with serving() as url:
        result = send("host_request", {"url": f"{url}/json", "headers": {"X-ConAktiv-Token": TOKEN}, "timeout": 5})
    assert result["status"] == 200 and result["json"] == {"state": "ready", "users": ["anna"]} and result["msg"] == ""
    assert "failed" not in result and result["changed"] is False
    assert Recorder.received[0]["method"] == "GET" and Recorder.received[0]["headers"]["x-conaktiv-token"] == TOKEN


def test_a_post_sends_its_body_as_json():
    with serving() as url:
        result = send("host_request", {"url": f"{url}/json", "method": "POST", "body": {"text": "Bitte abmelden – ü"}})
    assert result["status"] == 200
    assert json.loads(Recorder.received[0]["body"]) == {"text": "Bitte abmelden – ü"}
    assert Recorder.received[0]["headers"]["content-type"] == "application/json"


@pytest.mark.parametrize(("path", "status", "parsed"), [("/missing", 404, {"error": "no such thing"}), ("/broken", 500, None), ("/text", 200, None)])
def test_every_answer_is_an_answer(path: str, status: int, parsed: t.Any):
    with serving() as url:
        result = send("host_request", {"url": f"{url}{path}"})
    assert result["status"] == status and "failed" not in result, result
    assert result.get("json") == parsed
    if path == "/text":
        assert result["content"] == "plain ü"


def test_credentials_in_the_url_become_basic_authentication_and_are_never_shown():
    with serving() as url:
        with_user = url.replace("://", "://admin:p%40ss-3e1c@")
        result = send("host_request", {"url": f"{with_user}/json"})
    assert result["status"] == 200
    assert Recorder.received[0]["headers"]["authorization"] == "Basic " + base64.b64encode(b"admin:p@ss-3e1c").decode()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    refused = send("host_request", {"url": f"http://admin:p%40ss-3e1c@127.0.0.1:{closed}/json"})
    assert "3e1c" not in json.dumps(result) + json.dumps(refused)


def test_no_answer_fails_with_the_reason_only():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    refused = send("host_request", {"url": f"http://127.0.0.1:{closed}/x", "headers": {"X-ConAktiv-Token": TOKEN}})
    assert refused["failed"] is True and refused["status"] == -1
    assert refused["msg"] == f"[Errno {errno.ECONNREFUSED}] {os.strerror(errno.ECONNREFUSED)}"
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        quiet = send("host_request", {"url": f"http://127.0.0.1:{silent.getsockname()[1]}/x", "timeout": 1})
    assert quiet["failed"] is True and quiet["status"] == -1 and quiet["msg"] == "timed out"


def test_an_untrusted_certificate_is_refused_unless_told_otherwise(tls_cert: t.Any):
    with serving(tls_cert) as url:
        refused = send("host_request", {"url": f"{url}/json"})
        accepted = send("host_request", {"url": f"{url}/json", "validate_certs": False})
    assert refused["failed"] is True and refused["status"] == -1
    assert refused["msg"].startswith("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), refused["msg"]
    assert accepted["status"] == 200 and accepted["json"]["state"] == "ready"


def test_check_mode_sends_nothing():
    with serving() as url:
        result = send("host_request", {"url": f"{url}/json", "method": "POST", "_ansible_check_mode": True})
    assert result["skipped"] is True and Recorder.received == []


@pytest.mark.parametrize(("args", "message"), [
    ({"url": "http://127.0.0.1:1/", "return_content": True}, "Unsupported parameters for (conaktiv.server.host_request) module: return_content"),
    ({"url": "ftp://127.0.0.1/x"}, "url must be an http:// or https:// address"),
    ({"url": "http://127.0.0.1:1/", "method": "PATCH"}, "method must be one of: GET, POST, PUT, DELETE"),
    ({"url": "http://127.0.0.1:1/", "headers": {"X": 1}}, "headers must be a mapping of texts"),
    ({"url": "http://127.0.0.1:1/", "timeout": 0}, "timeout must be a positive number of seconds"),
    ({"url": "http://127.0.0.1:1/", "validate_certs": "no"}, "validate_certs must be true or false"),
])
def test_wrong_arguments_are_refused(args: dict[str, t.Any], message: str):
    result = send("host_request", args)
    assert result["failed"] is True and result["msg"].startswith(message), result


def test_run_as_a_file_it_reads_its_arguments_through_ansible_module(tmp_path):
    with serving() as url:
        result = run_as_file("host_request", {"url": f"{url}/missing"}, tmp_path)
    assert result["status"] == 404 and result["json"] == {"error": "no such thing"}


def test_a_get_follows_a_redirect_other_methods_get_the_redirect_as_their_answer():
    with serving() as url:
        followed = send("host_request", {"url": f"{url}/moved"})
        posted = send("host_request", {"url": f"{url}/moved", "method": "POST", "body": {"text": "bye"}})
    assert followed["status"] == 200 and followed["json"]["state"] == "ready"
    assert posted["status"] == 302 and "failed" not in posted, "not repeated as a GET without its body"
    assert [(entry["method"], entry["path"]) for entry in Recorder.received] == [("GET", "/moved"), ("GET", "/json"), ("POST", "/moved")]


def test_a_header_value_http_cannot_carry_is_refused_without_showing_it():
    with serving() as url:
        result = send("host_request", {"url": f"{url}/json", "headers": {"X-ConAktiv-Token": f"{TOKEN}\n"}})
    assert result["failed"] is True and "X-ConAktiv-Token" in result["msg"] and "line break" in result["msg"]
    assert TOKEN not in json.dumps(result) and Recorder.received == []


def test_the_user_agent_is_ansible_uris():
    with serving() as url:
        send("host_request", {"url": f"{url}/json"})
    assert Recorder.received[0]["headers"]["user-agent"] == "ansible-httpget"
