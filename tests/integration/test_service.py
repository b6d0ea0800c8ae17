"""conaktiv.server.service against a real simulator site, through ansible-playbook: drain, stop, start, faults."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import typing as t

from playbook import run_tasks
from siteargs import control, service

STOP = "Stop the ConAktiv server"
START = "Start the ConAktiv server"


def service_args(site: t.Any, state: str, **extra: t.Any) -> dict[str, t.Any]:
    """Module arguments for ``site`` with short waits, so every test stays fast."""
    return {"state": state, "control": control(site), "service": service(site), "client_port": site.client_port,
            "pid_file": str(site.data_dir / "server.pid"), "poll_interval": 1, "stop_timeout": 10, "start_timeout": 20, **extra}


def service_task(site: t.Any, state: str, name: str = STOP, **extra: t.Any) -> dict[str, t.Any]:
    """One conaktiv.server.service task."""
    return {"name": name, "conaktiv.server.service": service_args(site, state, **extra)}


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def assert_fully_stopped(site: t.Any) -> None:
    """Service stopped, no process left, pid file gone, both ports closed."""
    assert site.status() == "stopped"
    assert site.server_pid() is None, "a server process is still alive"
    assert not (site.data_dir / "server.pid").exists()
    assert not port_open(site.client_port) and not port_open(site.control_port)


def test_stop_announces_waits_for_users_to_log_off_and_stops(tmp_path, sim_site):
    sim_site.start()
    sim_site.login("anna", logoff_after=1)
    tcp = sim_site.tcp_users({"ben": 2})
    task = service_task(sim_site, "stopped", max_wait=60, version="2.0.0",
                        message="Update auf {version}: der Server stoppt in {minutes} Minuten.")
    run = run_tasks(tmp_path / "play", [task], extra_args=["-vvv"])
    assert run.rc == 0, run.output
    result = run.task(STOP)
    assert result["changed"] is True and result["state"] == "stopped" and result["state_before"] == "running"
    text = "Update auf 2.0.0: der Server stoppt in 1 Minuten."
    assert result["drain"]["messages"] == [text]
    assert result["drain"]["remaining_users"] == [] and result["drain"]["timed_out"] is False
    # ben logs off 2 s after the message: the drain must have waited for him, not stopped at once.
    assert 2 <= result["drain"]["waited_s"] < 30
    messages = sim_site.messages()
    assert [m["text"] for m in messages] == [text]
    assert sorted(messages[0]["delivered_to"]) == ["anna", "ben"]
    assert f"ben received: {text}" in tcp.output()
    assert "ben logged off" in tcp.output() and "disconnected by server" not in tcp.output()
    assert_fully_stopped(sim_site)
    assert sim_site.token not in run.output, "the control token leaked into the -vvv output"


def test_users_who_never_log_off_are_stopped_after_max_wait(tmp_path, sim_site):
    sim_site.start()
    sim_site.login("carl")
    tcp = sim_site.tcp_users({"dora": None})
    task = service_task(sim_site, "stopped", max_wait=4, reminder_interval=2, version="2.0.0", message="Stop in {minutes} min ({version})")
    run = run_tasks(tmp_path / "play", [task], extra_args=["-v"])
    assert run.rc == 0, run.output
    drain = run.task(STOP)["drain"]
    assert drain["timed_out"] is True
    assert sorted(drain["remaining_users"]) == ["carl", "dora"]
    assert 4 <= drain["waited_s"] < 10
    # The first message and at least one reminder, all rendered, all recorded by the server.
    assert len(drain["messages"]) >= 2 and all(m == "Stop in 1 min (2.0.0)" for m in drain["messages"]), "minutes are rounded up: never \"in 0 min\""
    assert [m["text"] for m in sim_site.messages()] == drain["messages"]
    assert "2 users still logged in (carl, dora)" in run.output or "2 users still logged in (dora, carl)" in run.output
    assert "dora disconnected by server" in tcp.wait_output("dora disconnected by server")
    assert_fully_stopped(sim_site)


def test_without_control_connected_clients_keep_the_drain_waiting_until_max_wait(tmp_path, sim_site):
    sim_site.start()
    sim_site.tcp_users({"emil": None})
    args = service_args(sim_site, "stopped", max_wait=3)
    del args["control"]
    run = run_tasks(tmp_path / "play", [{"name": STOP, "conaktiv.server.service": args}])
    assert run.rc == 0, run.output
    drain = run.task(STOP)["drain"]
    assert drain["timed_out"] is True and drain["remaining_users"] == ["(connected client)"] and drain["messages"] == []
    assert drain["waited_s"] >= 3
    assert sim_site.messages() == []
    assert_fully_stopped(sim_site)


def test_start_stop_restart_and_their_idempotence(tmp_path, sim_site):
    tasks = [service_task(sim_site, "started", name="start"), service_task(sim_site, "started", name="start again"),
             service_task(sim_site, "restarted", name="restart", wait_for_logoff=False),
             service_task(sim_site, "stopped", name="stop"), service_task(sim_site, "stopped", name="stop again")]
    run = run_tasks(tmp_path / "play", tasks)
    assert run.rc == 0, run.output
    start, again, restart = run.task("start"), run.task("start again"), run.task("restart")
    assert start["changed"] is True and start["state_before"] == "stopped" and start["healthy"] is True
    assert start["server_status"]["state"] == "ready" and start["server_status"]["version"] == "1.0.0"
    assert again["changed"] is False and again["healthy"] is True and again["state"] == "running"
    assert restart["changed"] is True and restart["state_before"] == "running" and restart["healthy"] is True
    assert restart["server_status"]["pid"] != start["server_status"]["pid"], "restarted must give a new server process"
    assert restart["drain"]["messages"] == [] and sim_site.messages() == [], "nobody is logged on: nobody is told"
    assert restart["stopped_at"] <= restart["started_at"]
    assert run.task("stop")["changed"] is True and run.task("stop")["state"] == "stopped"
    assert run.task("stop again")["changed"] is False and run.task("stop again")["state"] == "stopped"
    assert "drain" not in run.task("stop again")
    assert_fully_stopped(sim_site)


def test_check_mode_predicts_and_changes_nothing(tmp_path, sim_site):
    sim_site.start()
    sim_site.login("anna", logoff_after=0)
    pid = sim_site.server_pid()
    tasks = [service_task(sim_site, "stopped", name="stop"), service_task(sim_site, "restarted", name="restart"),
             service_task(sim_site, "started", name="start")]
    run = run_tasks(tmp_path / "play", tasks, extra_args=["--check"])
    assert run.rc == 0, run.output
    assert run.task("stop")["changed"] is True and run.task("stop")["state"] == "stopped"
    assert run.task("restart")["changed"] is True and run.task("restart")["state"] == "running"
    assert run.task("start")["changed"] is False and run.task("start")["healthy"] is True
    assert sim_site.messages() == [], "check mode must not message the users"
    assert sim_site.server_pid() == pid and sim_site.status() == "running"
    assert [s["user"] for s in sim_site.control("GET", "/api/sessions")["sessions"]] == ["anna"]


def test_check_mode_on_a_stopped_server_predicts_the_start(tmp_path, sim_site):
    run = run_tasks(tmp_path / "play", [service_task(sim_site, "started", name=START)], extra_args=["--check"])
    assert run.rc == 0, run.output
    assert run.task(START)["changed"] is True and run.task(START)["state"] == "running"
    assert sim_site.status() == "stopped" and sim_site.server_pid() is None


def test_argument_errors_are_clear_and_touch_nothing(tmp_path, sim_site):
    sim_site.start()
    sim_site.login("anna", logoff_after=0)
    pid = sim_site.server_pid()
    bad_template = "Stop in {minuten} Minuten"
    no_manager = service_args(sim_site, "stopped") | {"service": {"manager": "none"}}
    no_service = {key: value for key, value in service_args(sim_site, "stopped").items() if key != "service"}
    tasks = [{"name": "bad field", "conaktiv.server.service": service_args(sim_site, "stopped", message=bad_template), "ignore_errors": True},
             {"name": "bad field, check mode", "conaktiv.server.service": service_args(sim_site, "stopped", message=bad_template),
              "check_mode": True, "ignore_errors": True},
             {"name": "positional field", "conaktiv.server.service": service_args(sim_site, "stopped", message="Stop in {} min"),
              "ignore_errors": True},
             {"name": "manager none", "conaktiv.server.service": no_manager, "ignore_errors": True},
             {"name": "no service", "conaktiv.server.service": no_service, "ignore_errors": True}]
    run = run_tasks(tmp_path / "play", tasks)
    assert run.rc == 0, run.output
    for name in ("bad field", "bad field, check mode"):
        assert run.status(name) == "failed"
        msg = run.task(name)["msg"]
        assert "unknown field(s) minuten" in msg and "known fields: in_minutes, minutes, version" in msg, msg
    assert run.status("positional field") == "failed" and "positional field" in run.task("positional field")["msg"]
    for name in ("manager none", "no service"):
        assert run.status(name) == "failed"
        assert "service.manager is 'none'" in run.task(name)["msg"]
    assert sim_site.messages() == []
    assert sim_site.server_pid() == pid and sim_site.status() == "running"


def test_server_that_refuses_to_stop_fails_clearly_and_keeps_running(tmp_path, sim_site_factory):
    site = sim_site_factory(stop_timeout=2)
    site.start()
    site.set_faults({"refuse_stop": {}})
    run = run_tasks(tmp_path / "play", [service_task(site, "stopped", wait_for_logoff=False)])
    assert run.rc != 0
    result = run.task(STOP)
    assert run.status(STOP) == "failed"
    assert "stopping the ConAktiv server failed" in result["msg"] and "exited 3" in result["msg"], result["msg"]
    assert "did not stop within 2 s" in result["msg"] and result["msg"].count("exited 3") == 1
    assert site.status() == "running" and site.control("GET", "/api/status")["state"] == "ready"


def test_lingering_process_is_waited_for_until_it_is_really_gone(tmp_path, sim_site):
    linger = 3
    sim_site.start()
    sim_site.set_faults({"linger_after_stop": {"seconds": linger}})
    run = run_tasks(tmp_path / "play", [service_task(sim_site, "stopped", wait_for_logoff=False, stop_timeout=15)])
    assert run.rc == 0, run.output
    result = run.task(STOP)
    assert result["changed"] is True and result["state"] == "stopped"
    assert result["duration_s"] >= linger, "the task returned while the process still held its pid file"
    assert_fully_stopped(sim_site)


def test_process_lingering_longer_than_stop_timeout_fails_clearly(tmp_path, sim_site):
    sim_site.start()
    sim_site.set_faults({"linger_after_stop": {"seconds": 15}})
    run = run_tasks(tmp_path / "play", [service_task(sim_site, "stopped", wait_for_logoff=False, stop_timeout=2)])
    assert run.rc != 0
    result = run.task(STOP)
    pid_file = str(sim_site.data_dir / "server.pid")
    assert result["msg"] == f"the server process is still running 2 s after the stop: {pid_file} still exists"
    assert result["duration_s"] < 12
    assert sim_site.server_pid() is not None, "the lingering process should still be there when the task gave up"


def test_start_failure_is_clear(tmp_path, sim_site):
    sim_site.set_faults({"fail_start": {}})
    run = run_tasks(tmp_path / "play", [service_task(sim_site, "started", name=START)])
    assert run.rc != 0
    msg = run.task(START)["msg"]
    assert msg.startswith("starting the ConAktiv server failed: the start command") and msg.count("exited 1:") == 1, msg
    assert msg.endswith("simulated start failure (fault fail_start)"), msg
    assert sim_site.status() == "stopped" and sim_site.server_pid() is None


def test_server_dying_right_after_the_start_fails_at_once(tmp_path, sim_site_factory):
    # The server answers while "starting" for 5 s; the test kills it in that window, as a crash would.
    site = sim_site_factory(faults={"startup_seconds": 5})
    killed: list[int] = []

    def kill_while_starting() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = site.server_status()
            pid = site.server_pid()
            if status and status.get("state") == "starting" and pid:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_while_starting, daemon=True)
    killer.start()
    run = run_tasks(tmp_path / "play", [service_task(site, "started", name=START, start_timeout=60)])
    killer.join(5)
    assert killed, "the server never reported 'starting'"
    assert run.rc != 0
    result = run.task(START)
    # Whoever notices first says so: the wrapper (still waiting for the start) or the health wait after it.
    assert result["msg"] == "the server stopped again right after the start: the service manager reports it stopped" or \
        "server exited with code -9 during start" in result["msg"], result["msg"]
    assert result["duration_s"] < 30, "a dead server must not be waited for until start_timeout"


def test_unknown_service_state_fails_instead_of_guessing(tmp_path, sim_site):
    status = tmp_path / "status-unknown"
    status.write_text("#!/bin/sh\necho 'status unknown' >&2\nexit 4\n")
    status.chmod(0o755)
    args = service_args(sim_site, "stopped")
    args["service"] = service(sim_site) | {"status_command": [str(status)]}
    run = run_tasks(tmp_path / "play", [{"name": STOP, "conaktiv.server.service": args}])
    assert run.rc != 0
    assert "cannot tell whether the server runs" in run.task(STOP)["msg"]


def test_the_wait_for_users_is_shown_at_the_default_verbosity_in_german(tmp_path, sim_site):
    sim_site.start()
    sim_site.login("anna", logoff_after=2)
    task = service_task(sim_site, "stopped", max_wait=60, version="2.0.0")
    run = run_tasks(tmp_path / "play", [task])  # no -v: what AWX shows by default
    assert run.rc == 0, run.output
    assert "localhost: Warte, bis sich 1 Benutzer (anna) abgemeldet hat (höchstens 1 Minute)." in run.output
    assert "localhost: Alle Benutzer haben sich nach" in run.output
    text = sim_site.messages()[0]["text"]
    assert text == ("Der ConAktiv-Server wird in einer Minute für das Update auf Version 2.0.0 beendet. "
                    "Bitte speichern Sie Ihre Arbeit und melden Sie sich ab.")
