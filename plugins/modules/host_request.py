#!/usr/bin/python
# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Why this module exists: ansible.builtin.uri costs 0.3 to 0.45 s per call on the host (Python importing
# ansible.module_utils.basic and urls out of the AnsiballZ zip), and an update asks the server's control interface six
# times (bench/README.md). Like host_command it is ansible-core's "JSON arguments" module style (executor/module_common.py,
# module substyle "jsonargs"): ansible-core writes the arguments into ARGUMENTS and sends this file as it is, pipelined,
# without AnsiballZ; it must not import anything from Ansible. The request itself is Python's urllib, which is what
# ansible.builtin.uri's fetch_url drives too (module_utils/urls.py).
# Marker, replaced by the arguments as one line of ASCII JSON: <<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>

from __future__ import annotations

DOCUMENTATION = r"""
module: host_request
short_description: Send one HTTP request from a Linux or macOS host, for the collection's own plugins
description:
  - Sends one request to O(url) from the host itself (so a web interface listening on the host's loopback is reached)
    and returns the status and the body, as M(ansible.builtin.uri) does with
    O(ansible.builtin.uri#module:status_code) listing every status and O(ansible.builtin.uri#module:return_content=true), in a
    tenth of its time on the host.
  - The collection's action plugins talk to the ConAktiv server's control interface through it. It is not meant for
    playbooks; use M(ansible.builtin.uri) there.
  - A user and password in O(url) are sent as HTTP basic authentication (as M(ansible.builtin.uri) does) and never shown.
    Proxies come from the host's environment (C(https_proxy), C(no_proxy)). Redirects of GET requests are followed; for
    any other method the redirect is the answer (as M(ansible.builtin.uri) with O(ansible.builtin.uri#module:follow_redirects=safe)).
  - Nothing is written to the host's system log, so the headers (which may carry a token) stay out of it; no header value
    appears in the result, also not in an error.
  - The certificate authorities are OpenSSL's defaults, or the system's bundle where those name none that exists.
  - An argument holding a text ansible-core rewrites in such modules is refused before the call.
  - Needs Python 3.9 or later on the host, nothing else.
version_added: 0.2.0
author:
  - conaktiv.server developers (!UNKNOWN)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
options:
  url:
    description:
      - The address, C(http) or C(https).
    type: str
    required: true
  method:
    description:
      - The HTTP method.
    type: str
    choices: [GET, POST, PUT, DELETE]
    default: GET
  headers:
    description:
      - Request headers.
    type: dict
    default: {}
  body:
    description:
      - Sent as JSON (C(Content-Type application/json)) when given.
    type: raw
  timeout:
    description:
      - Seconds to wait for the connection and for each read.
    type: int
    default: 30
  validate_certs:
    description:
      - Whether the server's TLS certificate must be valid for its name and signed by a certificate authority the host
        trusts.
    type: bool
    default: true
attributes:
  action:
    support: full
    details: The action plugin validates the arguments and refuses a text ansible-core rewrites in this module on the way.
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: none
    details: Under C(--check) nothing is sent and the task is skipped, as for a module without check mode support.
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: ansible.builtin.uri
"""

EXAMPLES = r"""
- name: Ask the control interface for the server's state (normally the collection's plugins call this module)
  conaktiv.server.host_request:
    url: http://127.0.0.1:2049/api/status
    headers:
      X-ConAktiv-Token: "{{ conaktiv_control_token }}"
  no_log: true
  register: state
"""

RETURN = r"""
status:
  description: The HTTP status of the answer; C(-1) when none came (then the task fails and RV(msg) says why).
  returned: always
  type: int
  sample: 200
content:
  description: The body of the answer, as text.
  returned: when an answer came
  type: str
json:
  description: The body parsed as JSON.
  returned: when an answer came and its body is JSON
  type: raw
msg:
  description: Empty when an answer came; otherwise why none came (C([Errno 111] Connection refused), C(timed out), the TLS error).
  returned: always
  type: str
"""

import base64
import http.client
import importlib
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request

# Filled in by ansible-core with the arguments (a bytes literal of their JSON); the placeholder string otherwise.
ARGUMENTS = "<<INCLUDE_ANSIBLE_MODULE_COMPLEX_ARGS>>"
# Where the systems this collection runs on keep their certificate authorities (Debian/Ubuntu, RHEL/Fedora, SUSE, macOS).
_SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem")
ARGUMENT_SPEC = {
    "url": {"type": "str", "required": True},
    "method": {"type": "str", "choices": ["GET", "POST", "PUT", "DELETE"], "default": "GET"},
    "headers": {"type": "dict", "default": {}},
    "body": {"type": "raw"},
    "timeout": {"type": "int", "default": 30},
    "validate_certs": {"type": "bool", "default": True},
}


def _problem(args: dict) -> str:
    """Why the arguments cannot be used, or '' (what AnsibleModule would check against ARGUMENT_SPEC)."""
    unknown = sorted(key for key in args if key not in ARGUMENT_SPEC and not key.startswith("_ansible_"))
    if unknown:
        return (f"Unsupported parameters for (conaktiv.server.host_request) module: {', '.join(unknown)}. "
                f"Supported parameters include: {', '.join(sorted(ARGUMENT_SPEC))}.")
    if not isinstance(args.get("url"), str) or urllib.parse.urlsplit(args["url"]).scheme not in ("http", "https"):
        return "url must be an http:// or https:// address"
    if args.get("method", "GET") not in ARGUMENT_SPEC["method"]["choices"]:
        return f"method must be one of: {', '.join(ARGUMENT_SPEC['method']['choices'])}"
    headers = args.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(key, str) and isinstance(value, str) for key, value in headers.items()):
        return "headers must be a mapping of texts"
    # Named, never shown: a header value may be the token (http.client would name it in its error).
    broken = sorted(key for key, value in headers.items() if any(char in key + value for char in "\r\n\0"))
    if broken:
        return f"the value of header {broken[0]!r} holds a line break or a NUL character, which HTTP does not allow"
    timeout = args.get("timeout", 30)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout <= 0:
        return "timeout must be a positive number of seconds"
    if not isinstance(args.get("validate_certs", True), bool):
        return "validate_certs must be true or false"
    return ""


def _request(args: dict) -> urllib.request.Request:
    """The request: a user and password in the URL become basic authentication, the body JSON."""
    parts = urllib.parse.urlsplit(args["url"])
    headers = {"User-Agent": "ansible-httpget", **(args.get("headers") or {})}  # ansible.builtin.uri's default agent
    if parts.username is not None:
        credentials = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        headers.setdefault("Authorization", "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii"))
        parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
    data = None
    if args.get("body") is not None:
        data = json.dumps(args["body"]).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    return urllib.request.Request(urllib.parse.urlunsplit(parts), data=data, headers=headers, method=args.get("method", "GET"))


class _GetRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """Follow a redirect of a GET or HEAD only; any other answer 3xx is the answer (ansible.builtin.uri's follow_redirects
    "safe"). urllib would repeat a redirected POST as a GET, without its body."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # pylint: disable=too-many-arguments,too-many-positional-arguments
        if req.get_method() not in ("GET", "HEAD"):
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _tls(validate: bool) -> ssl.SSLContext:
    """OpenSSL's defaults, plus the system's bundle where those name none that exists (Python builds of python.org on macOS;
    ansible.builtin.uri looks in the same places, module_utils/urls.py get_ca_certs)."""
    context = ssl.create_default_context()
    if not validate:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    paths = ssl.get_default_verify_paths()
    if not (paths.cafile and os.path.isfile(paths.cafile)) and not (paths.capath and os.path.isdir(paths.capath)):
        for bundle in _SYSTEM_BUNDLES:
            if os.path.isfile(bundle):
                context.load_verify_locations(cafile=bundle)
                break
    return context


def _answer(status: int, body: bytes) -> dict:
    result = {"changed": False, "status": status, "content": body.decode("utf-8", "replace"), "msg": ""}
    try:
        result["json"] = json.loads(result["content"])
    except ValueError:
        pass
    return result


def run(args: dict) -> dict:
    """The module's result for ``args`` (the module arguments, with ansible-core's internal _ansible_* keys)."""
    problem = _problem(args)
    if problem:
        return {"failed": True, "changed": False, "status": -1, "msg": problem}
    if args.get("_ansible_check_mode"):
        return {"skipped": True, "changed": False, "msg": "remote module (conaktiv.server.host_request) does not support check mode"}
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=_tls(args.get("validate_certs", True))), _GetRedirectsOnly)
    reason: object
    try:
        with opener.open(_request(args), timeout=args.get("timeout", 30)) as response:
            return _answer(response.status, response.read())
    except urllib.error.HTTPError as exc:  # an answer all the same: 4xx, 5xx
        try:
            body = exc.read()
        except (OSError, http.client.HTTPException):
            body = b""
        finally:
            exc.close()
        return _answer(exc.code, body)
    except urllib.error.URLError as exc:
        reason = exc.reason
    except (OSError, http.client.HTTPException) as exc:  # a timeout while reading, a reset connection, a malformed answer
        reason = exc
    except ValueError as exc:  # what http.client refuses to send; its text may quote the request: only its kind
        reason = f"the request cannot be sent ({type(exc).__name__}): check the URL"
    # The reason only, never the request: its headers and URL may carry a token or a password.
    return {"failed": True, "changed": False, "status": -1, "msg": str(reason) or type(reason).__name__}


# The same in host_command.py: ansible-core sends a JSON-arguments module as one file, so the two cannot share code.
def main() -> None:
    """Run with the arguments ansible-core wrote into ARGUMENTS and print the result as JSON."""
    if isinstance(ARGUMENTS, bytes):
        # The result is the module's output, read by ansible-core (AnsibleModule.exit_json prints it the same way).
        print(json.dumps(run(json.loads(ARGUMENTS))))  # pylint: disable=ansible-bad-function
        return
    # Not sent by ansible-core's JSON-arguments path (ansible-test, another runner): the same work through AnsibleModule,
    # which reads the arguments the usual way. Imported by name so that ansible-core does not build this file as AnsiballZ.
    basic = importlib.import_module("ansible.module_utils.basic")
    module = basic.AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=False)
    result = run(module.params)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
