"""The service wrapper and the server's life cycle: start, stop, status, restart, exit codes, single instance."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conaktiv_sim.testing import SIMULATOR_ROOT, Site


def test_start_status_stop_and_exit_codes(site: Site) -> None:
    status = site.service("status")
    assert (status.returncode, status.stdout.strip()) == (3, "stopped")
    start = site.service("start")
    assert start.returncode == 0, start.stderr
    pid = int(start.stdout.split()[-1])
    assert site.service("status").stdout.strip() == f"running pid {pid}"
    assert site.service("status").returncode == 0
    assert (site.data_dir / "server.pid").read_text().strip() == str(pid)
    assert site.data_locked()
    again = site.service("start")
    assert (again.returncode, again.stdout.strip()) == (0, f"already running pid {pid}")
    stop = site.service("stop")
    assert (stop.returncode, stop.stdout.strip()) == (0, "stopped")
    site.wait_stopped(5)
    assert not (site.data_dir / "server.pid").exists()
    assert not site.data_locked()
    assert (site.service_dir / "stopped").exists()
    assert site.service("status").returncode == 3
    stopped_again = site.service("stop")
    assert (stopped_again.returncode, stopped_again.stdout.strip()) == (0, "already stopped")


def test_status_reports_server_state(running_site: Site) -> None:
    status = running_site.control("GET", "/api/status")
    assert status == {"version": "1.0.0", "structure_version": "1.0.0", "state": "ready", "pid": running_site.server_pid(),
                      "sessions": 0, "error": None, "server_path": str(running_site.server_dir)}


def test_server_runs_detached_from_the_wrapper(running_site: Site) -> None:
    pid = running_site.server_pid()
    assert pid is not None
    assert os.getsid(pid) == pid  # own session: survives the task that ran the wrapper
    assert "started" in running_site.server_output()


def test_restart_gives_a_new_process(running_site: Site) -> None:
    before = running_site.server_pid()
    result = running_site.service("restart")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "stopped"
    after = running_site.server_pid()
    assert after is not None and after != before
    assert running_site.status() == "running"


def test_start_fails_with_exit_1_when_the_port_is_taken(site: Site) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", site.client_port))
        blocker.listen()
        result = site.service("start")
    assert result.returncode == 1
    assert "start failed" in result.stderr and "cannot listen" in result.stderr
    assert site.status() == "stopped"
    assert not (site.data_dir / "server.pid").exists() and not site.data_locked()


def test_second_instance_on_the_same_data_is_refused(running_site: Site) -> None:
    pid = running_site.server_pid()
    second = subprocess.run([sys.executable, str(running_site.server_dir / "conaktiv_server.py"), "--data", str(running_site.data_dir)],
                            capture_output=True, text=True, timeout=30, check=False)
    assert second.returncode == 1
    assert "data in use" in second.stderr
    assert (running_site.data_dir / "server.pid").read_text().strip() == str(pid)
    assert running_site.control("GET", "/api/status")["pid"] == pid


def test_serve_runs_in_the_foreground_and_stops_promptly_on_sigterm(site: Site) -> None:
    env = dict(os.environ, PYTHONPATH=str(SIMULATOR_ROOT))
    with subprocess.Popen([sys.executable, "-m", "conaktiv_sim", "serve", "--root", str(site.root)], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True) as process:
        try:
            site.wait_state("ready", timeout=10)
            assert site.server_pid() == process.pid  # exec'd: the foreground process is the server itself
            began = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert process.wait(5) == 0
            assert time.monotonic() - began < 2
            assert not (site.data_dir / "server.pid").exists()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_wrapper_usage_errors_exit_2(site: Site) -> None:
    assert site.service("reload").returncode == 2
    assert site.service("stop", "--timeout", "soon").returncode == 2


def test_cleanup_kills_everything_and_is_idempotent(make_site) -> None:
    site = make_site()
    site.start()
    site.set_faults({"refuse_stop": {}})
    users = site.tcp_users({"anna": None})
    pid = site.server_pid()
    site.cleanup()
    site.cleanup()
    assert pid is not None and site.server_pid() is None
    assert users.poll() is not None
    assert not list(site.service_dir.glob("users-*.pid"))


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_status_ignores_a_reused_pid(site: Site) -> None:
    (site.service_dir / "state").write_text(f"{os.getpid()}\n")  # alive, but not a server
    assert site.service("status").returncode == 3


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_cleanup_never_kills_a_process_it_did_not_start(make_site, tmp_path: Path) -> None:
    """A pid written into every pid file, by a process whose command line looks like a server of this site, survives."""
    site = make_site()
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "conaktiv_server.py", str(site.root) + "/x"],
                                 start_new_session=True)
    try:
        for path in (site.service_dir / "state", site.data_dir / "server.pid", site.service_dir / "users-1.pid"):
            path.write_text(f"{bystander.pid}\n")
        (site.service_dir / "launched.pids").write_text(f"{bystander.pid} 1\n{os.getpid()}\n")  # wrong start time, none
        site.cleanup()
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_start_without_server_folder_fails_cleanly(site: Site) -> None:
    site.server_dir.rename(site.server_dir.with_name("ConAktiv Server_old0001"))  # as in the middle of a swap
    result = site.service("start")
    assert result.returncode == 1 and result.stderr.startswith("start failed:") and "Traceback" not in result.stderr
    assert site.status() == "stopped"
