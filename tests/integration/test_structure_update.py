"""conaktiv.server.structure_update against a real simulator site, through ansible-playbook."""

from __future__ import annotations

import typing as t

from playbook import run_tasks
from siteargs import control, service

WAIT = "Wait for the structure update"
START = "Start the new version"
STARTED_LINE = "structure update 1.0.0 -> 2.0.0 started"
FINISHED_LINE = "structure update 1.0.0 -> 2.0.0 finished"
FAILED_LINE = "structure update 1.0.0 -> 2.0.0 failed: simulated structure update failure"


def log_file(site: t.Any) -> str:
    """The structure update log of ``site``."""
    return str(site.data_dir / "Logs" / "structure-update.log")


def wait_task(site: t.Any, name: str = WAIT, with_control: bool = True, with_log: bool = True, **extra: t.Any) -> dict[str, t.Any]:
    """One structure_update task for version 2.0.0 with short waits."""
    args: dict[str, t.Any] = {"version": "2.0.0", "timeout": 30, "poll_interval": 1, "unreachable_grace": 5, **extra}
    if with_control:
        args["control"] = control(site)
    if with_log:
        args["log_file"] = log_file(site)
    return {"name": name, "conaktiv.server.structure_update": args}


def start_task(site: t.Any) -> dict[str, t.Any]:
    """Start the site through conaktiv.server.service."""
    args = {"state": "started", "control": control(site), "service": service(site), "client_port": site.client_port, "start_timeout": 20}
    return {"name": START, "conaktiv.server.service": args}


def migrating_site(factory: t.Any, name: str = "site", **faults: t.Any) -> t.Any:
    """A 2.0.0 server on 1.0.0 data, so its first start runs the structure update."""
    return factory(name, version="2.0.0", structure_version="1.0.0", faults={"migration_seconds": 1, **faults})


def test_waits_until_the_structure_update_finished(tmp_path, sim_site_factory):
    site = migrating_site(sim_site_factory, migration_seconds=4)
    run = run_tasks(tmp_path / "play", [start_task(site), wait_task(site), wait_task(site, name="again")])
    assert run.rc == 0, run.output
    assert run.task(START)["server_status"]["state"] == "migrating", "the start must not wait for the structure update"
    result = run.task(WAIT)
    assert result["changed"] is False and result["outcome"] == "finished" and result["state"] == "ready"
    assert result["server_version"] == "2.0.0" and result["structure_version"] == "2.0.0"
    assert result["duration_s"] >= 1, "the task must have waited for the update"
    assert any(FINISHED_LINE in line for line in result["log_tail"])
    again = run.task("again")
    assert again["changed"] is False and again["outcome"] == "finished" and again["duration_s"] < result["duration_s"]
    assert site.structure_version() == "2.0.0"
    assert site.control("GET", "/api/status")["state"] == "ready"


def test_full_flow_stage_stop_swap_start_structure_update(tmp_path, sim_site, sim_package):
    sim_site.start()
    sim_site.set_faults({"migration_seconds": 2})
    server = {"server_path": str(sim_site.server_dir)}
    tasks = [{"name": "stage", "conaktiv.server.stage": server | {"version": "2.0.0", "source": str(sim_package("2.0.0"))}},
             {"name": "stop", "conaktiv.server.service": {"state": "stopped", "control": control(sim_site), "service": service(sim_site),
                                                          "pid_file": str(sim_site.data_dir / "server.pid"), "wait_for_logoff": False}},
             {"name": "swap", "conaktiv.server.swap": server | {"control": control(sim_site), "service": service(sim_site)}},
             start_task(sim_site), wait_task(sim_site)]
    run = run_tasks(tmp_path / "play", tasks)
    assert run.rc == 0, run.output
    assert run.task(WAIT)["outcome"] == "finished" and run.task(WAIT)["structure_version"] == "2.0.0"
    assert sim_site.version_on_disk() == "2.0.0" and sim_site.structure_version() == "2.0.0"
    log = sim_site.structure_log()
    assert [STARTED_LINE in line for line in log] == [True, False] and FINISHED_LINE in log[1]


def test_log_file_alone_is_enough_without_control(tmp_path, sim_site_factory):
    site = migrating_site(sim_site_factory, migration_seconds=3)
    site.start()
    run = run_tasks(tmp_path / "play", [wait_task(site, with_control=False)])
    assert run.rc == 0, run.output
    result = run.task(WAIT)
    assert result["outcome"] == "finished" and result["state"] == "ready"
    assert "server_version" not in result
    assert FINISHED_LINE in result["log_tail"][-1]
    assert site.structure_version() == "2.0.0"


def test_failure_line_of_an_earlier_attempt_does_not_fail_a_new_attempt(tmp_path, sim_site_factory):
    old_failure = "2026-11-16T22:04:11.000+01:00 structure update 1.0.0 -> 2.0.0 failed: disk full"
    # Each server waits before it begins the update, so the task's first looks see only the old failure:
    # the log-only task watches site "a" (update begins after 5 s), then the control task watches "b" (after 10 s).
    sites = {name: migrating_site(sim_site_factory, name, startup_seconds=delay) for name, delay in (("a", 5), ("b", 10))}
    for site in sites.values():
        (site.data_dir / "Logs" / "structure-update.log").write_text(old_failure + "\n", encoding="utf-8")
        site.start()
    tasks = [wait_task(sites["a"], name="log only", with_control=False, unreachable_grace=20), wait_task(sites["b"], name="with control")]
    run = run_tasks(tmp_path / "play", tasks)
    assert run.rc == 0, run.output
    for name in ("log only", "with control"):
        result = run.task(name)
        assert result["outcome"] == "finished", name
        assert result["log_tail"][0] == old_failure and FINISHED_LINE in result["log_tail"][-1]
    assert run.task("with control")["duration_s"] >= 1, "the control task must have waited for the new attempt"


def test_old_failure_without_a_new_attempt_fails_after_the_grace(tmp_path, sim_site):
    old_failure = "2026-11-16T22:04:11.000+01:00 structure update 1.0.0 -> 2.0.0 failed: disk full"
    (sim_site.data_dir / "Logs" / "structure-update.log").write_text(old_failure + "\n", encoding="utf-8")
    run = run_tasks(tmp_path / "play", [wait_task(sim_site, with_control=False, unreachable_grace=2)])
    assert run.rc != 0
    result = run.task(WAIT)
    assert result["msg"] == f"the structure update to 2.0.0 failed: {old_failure} (no new attempt started within 2 s)"
    assert result["outcome"] == "failed" and result["duration_s"] < 10


def test_failed_structure_update_fails_with_the_log_tail(tmp_path, sim_site_factory):
    site = migrating_site(sim_site_factory, structure_update_fail={})
    site.start()
    site.wait_state("failed", timeout=10)
    tasks = [wait_task(site, name="check mode") | {"check_mode": True},
             wait_task(site) | {"ignore_errors": True},
             wait_task(site, name="log only", with_control=False) | {"ignore_errors": True},
             wait_task(site, name="control only", with_log=False) | {"ignore_errors": True}]
    run = run_tasks(tmp_path / "play", tasks)
    assert run.rc == 0, run.output
    check = run.task("check mode")
    assert run.status("check mode") == "ok" and check["outcome"] == "failed" and check["changed"] is False
    for name in (WAIT, "log only", "control only"):
        assert run.status(name) == "failed", name
        result = run.task(name)
        assert result["msg"].startswith("the structure update to 2.0.0 failed: ") and FAILED_LINE in result["msg"], result["msg"]
        assert result["outcome"] == "failed" and result["state"] == "failed"
    assert FAILED_LINE in run.task(WAIT)["log_tail"][-1] and FAILED_LINE in run.task("log only")["log_tail"][-1]
    assert "log_tail" not in run.task("control only")


def test_hanging_structure_update_times_out_cleanly(tmp_path, sim_site_factory):
    site = migrating_site(sim_site_factory, structure_update_hang={})
    site.start()
    run = run_tasks(tmp_path / "play", [wait_task(site, name="check mode") | {"check_mode": True}, wait_task(site, timeout=3)])
    assert run.rc != 0
    assert run.status("check mode") == "ok" and run.task("check mode")["outcome"] == "running"
    result = run.task(WAIT)
    assert result["msg"] == "the structure update to 2.0.0 did not finish within 3 s (last state: migrating)"
    assert result["outcome"] == "running" and 3 <= result["duration_s"] < 10
    assert any(STARTED_LINE in line for line in result["log_tail"])
    assert site.control("GET", "/api/status")["state"] == "migrating"


def test_crash_during_the_structure_update_fails_within_the_grace(tmp_path, sim_site_factory):
    # The crash comes halfway through the 10 s update: well after the start task saw the server healthy.
    site = migrating_site(sim_site_factory, crash_during_structure_update={}, migration_seconds=10)
    run = run_tasks(tmp_path / "play", [start_task(site), wait_task(site, timeout=60, unreachable_grace=2)])
    assert run.rc != 0
    assert run.status(START) == "ok", run.output
    result = run.task(WAIT)
    assert result["msg"] == "the server stopped answering during the structure update to 2.0.0 (no answer for 2 s)"
    assert result["outcome"] == "unreachable" and result["duration_s"] < 20
    assert site.server_pid() is None and "crashed" in site.server_output()


def test_server_running_another_version_is_a_clear_failure(tmp_path, sim_site):
    sim_site.start()
    run = run_tasks(tmp_path / "play", [wait_task(sim_site)])
    assert run.rc != 0
    result = run.task(WAIT)
    assert result["msg"] == "the structure update to 2.0.0 failed: the server runs version 1.0.0, not 2.0.0"
    assert result["server_version"] == "1.0.0" and result["duration_s"] < 10


def test_argument_errors_are_clear(tmp_path):
    tasks = [{"name": "nothing to watch", "conaktiv.server.structure_update": {"version": "2.0.0"}, "ignore_errors": True},
             {"name": "bad pattern", "conaktiv.server.structure_update": {"version": "2.0.0", "log_file": str(tmp_path / "x.log"),
                                                                          "success_pattern": "finished ("}, "ignore_errors": True}]
    run = run_tasks(tmp_path / "play", tasks)
    assert run.rc == 0, run.output
    assert "needs control (type http or command) or log_file" in run.task("nothing to watch")["msg"]
    msg = run.task("bad pattern")["msg"]
    assert run.status("bad pattern") == "failed" and msg.startswith("success_pattern 'finished (' is not a valid regular expression"), msg
