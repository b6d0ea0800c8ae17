# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A connection to the Windows emulator: ansible-core builds its real PowerShell payloads, this decodes and answers them.

Test only (loaded with ANSIBLE_CONNECTION_PLUGINS by tests/integration/windows). Like the winrm connection it always
pipelines: every module call arrives as ``exec_command(<powershell bootstrap command>, in_data=<bootstrap manifest>
NUL NUL NUL NUL <exec manifest>)`` (ansible.executor.powershell.module_manifest._create_powershell_wrapper): the exec
manifest's last action is ``module_wrapper.ps1`` with the module's script (resolved by ansible-core, its
``#AnsibleRequires`` module_utils in ``scripts``) and its arguments (``complex_args``, with the ``_ansible_*`` ones).
The emulator (``tests/unit/windows/winserve.py``, reached over a Unix socket) answers with the module's JSON.
Temp folders (``powershell_mkdtemp.ps1``), ``~`` (``powershell_expand_user.ps1``), ``put_file`` and the removal of a
temp folder (a ``Remove-Item`` command) are answered too; anything else is refused, loudly.
"""

from __future__ import annotations

DOCUMENTATION = """
name: conaktiv_winemu
short_description: The conaktiv.server test connection to the Windows emulator
description:
  - Decodes the PowerShell payloads ansible-core builds and lets the Windows emulator answer them.
author: conaktiv.server developers
options:
  socket:
    description: The Unix socket of the emulator server.
    type: str
    required: true
    vars:
      - name: conaktiv_winemu_socket
"""

import base64
import json
import re
import socket
import typing as t

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.plugins.connection import ConnectionBase

_MANIFEST_SEPARATOR = b"\n\0\0\0\0\n"
_ENCODED = re.compile(r"-EncodedCommand\s+['\"]?([A-Za-z0-9+/=]+)")
_REMOVE = re.compile(r"^Remove-Item\s+(?:'((?:[^']|'')*)'|(\S+))\s+-Force(\s+-Recurse)?\s*$")


def _module_name(script_key: str) -> str:
    """The FQCN of a module from its exec-manifest script key (``ansible_collections.ansible.windows.plugins.modules.win_stat.ps1``)."""
    stem = script_key.rsplit(".", 1)[0]
    match = re.match(r"^ansible_collections\.([^.]+)\.([^.]+)\.plugins\.modules\.(.+)$", stem)
    return f"{match[1]}.{match[2]}.{match[3]}" if match else stem


class Connection(ConnectionBase):
    """Answers ansible-core's PowerShell payloads from the Windows emulator."""

    transport = "conaktiv_winemu"
    module_implementation_preferences = (".ps1", ".exe", "")
    allow_executable = False
    has_pipelining = True
    always_pipeline_modules = True
    allow_extras = True
    # The shell plugin comes from ansible_shell_type (powershell, or cmd as the winrm connection of ansible-core 2.21 uses).
    _shell_type = "powershell"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.decoded: list[str] = []

    def _connect(self) -> "Connection":
        self._connected = True
        return self

    def _ask(self, request: dict[str, t.Any]) -> dict[str, t.Any]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            try:
                conn.connect(self.get_option("socket"))
            except OSError as exc:
                raise AnsibleConnectionFailure(f"the Windows emulator does not answer: {exc}") from exc
            conn.sendall(json.dumps(request).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                piece = conn.recv(1 << 16)
                if not piece:
                    break
                data += piece
        reply = json.loads(data)
        if "unreachable" in reply:
            raise AnsibleConnectionFailure(reply["unreachable"])
        if "error" in reply:
            raise AnsibleError(f"the Windows emulator refused a request: {reply['error']}")
        return reply

    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = True) -> tuple[int, bytes, bytes]:
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        if in_data and _MANIFEST_SEPARATOR in in_data:
            return self._run_manifest(in_data)
        match = _ENCODED.search(cmd)
        if not match:
            raise AnsibleError(f"the Windows emulator got a command it cannot decode: {cmd[:200]!r}")
        script = base64.b64decode(match[1]).decode("utf-16-le").strip()
        removal = _REMOVE.match(script)
        if removal:
            self._ask({"op": "remove", "path": (removal[1] or "").replace("''", "'") or removal[2]})
            return 0, b"", b""
        raise AnsibleError(f"the Windows emulator got a script it does not run: {script[:200]!r}")

    def _run_manifest(self, in_data: bytes) -> tuple[int, bytes, bytes]:
        parts = in_data.split(_MANIFEST_SEPARATOR)
        bootstrap, manifest = json.loads(parts[0]), json.loads(parts[1])
        if bootstrap.get("name") != "exec_wrapper":
            raise AnsibleError(f"unexpected bootstrap {bootstrap.get('name')!r}")
        action = manifest["actions"][-1]
        name, params = action["name"], action["params"]
        if [other["name"] for other in manifest["actions"][:-1]]:
            raise AnsibleError(f"exec wrapper actions the emulator does not run: {[other['name'] for other in manifest['actions']]}")
        if name == "module_wrapper.ps1":
            script = params["Script"]
            if script not in manifest["scripts"]:
                raise AnsibleError(f"the manifest lacks the module's script {script}")
            module = _module_name(script)
            args = dict(next(variable["Value"] for variable in params["Variables"] if variable["Name"] == "complex_args"))
            check_mode = bool(args.pop("_ansible_check_mode", False))
            no_log = bool(args.pop("_ansible_no_log", False))
            args = {key: value for key, value in args.items() if not key.startswith("_ansible_")}
            reply = self._ask({"op": "execute", "module": module, "args": args, "check_mode": check_mode, "no_log": no_log,
                               "internal": module == "ansible.windows.win_copy", "shell": self._shell.SHELL_FAMILY})
            result = reply["result"]
            return (1 if result.get("failed") else 0), json.dumps(result).encode(), b""
        if name == "powershell_mkdtemp.ps1":
            return 0, (self._ask({"op": "mkdtemp", "directory": params["Directory"], "name": params["Name"]})["path"] + "\r\n").encode(), b""
        if name == "powershell_expand_user.ps1":
            return 0, (self._ask({"op": "expand_user", "path": params["Path"]})["path"] + "\r\n").encode(), b""
        raise AnsibleError(f"the Windows emulator does not run {name}")

    def put_file(self, in_path: str, out_path: str) -> None:
        super().put_file(in_path, out_path)
        self._ask({"op": "put_file", "local": in_path, "remote": out_path})

    def fetch_file(self, in_path: str, out_path: str) -> None:
        raise AnsibleError("fetch_file is not emulated")

    def close(self) -> None:
        self._connected = False
