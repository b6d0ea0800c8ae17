"""hostlog.HostSyslog really captures what modules send to the host's system log, and leaves nothing behind."""

from __future__ import annotations

import os
import pathlib
import socket
import sys
import threading
import time

from hostlog import HostSyslog
from playbook import run_tasks

# Runs inside the wrapped playbook: every /dev entry the modules rely on still works, /dev/log is the capture.
DEV_CHECK = r"""
import errno, os, stat, tempfile
with open('/dev/null', 'w') as sink:
    sink.write('x')
assert open('/dev/zero', 'rb').read(4) == bytes(4)
assert len(open('/dev/urandom', 'rb').read(8)) == 8 and len(open('/dev/random', 'rb').read(8)) == 8
try:
    with open('/dev/full', 'wb', buffering=0) as full:
        full.write(b'x')
    raise AssertionError('/dev/full accepted a write')
except OSError as error:
    assert error.errno == errno.ENOSPC, error
assert os.readlink('/dev/fd') == '/proc/self/fd' and os.readlink('/dev/stdout') == '/proc/self/fd/1'
primary, secondary = os.openpty()
assert os.ttyname(secondary).startswith('/dev/pts/'), os.ttyname(secondary)
assert stat.S_ISCHR(os.stat('/dev/tty').st_mode)
with tempfile.NamedTemporaryFile(dir='/dev/shm') as shm:
    shm.write(b'x')
assert stat.S_ISSOCK(os.stat('/dev/log').st_mode)
print(os.readlink('/proc/self/ns/mnt'))
print(' '.join(sorted(os.listdir('/dev'))))
"""

# Speaks journald's native protocol to the (shadowed) journal socket: plain field, binary field, memfd.
JOURNAL_SEND = r"""
import os, socket, sys
path = sys.argv[1]
folder = os.open(os.path.dirname(path), os.O_RDONLY)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.connect('/proc/self/fd/%d/%s' % (folder, os.path.basename(path)))
sock.send(b'MESSAGE=ansible-command Invoked with JOURNAL-TEXT-321\nSYSLOG_IDENTIFIER=test\n')
value = b"{'X-Token': 'JOURNAL-BIN-654'}"
sock.send(b'HEADERS\n' + len(value).to_bytes(8, 'little') + value + b'\nMESSAGE=binary\n')
memfd = os.memfd_create('journal')
os.write(memfd, b'MESSAGE=JOURNAL-MEMFD-987\n')
socket.send_fds(sock, [b''], [memfd])
"""


def mount_lines(*needles: str) -> list[str]:
    """Host mount table lines about /dev or any of ``needles``."""
    lines = pathlib.Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines()
    return sorted(line for line in lines if " /dev" in line or any(needle in line for needle in needles))


def processes_in(namespace: str) -> list[int]:
    """Pids whose mount namespace is ``namespace`` (e.g. ``mnt:[4026532177]``)."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "ns" / "mnt") == namespace:
                    found.append(int(entry.name))
            except OSError:  # the process ended meanwhile
                pass
    return found


def test_module_invocation_lands_in_the_captured_syslog(tmp_path):
    with HostSyslog(tmp_path / "syslog") as syslog:
        run = run_tasks(tmp_path / "play", [{"name": "echo", "ansible.builtin.command": {"argv": ["echo", "MARKER-123"]}}],
                        wrapper=syslog.wrapper)
        assert run.rc == 0, run.output
        assert run.task("echo")["stdout"] == "MARKER-123"
        logged = [message for message in syslog.messages() if "MARKER-123" in message]
    assert logged, f"the module invocation was not captured:\n{syslog.text()}"
    assert "Invoked with" in logged[0] and "ansible-" in logged[0], logged


def test_no_log_task_is_not_logged(tmp_path):
    tasks = [{"name": "logged", "ansible.builtin.command": {"argv": ["echo", "LOGGED-456"]}},
             {"name": "secret", "ansible.builtin.command": {"argv": ["echo", "MARKER-456"]}, "no_log": True}]
    with HostSyslog(tmp_path / "syslog") as syslog:
        run = run_tasks(tmp_path / "play", tasks, wrapper=syslog.wrapper)
        assert run.rc == 0, run.output
        text = syslog.text()
    # The logged task proves the capture works in this very run, so the absence below means something.
    assert "LOGGED-456" in text, text
    assert "MARKER-456" not in text, text


def test_uri_headers_leak_into_the_syslog(tmp_path):
    """Documents the leak the product code must avoid: uri logs its headers unless the task has no_log."""
    # Bound but not listening: connecting is refused, and no other test can take the port meanwhile.
    with socket.socket() as closed, HostSyslog(tmp_path / "syslog") as syslog:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/control"
        task = {"name": "call", "ansible.builtin.uri": {"url": url, "headers": {"X-Token": "SECRET-789"}, "timeout": 5},
                "ignore_errors": True}
        run = run_tasks(tmp_path / "play", [task], wrapper=syslog.wrapper)
        assert run.status("call") == "failed", run.output
        leaked = [message for message in syslog.messages() if "SECRET-789" in message]
    assert leaked and "ansible.legacy.uri: Invoked with headers=" in leaked[0], syslog.text()


def test_dev_still_works_inside_and_nothing_is_left_behind(tmp_path):
    had_dev_log = os.path.lexists("/dev/log")
    mounts_before = mount_lines(str(tmp_path))
    with HostSyslog(tmp_path / "syslog") as syslog:
        folder = syslog.syslog_socket.parent
        run = run_tasks(tmp_path / "play", [{"name": "dev", "ansible.builtin.command": {"argv": [sys.executable, "-c", DEV_CHECK]}}],
                        wrapper=syslog.wrapper)
        assert run.rc == 0, run.output
        namespace, listing = run.task("dev")["stdout"].splitlines()
    assert namespace != os.readlink("/proc/self/ns/mnt"), "the playbook ran in the host's mount namespace"
    assert set(listing.split()) == set(os.listdir("/dev")) | {"log"}, "the private /dev lacks entries of the real one"
    # The namespace dies with its last process; give stragglers a moment before calling it a leak.
    deadline = time.monotonic() + 10
    while processes_in(namespace) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_in(namespace) == []
    assert mount_lines(str(tmp_path)) == mounts_before
    assert os.path.lexists("/dev/log") == had_dev_log
    assert not folder.exists()
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("hostlog ")]


def test_journal_route_is_captured_too(tmp_path):
    """Modules use journald instead of /dev/log when python-systemd is importable: that socket is shadowed too."""
    fake_journal = tmp_path / "journal-socket"
    fake_journal.touch()  # stands in for /run/systemd/journal/socket, which this machine may not have
    task = {"name": "journal", "ansible.builtin.command": {"argv": [sys.executable, "-c", JOURNAL_SEND, str(fake_journal)]}}
    with HostSyslog(tmp_path / "syslog", journal_socket=fake_journal) as syslog:
        run = run_tasks(tmp_path / "play", [task], wrapper=syslog.wrapper)
        assert run.rc == 0, run.output
        # Only what arrived on the journal socket (the command's own invocation log names the markers too).
        journal = [message for message in syslog.messages() if message.startswith("journal: ")]
    assert journal == ["journal: MESSAGE=ansible-command Invoked with JOURNAL-TEXT-321 SYSLOG_IDENTIFIER=test",
                       "journal: HEADERS={'X-Token': 'JOURNAL-BIN-654'} MESSAGE=binary",
                       "journal: MESSAGE=JOURNAL-MEMFD-987"], syslog.text()
    assert fake_journal.read_bytes() == b"", "the host file under the shadow was written to"
