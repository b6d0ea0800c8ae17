# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows emulator behind a Unix socket, for ansible-playbook processes (their workers are forks: the emulated host's
state -- services, sessions, open files -- must live in one process, this one).

One request per connection, a JSON line each way. Requests come from the test connection plugin
(``tests/integration/windows/connection_plugins/conaktiv_winemu.py``) after it decoded what ansible-core sent:
``execute`` (a module and its arguments), ``put_file``, ``mkdtemp``, ``expand_user``, ``remove``.
"""

from __future__ import annotations

import json
import pathlib
import socketserver
import threading
import traceback
import typing as t

from ansible.errors import AnsibleConnectionFailure

from winemu import TEMP_FOLDER, WindowsEmulator

from ansible_collections.conaktiv.server.plugins.plugin_utils import _windows_host as winhost

HOME = "C:\\Users\\ansible"
SNIPPET_NAMES = {getattr(winhost, name): name for name in dir(winhost) if name.endswith("_SCRIPT")}


class EmulatorServer:
    """Serves one :class:`WindowsEmulator` on ``socket_path`` from a thread; requests are handled one at a time."""

    def __init__(self, emulator: WindowsEmulator, socket_path: pathlib.Path) -> None:
        self.emulator = emulator
        self.socket_path = socket_path
        self.lock = threading.Lock()
        #: Every request, in order: op, module, the snippet's first line or the command, and whether the server was down
        #: (every emulated service stopped) when it arrived -- what the benchmark and the tests count.
        self.requests: list[dict[str, t.Any]] = []
        #: (matches a request, what to do first): e.g. kill the ansible-playbook process group; the request is then refused.
        self.trap: tuple[t.Callable[[dict[str, t.Any]], bool], t.Callable[[], None]] | None = None
        served = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                request = json.loads(self.rfile.readline())
                with served.lock:
                    reply = served.answer(request)
                self.wfile.write(json.dumps(reply, default=str).encode() + b"\n")

        self._server = socketserver.ThreadingUnixStreamServer(str(socket_path), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "EmulatorServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: t.Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.socket_path.unlink(missing_ok=True)

    def answer(self, request: dict[str, t.Any]) -> dict[str, t.Any]:
        op = request["op"]
        if self.trap and self.trap[0](request):
            action, self.trap = self.trap[1], None
            action()
            return {"unreachable": "the controller was killed"}
        args = request.get("args") or {}
        detail = SNIPPET_NAMES.get(str(args.get("script")), "") or " ".join(args.get("argv") or [])
        self.requests.append({"op": op, "module": request.get("module", ""), "detail": detail, "shell": request.get("shell"),
                              "down": bool(self.emulator.services) and all(s.state == "stopped" for s in self.emulator.services)})
        try:
            if op == "execute":
                return {"result": self.emulator.execute(request["module"], request["args"], check_mode=request["check_mode"],
                                                        internal=request["internal"], no_log=request["no_log"])}
            if op == "put_file":
                self.emulator.put_file(request["local"], request["remote"])
                return {}
            if op == "mkdtemp":
                folder = request["directory"].replace("%TEMP%", TEMP_FOLDER).replace("~", HOME)
                path = f"{folder.rstrip(chr(92))}\\{request['name']}"
                self.emulator.fs.local(path).mkdir(parents=True, exist_ok=True)
                return {"path": path}
            if op == "expand_user":
                return {"path": request["path"].replace("~", HOME, 1) if request["path"].startswith("~") else request["path"]}
            if op == "remove":
                self.emulator.remove_tmp(request["path"])
                return {}
            return {"error": f"unknown request {op!r}"}
        except AnsibleConnectionFailure as exc:
            return {"unreachable": str(exc)}
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # Reported to the play (and so to the test), never swallowed: a contract violation, an emulator error.
            return {"error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"}
