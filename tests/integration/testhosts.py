"""Real ssh test hosts: one network namespace each, joined to this machine by a veth pair, running sshd.

The file system is shared, so every host gets its own base folder; processes started over ssh run inside
the host's namespace (its own loopback, its own address). Needs root, iproute2 and openssh-server
(scripts/test-hosts.sh installs them).
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import typing as t

SUBNET = "10.231"


def _run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


@dataclasses.dataclass
class FleetHost:
    """One ssh test host."""

    name: str
    namespace: str
    address: str
    base: pathlib.Path

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        """Run a command inside the host's namespace (as sshd's sessions do)."""
        return subprocess.run(["ip", "netns", "exec", self.namespace, *command], capture_output=True, text=True, check=False, timeout=120)

    def inventory_vars(self, key: pathlib.Path, control_dir: pathlib.Path, python: str) -> dict[str, t.Any]:
        """Connection variables for ansible's ssh connection to this host."""
        return {
            "ansible_host": self.address, "ansible_connection": "ssh", "ansible_user": "root",
            "ansible_ssh_private_key_file": str(key), "ansible_python_interpreter": python, "ansible_pipelining": True,
            "ansible_ssh_common_args": (f"-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "
                                        f"-o ControlMaster=auto -o ControlPersist=30s -o ControlPath={control_dir}/%C"),
        }


class FleetHosts:
    """Makes test hosts and removes every trace of them (namespaces, links, sshd, ssh masters)."""

    def __init__(self, work: pathlib.Path) -> None:
        self.work = work
        self.work.mkdir(parents=True, exist_ok=True)
        self.key = work / "id_ed25519"
        # ssh's ControlPath must stay under 108 bytes: a short folder of its own in /tmp.
        self.control_dir = pathlib.Path(tempfile.mkdtemp(prefix="ck", dir="/tmp"))
        self.hosts: list[FleetHost] = []
        self._sshd_pids: list[int] = []
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key))
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "host_key"))
        (work / "authorized_keys").write_text(self.key.with_suffix(".pub").read_text(), encoding="utf-8")
        (work / "authorized_keys").chmod(0o600)
        pathlib.Path("/run/sshd").mkdir(parents=True, exist_ok=True)

    def add(self, name: str) -> FleetHost:
        """A new host with its own namespace, address and base folder."""
        token = secrets.token_hex(3)
        namespace, outside, inside = f"conaktiv-{token}", f"ck{token}o", f"ck{token}i"
        network = self._free_subnet()
        host_address, peer_address = f"{SUBNET}.{network}.2", f"{SUBNET}.{network}.1"
        _run("ip", "netns", "add", namespace)
        host = FleetHost(name, namespace, host_address, self.work / name)
        self.hosts.append(host)
        host.base.mkdir(parents=True, exist_ok=True)
        _run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
        _run("ip", "link", "set", inside, "netns", namespace)
        _run("ip", "addr", "add", f"{peer_address}/30", "dev", outside)
        _run("ip", "link", "set", outside, "up")
        for command in (["ip", "addr", "add", f"{host_address}/30", "dev", inside], ["ip", "link", "set", inside, "up"],
                        ["ip", "link", "set", "lo", "up"]):
            _run("ip", "netns", "exec", namespace, *command)
        self._start_sshd(host)
        return host

    def _free_subnet(self) -> int:
        taken = _run("ip", "-o", "-4", "addr", "show")
        for _attempt in range(200):
            network = secrets.randbelow(250) + 1
            if f"{SUBNET}.{network}." not in taken:
                return network
        raise RuntimeError("no free test subnet")

    def _start_sshd(self, host: FleetHost) -> None:
        config = self.work / f"sshd-{host.name}.conf"
        pid_file = self.work / f"sshd-{host.name}.pid"
        config.write_text("\n".join([
            f"ListenAddress {host.address}", "Port 22", f"HostKey {self.work / 'host_key'}", f"PidFile {pid_file}",
            f"AuthorizedKeysFile {self.work / 'authorized_keys'}", "PermitRootLogin prohibit-password", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", "Subsystem sftp internal-sftp", "",
        ]), encoding="utf-8")
        _run("ip", "netns", "exec", host.namespace, "/usr/sbin/sshd", "-f", str(config), "-E", str(self.work / f"sshd-{host.name}.log"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if pid_file.exists() and pid_file.read_text().strip():
                try:
                    with socket.create_connection((host.address, 22), timeout=1):
                        self._sshd_pids.append(int(pid_file.read_text().strip()))
                        return
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"sshd for {host.name} did not come up: {(self.work / f'sshd-{host.name}.log').read_text(errors='replace')}")

    def close(self) -> None:
        """Stop ssh masters and sshd, delete namespaces (their veth ends go with them)."""
        for host in self.hosts:
            subprocess.run(["ssh", "-o", f"ControlPath={self.control_dir}/%C", "-O", "exit", "-l", "root", host.address],
                           capture_output=True, check=False, timeout=10)
        for pid in self._sshd_pids:
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                pass
        for host in self.hosts:
            # Anything still running in the namespace (e.g. a server started over ssh) ends with it.
            for pid in subprocess.run(["ip", "netns", "pids", host.namespace], capture_output=True, text=True, check=False).stdout.split():
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True, check=False)
        shutil.rmtree(self.control_dir, ignore_errors=True)
