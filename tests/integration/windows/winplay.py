# Copyright: (c) 2026, conaktiv.server developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-playbook against the Windows emulator through the real PowerShell payload path (used by the tests beside this
file and by bench/update.py).

:class:`Win` is one emulated Windows host (the emulator served over a Unix socket, see tests/unit/windows/winserve.py) with
a ConAktiv installation on D:, and runs plays or the role against it with the conaktiv_winemu connection (shell
powershell, or cmd as the winrm connection of ansible-core 2.21 uses by default).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import typing as t

import yaml

HERE = pathlib.Path(__file__).resolve().parent
for folder in (HERE.parent, HERE.parents[1] / "unit" / "windows"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

# pylint: disable=wrong-import-position
from playbook import REPO, PlaybookRun, ansible_env, playbook_command, read_results, run_playbook  # noqa: E402

from conaktiv_sim.package import build_package  # noqa: E402
from winemu import WindowsEmulator  # noqa: E402
from winserve import EmulatorServer  # noqa: E402
from winsite import Site, install_site  # noqa: E402

HOST = "conaktiv-win01"


@contextlib.contextmanager
def emulated_windows(root: pathlib.Path, latency: float) -> t.Iterator[Win]:
    """A Win on ``root`` whose module calls take ``latency`` s each (a WinRM round trip is about 1 s)."""
    emulator = WindowsEmulator(root / "windows", latency=latency)
    site = install_site(emulator)
    workdir = root / "play"
    workdir.mkdir()
    # Unix socket paths are short (108 bytes): the socket lives in its own short temporary folder.
    socket_dir = pathlib.Path(tempfile.mkdtemp(prefix="winemu-"))
    try:
        with EmulatorServer(emulator, socket_dir / "s") as server:
            yield Win(emulator, server, site, workdir)
    finally:
        socket_dir.rmdir()


@dataclasses.dataclass
class Win:
    """One emulated Windows host with a ConAktiv installation, reached by ansible-playbook."""

    emulator: WindowsEmulator
    server: EmulatorServer
    site: Site
    workdir: pathlib.Path
    shell: str = "powershell"

    def inventory(self) -> pathlib.Path:
        path = self.workdir / "inventory.yml"
        host_vars = {"ansible_connection": "conaktiv_winemu", "conaktiv_winemu_socket": str(self.server.socket_path),
                     "ansible_shell_type": self.shell}
        path.write_text(yaml.safe_dump({"all": {"hosts": {HOST: host_vars}}}), encoding="utf-8")
        return path

    def _playbook(self, tasks: list[dict[str, t.Any]], play_vars: dict[str, t.Any] | None) -> tuple[pathlib.Path, pathlib.Path]:
        count = len(list(self.workdir.glob("playbook-*.yml")))
        playbook = self.workdir / f"playbook-{count}.yml"
        play = {"name": "windows", "hosts": HOST, "gather_facts": False, "vars": play_vars or {}, "tasks": tasks}
        playbook.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
        return playbook, self.workdir / f"results-{count}.jsonl"

    def play(self, tasks: list[dict[str, t.Any]], *, extra_args: t.Sequence[str] = (), play_vars: dict[str, t.Any] | None = None,
             timeout: int = 300) -> PlaybookRun:
        """Run ``tasks`` in one play against the emulated host."""
        playbook, results = self._playbook(tasks, play_vars)
        return run_playbook(playbook, results, inventory=str(self.inventory()), extra_args=[*extra_args, *EXTRA], timeout=timeout,
                            env_extra=ENV)

    def package(self, version: str = "2.0.0") -> pathlib.Path:
        return build_package(self.workdir / "packages" / f"ConAktiv-{version}.zip", version)

    def role_vars(self, package: pathlib.Path, **extra: t.Any) -> dict[str, t.Any]:
        """The role's variables for this site, forced into the window, short waits."""
        service = self.site.service
        return {"conaktiv_update_server_path": self.site.server, "conaktiv_update_data_path": service.data_path,
                "conaktiv_update_version": "2.0.0", "conaktiv_update_source": str(package),
                "conaktiv_update_checksum": "sha256:" + hashlib.sha256(package.read_bytes()).hexdigest(), "conaktiv_update_force": True,
                "conaktiv_update_service_name": service.name,
                "conaktiv_update_control": {"type": "http", "url": f"http://127.0.0.1:{service.control_port}", "token": service.token,
                                            "timeout": 10},
                "conaktiv_update_max_wait": 10, "conaktiv_update_poll_interval": 1, "conaktiv_update_stop_timeout": 20,
                "conaktiv_update_start_timeout": 20, "conaktiv_update_structure_update_timeout": 30,
                "conaktiv_update_backup": {"method": "server", "dir": f"{self.site.base}\\Backups", "keep": 5}, **extra}

    def update(self, package: pathlib.Path, *, extra_args: t.Sequence[str] = (), **extra: t.Any) -> PlaybookRun:
        """The role conaktiv_update, as playbooks/update.yml runs it."""
        return self.play(ROLE, play_vars=self.role_vars(package, **extra), extra_args=extra_args)

    def update_killed_at(self, package: pathlib.Path, when: t.Callable[[dict[str, t.Any]], bool], **extra: t.Any) -> PlaybookRun:
        """The update, with ansible-playbook and all its workers killed (SIGKILL) when a request matching ``when`` arrives,
        before the host sees it."""
        playbook, results = self._playbook(ROLE, self.role_vars(package, **extra))
        cmd = playbook_command(playbook, inventory=str(self.inventory()), extra_args=EXTRA)
        with subprocess.Popen(cmd, env={**ansible_env(results), **ENV}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True) as proc:
            self.server.trap = (when, lambda: os.killpg(proc.pid, signal.SIGKILL))
            output = proc.communicate(timeout=300)[0]
        self.server.trap = None
        assert proc.returncode == -signal.SIGKILL, f"the run was not killed (rc {proc.returncode}):\n{output}"
        return PlaybookRun(rc=proc.returncode, output=output, results=read_results(results))

    def status(self, package: pathlib.Path, *, extra_args: t.Sequence[str] = ()) -> PlaybookRun:
        """playbooks/status.yml against this host, with the role's variables (as the inventory would give them). The connection
        comes from the inventory only: as an extra variable it would also apply to the report written on localhost."""
        variables = self.workdir / "status-vars.json"
        variables.write_text(json.dumps({**self.role_vars(package), "conaktiv_update_hosts": HOST}), encoding="utf-8")
        return run_playbook(REPO / "playbooks" / "status.yml", self.workdir / "status.jsonl", inventory=str(self.inventory()),
                            extra_args=[*extra_args, "-e", f"@{variables}"], env_extra=ENV)

    def read(self, winpath: str) -> str:
        return self.emulator.fs.local(winpath).read_text(encoding="utf-8-sig")


ROLE = [{"name": "Update ConAktiv", "ansible.builtin.include_role": {"name": "conaktiv.server.conaktiv_update"}}]
EXTRA = ["-e", "ansible_connection=conaktiv_winemu"]
ENV = {"ANSIBLE_CONNECTION_PLUGINS": str(HERE / "connection_plugins")}
