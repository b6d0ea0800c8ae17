"""Benchmark of the whole update against the simulator: downtime, remote calls, wall time, next to a hand-written playbook.

Prints, in one run (medians of --runs):
  * bare t_stop / t_start of the simulator's service (its wrapper, no Ansible);
  * for each package size: our downtime (client port refusing) split into stop / cutover / start / other, the remote calls
    while down (listed by module), all remote calls, tasks and wall time of ``conaktiv.server.update``; the same for
    ``bench/baseline.yml`` (stop, mv, unzip, cp, start with ansible.builtin); the ratios;
  * the Windows path through ansible-playbook and ansible-core's real PowerShell payloads, answered by the Windows emulator
    with a WinRM-like latency per call: its calls while the service is stopped, all calls, wall time and downtime;
  * a fleet over real ssh test hosts (network namespaces; root): wall time of 1 host and of N hosts with forks N;
  * the goals of issue 9, each with the figure it is read from, met or not.
Ratios, not absolute times: the machine is noisy. No test asserts any of it.

    source scripts/env.sh && python bench/update.py [--sizes 5:100,500:10000] [--runs 3] [--fleet 8] [--no-fleet] [--no-windows]

Remote calls are counted by the collection's Runner (CONAKTIV_TRACE, see plugins/plugin_utils/_runner.py): one call is
one module run or one controller-side action (a copy action counts once although it runs a stat and a copy module).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import typing as t

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "simulator"), str(ROOT / "tests" / "integration"), str(ROOT / "tests" / "unit" / "windows"),
                str(ROOT / "tests" / "integration" / "windows"),
                str(ROOT / ".collections")]

# pylint: disable=wrong-import-position
from conaktiv_sim.testing import Site, build_package  # noqa: E402
from playbook import REPO, ansible_env, playbook_command, read_results  # noqa: E402
from roleargs import role_vars  # noqa: E402

UPDATE = REPO / "playbooks" / "update.yml"
BASELINE = REPO / "bench" / "baseline.yml"
#: Seconds the simulated server takes for the structure update of the user data after the new version starts.
MIGRATION_S = 1


# -- measuring ------------------------------------------------------------------------------------------


class PortProbe:
    """Connects to the client port every few milliseconds and remembers when it refused and when it answered again."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.port, self.host = port, host
        self.samples: list[tuple[float, bool]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "PortProbe":
        self._thread.start()
        return self

    def __exit__(self, *exc: t.Any) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            moment = time.time()
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    up = True
            except OSError:
                up = False
            self.samples.append((moment, up))
            time.sleep(0.005)

    def downtime(self) -> tuple[float, float] | None:
        """(first refusal, first answer after it) of the longest outage, or None."""
        best: tuple[float, float] | None = None
        down_since: float | None = None
        for moment, up in self.samples:
            if not up and down_since is None:
                down_since = moment
            elif up and down_since is not None:
                if best is None or moment - down_since > best[1] - best[0]:
                    best = (down_since, moment)
                down_since = None
        return best


@dataclasses.dataclass
class Measure:
    """One run of a playbook against one site."""

    wall: float
    downtime: float
    calls: list[dict[str, t.Any]]
    down_calls: list[str]
    tasks: int
    split: dict[str, float]


def run_measured(playbook: pathlib.Path, inventory: pathlib.Path, site: Site, work: pathlib.Path, tag: str,
                 start_command: list[str], extra_args: t.Sequence[str] = ()) -> Measure:
    """Run ``playbook`` with the port probe and the call trace; the figures of that run."""
    trace = work / f"trace-{tag}.jsonl"
    results = work / f"results-{tag}.jsonl"
    env = {**ansible_env(results), "CONAKTIV_TRACE": str(trace)}
    with PortProbe(site.client_port) as probe:
        began = time.time()
        done = subprocess.run(playbook_command(playbook, inventory=str(inventory), extra_args=extra_args), env=env, capture_output=True,
                              text=True, check=False, timeout=3600)
        wall = time.time() - began
        time.sleep(0.05)
    if done.returncode != 0:
        raise SystemExit(f"{playbook.name} failed:\n{(done.stdout + done.stderr)[-4000:]}")
    calls = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()] if trace.exists() else []
    outage = probe.downtime() or (0.0, 0.0)
    start_what = os.path.basename(start_command[0]) + (f" {start_command[1]}" if len(start_command) > 1 else "")
    start_issued = next((call["at"] for call in calls if call["at"] >= outage[0] and call.get("what") == start_what), outage[1])
    down = [call for call in calls if outage[0] <= call["at"] < start_issued]
    tasks = read_results(results)
    return Measure(wall=wall, downtime=outage[1] - outage[0], calls=calls,
                   down_calls=[call["module"].rsplit(".", 1)[-1] + (f"({call['what']})" if call.get("what") else "") for call in down],
                   tasks=len([entry for entry in tasks if entry.get("status") != "skipped"]),
                   split=_split(outage, calls, start_issued))


def _split(outage: tuple[float, float], calls: list[dict[str, t.Any]], start_issued: float) -> dict[str, float]:
    """stop: from the refusal to the end of the first call after it; cutover: remote calls until the start; start: the
    start command to the first answer; other: the rest (Ansible's own work between the calls)."""
    down_from, up_at = outage
    inside = [call for call in calls if down_from <= call["at"] + call["s"] and call["at"] < start_issued]
    stop_end = min((call["at"] + call["s"] for call in inside), default=down_from)
    cutover = sum(call["s"] for call in inside if call["at"] >= stop_end)
    start = max(0.0, up_at - start_issued)
    stop = max(0.0, stop_end - down_from)
    return {"stop": stop, "cutover": cutover, "start": start, "other": max(0.0, up_at - down_from - stop - cutover - start)}


def bare_service(site: Site, runs: int) -> tuple[float, float]:
    """Median seconds of the service's own stop and start."""
    stops, starts = [], []
    for _round in range(runs):
        began = time.monotonic()
        site.stop()
        stops.append(time.monotonic() - began)
        began = time.monotonic()
        site.start()
        starts.append(time.monotonic() - began)
    return statistics.median(stops), statistics.median(starts)


def site_with_package(work: pathlib.Path, tag: str, size_mb: int, files: int) -> tuple[Site, pathlib.Path]:
    """A running 1.0.0 site and a 2.0.0 package of the size."""
    site = Site.install(work / f"site-{tag}", version="1.0.0", faults={"migration_seconds": MIGRATION_S})
    site.start()
    package = pathlib.Path(build_package(work / f"ConAktiv-2.0.0-{tag}.zip", "2.0.0", size_mb=size_mb, files=files))
    return site, package


def ours(work: pathlib.Path, tag: str, size_mb: int, files: int) -> Measure:
    """conaktiv.server.update once."""
    site, package = site_with_package(work, f"ours-{tag}", size_mb, files)
    try:
        inventory = work / f"inventory-ours-{tag}.yml"
        variables = role_vars(site, package, conaktiv_update_backup={"method": "server", "dir": str(site.root / "Backups"), "keep": 5})
        inventory.write_text(yaml.safe_dump({"conaktiv_servers": {"hosts": {"localhost": {"ansible_connection": "local", **variables}}}}),
                             encoding="utf-8")
        return run_measured(UPDATE, inventory, site, work, f"ours-{tag}", [str(site.wrapper), "start"])
    finally:
        site.cleanup()


def baseline(work: pathlib.Path, tag: str, size_mb: int, files: int) -> Measure:
    """bench/baseline.yml once."""
    site, package = site_with_package(work, f"base-{tag}", size_mb, files)
    try:
        inventory = work / f"inventory-base-{tag}.yml"
        variables = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "baseline_server_path": str(site.server_dir),
                     "baseline_package": str(package), "baseline_stop_command": [str(site.wrapper), "stop"],
                     "baseline_start_command": [str(site.wrapper), "start"]}
        inventory.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": variables}}}), encoding="utf-8")
        return run_measured(BASELINE, inventory, site, work, f"base-{tag}", [str(site.wrapper), "start"])
    finally:
        site.cleanup()


def print_calls(calls: list[dict[str, t.Any]]) -> None:
    """Every remote call of a run, grouped by the task that made it."""
    by_task: dict[str, list[str]] = {}
    for call in calls:
        by_task.setdefault(call.get("task") or "?", []).append(call["module"].rsplit(".", 1)[-1] + (f"({call['what']})" if call.get("what") else ""))
    for task, made in by_task.items():
        print(f"      {len(made):2}  {task}: {', '.join(made)}")


def median_measure(runs: list[Measure]) -> Measure:
    """The run with the median downtime, with median wall and downtime figures."""
    ordered = sorted(runs, key=lambda run: run.downtime)
    middle = ordered[len(ordered) // 2]
    return dataclasses.replace(middle, wall=statistics.median(run.wall for run in runs), downtime=statistics.median(run.downtime for run in runs))


# -- Windows, through the emulator ------------------------------------------------------------------


def windows_update(work: pathlib.Path, latency: float) -> dict[str, t.Any]:
    """The role through ansible-playbook against the emulated Windows host, along ansible-core's real PowerShell payload path
    (tests/integration/windows), each module call taking ``latency`` s as a WinRM round trip would: the calls made while the
    service was stopped, all calls, the wall time and the downtime (the service not running, sampled every 10 ms)."""
    from winplay import emulated_windows  # pylint: disable=import-outside-toplevel

    with emulated_windows(work / "windows", latency=latency) as win:
        package = win.package()
        service, samples, done = win.site.service, [], threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append((time.monotonic(), service.state == "started"))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        began = time.monotonic()
        run = win.update(package)
        wall = time.monotonic() - began
        done.set()
        sampler.join()
        if run.rc != 0 or win.emulator.violations:
            raise SystemExit(f"the Windows update failed: {win.emulator.violations or run.output[-2000:]}")
        down_at = [moment for moment, up in samples if not up]
        requests = list(win.server.requests)
    return {"down_calls": [f"{entry['module'].rsplit('.', 1)[-1]}" + (f" ({entry['detail'][:40]})" if entry["detail"] else "")
                           for entry in requests if entry["down"]],
            "calls": len(requests), "wall": wall, "downtime": (down_at[-1] - down_at[0]) if down_at else 0.0}


# -- a fleet over ssh ----------------------------------------------------------------------------------


def fleet(work: pathlib.Path, count: int) -> tuple[tuple[float, float, float], tuple[float, float, float]] | str:
    """(wall, CPU seconds, controller CPU seconds) of the update of 1 ssh host and of ``count`` hosts with forks ``count``; or
    why it could not run.

    The CPU seconds are the whole machine's busy time while the playbook ran (Ansible, ssh, the hosts' sshd and Python, the
    simulated servers; /proc/stat): on a machine with fewer cores than hosts they bound what parallel forks can gain. The
    controller's are those of ansible-playbook and everything it started and reaped (its workers, the ssh clients): what
    the control node needs when the hosts are machines of their own."""
    if os.geteuid() != 0 or shutil.which("sshd") is None and not pathlib.Path("/usr/sbin/sshd").exists():
        return "needs root and openssh-server (scripts/test-hosts.sh)"
    from testhosts import FleetHosts  # pylint: disable=import-outside-toplevel

    package = pathlib.Path(build_package(work / "ConAktiv-2.0.0-fleet.zip", "2.0.0"))
    walls, cpus, controller = [], [], []
    for hosts_wanted in (1, count):
        test_hosts = FleetHosts(work / f"fleet-{hosts_wanted}")
        sites: list[Site] = []
        try:
            inventory_hosts = {}
            for number in range(hosts_wanted):
                host = test_hosts.add(f"crm{number}")
                site = Site.install(host.base / "site", version="1.0.0", faults={"migration_seconds": MIGRATION_S})
                sites.append(site)
                started = host.run(str(site.wrapper), "start")
                if started.returncode != 0:
                    return f"a test host's server did not start: {started.stderr.strip()}"
                variables = {**role_vars(site, package, conaktiv_update_backup={"method": "none"}),
                             **host.inventory_vars(test_hosts.key, test_hosts.control_dir, sys.executable)}
                inventory_hosts[host.name] = variables
            inventory = work / f"fleet-{hosts_wanted}.yml"
            inventory.write_text(yaml.safe_dump({"conaktiv_servers": {"hosts": inventory_hosts}}), encoding="utf-8")
            results = work / f"fleet-{hosts_wanted}.jsonl"
            began, busy, children = time.time(), _busy_cpu(), resource.getrusage(resource.RUSAGE_CHILDREN)
            done = subprocess.run(playbook_command(UPDATE, inventory=str(inventory), extra_args=["-f", str(max(5, hosts_wanted))]),
                                  env=ansible_env(results), capture_output=True, text=True, check=False, timeout=3600)
            walls.append(time.time() - began)
            cpus.append(_busy_cpu() - busy)
            reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
            controller.append(reaped.ru_utime - children.ru_utime + reaped.ru_stime - children.ru_stime)
            if done.returncode != 0:
                return f"the fleet update of {hosts_wanted} hosts failed: {(done.stdout + done.stderr)[-2000:]}"
        finally:
            for site in sites:
                site.cleanup()
            test_hosts.close()
    return (walls[0], cpus[0], controller[0]), (walls[1], cpus[1], controller[1])


def _busy_cpu() -> float:
    """Seconds the machine's CPUs were busy since boot, all cores together (0 where /proc/stat is missing)."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            ticks = [int(value) for value in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


# -- report ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="5:100,500:10000", help="package sizes as MB:files, comma separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fleet", type=int, default=8, help="hosts of the fleet run")
    parser.add_argument("--no-fleet", action="store_true")
    parser.add_argument("--no-windows", action="store_true")
    parser.add_argument("--winrm-latency", type=float, default=1.0, help="seconds per module call on the emulated Windows host")
    parser.add_argument("--calls", action="store_true", help="list every remote call of our first size's median run, by task")
    args = parser.parse_args(argv)
    sizes = [tuple(int(part) for part in item.split(":")) for item in args.sizes.split(",") if item]
    work = pathlib.Path(tempfile.mkdtemp(prefix="conaktiv-bench-"))
    goals: list[tuple[str, bool, str]] = []
    try:
        site = Site.install(work / "bare", version="1.0.0")
        site.start()
        try:
            t_stop, t_start = bare_service(site, args.runs)
        finally:
            site.cleanup()
        print(f"bare service: t_stop {t_stop:.2f} s, t_start {t_start:.2f} s (median of {args.runs})")
        downtimes: dict[int, float] = {}
        for size_mb, files in sizes:
            tag = f"{size_mb}mb"
            mine = median_measure([ours(work, f"{tag}-{run}", size_mb, files) for run in range(args.runs)])
            base = median_measure([baseline(work, f"{tag}-{run}", size_mb, files) for run in range(args.runs)])
            downtimes[size_mb] = mine.downtime
            print(f"\n== {size_mb} MB, {files} files")
            print(f"  ours:     downtime {mine.downtime:6.2f} s  (stop {mine.split['stop']:.2f} / cutover {mine.split['cutover']:.2f} / "
                  f"start {mine.split['start']:.2f} / other {mine.split['other']:.2f})  wall {mine.wall:6.1f} s  calls {len(mine.calls)}  "
                  f"tasks {mine.tasks}")
            print(f"            calls while down ({len(mine.down_calls)}): {', '.join(mine.down_calls) or '-'}")
            if args.calls:
                print_calls(mine.calls)
            print(f"  baseline: downtime {base.downtime:6.2f} s  wall {base.wall:6.1f} s  calls while down {len(base.down_calls)}")
            print(f"  ratios:   downtime {mine.downtime / base.downtime:.2f}x  wall {mine.wall / base.wall:.2f}x the baseline; "
                  f"downtime - (t_stop + t_start) = {mine.downtime - t_stop - t_start:+.2f} s")
            # The structure update of the user data takes MIGRATION_S in the simulator; the baseline does not wait for it.
            print(f"  floor:    the baseline plus the structure update it does not wait for ({MIGRATION_S} s): "
                  f"{(base.wall + MIGRATION_S) / base.wall:.2f}x, before any backup, journal or check")
            goals.append((f"wall <= 1.5x the baseline ({size_mb} MB)", mine.wall <= 1.5 * base.wall, f"{mine.wall / base.wall:.2f}x"))
            if size_mb == sizes[0][0]:
                goals += [("downtime <= t_stop + t_start + 1 s", mine.downtime <= t_stop + t_start + 1.0,
                           f"{mine.downtime:.2f} <= {t_stop + t_start + 1:.2f}"),
                          ("<= 4 calls while down (POSIX)", len(mine.down_calls) <= 4, str(len(mine.down_calls))),
                          ("<= 25 module calls per update", len(mine.calls) <= 25, str(len(mine.calls))),
                          ("<= 25 tasks per host", mine.tasks <= 25, str(mine.tasks)),
                          ("downtime <= 1.0x the baseline", mine.downtime <= base.downtime, f"{mine.downtime / base.downtime:.2f}x")]
        if len(sizes) > 1:
            small, large = sizes[0][0], sizes[-1][0]
            ratio = downtimes[large] / downtimes[small]
            print(f"\ndowntime {large} MB / {small} MB: {ratio:.2f}x")
            goals.append((f"downtime {large} MB <= 1.2x {small} MB", ratio <= 1.2, f"{ratio:.2f}x"))
        if not args.no_windows:
            windows = windows_update(work, args.winrm_latency)
            print(f"\nWindows (emulated, ansible-playbook, real PowerShell payloads, {args.winrm_latency:g} s per call): downtime "
                  f"{windows['downtime']:.2f} s, wall {windows['wall']:.1f} s, calls {windows['calls']}")
            print(f"  calls while down ({len(windows['down_calls'])}): {', '.join(windows['down_calls'])}")
            goals.append(("<= 4 calls while down (Windows, emulated)", len(windows["down_calls"]) <= 4, str(len(windows["down_calls"]))))
        if not args.no_fleet:
            outcome = fleet(work, args.fleet)
            if isinstance(outcome, str):
                print(f"\nfleet: not measured: {outcome}")
            else:
                (one, one_cpu, one_ctl), (many, many_cpu, many_ctl) = outcome
                cores = os.cpu_count() or 1
                print(f"\nfleet over ssh: 1 host {one:.1f} s, {args.fleet} hosts {many:.1f} s: {many / one:.2f}x")
                print(f"  busy CPU seconds of the machine: 1 host {one_cpu:.1f}, {args.fleet} hosts {many_cpu:.1f}; on {cores} cores the "
                      f"{args.fleet} hosts need at least {many_cpu / cores:.1f} s ({many_cpu / cores / one:.2f}x one host's wall time)")
                print(f"  of which the controller (ansible-playbook, its workers, the ssh clients): 1 host {one_ctl:.1f}, {args.fleet} hosts "
                      f"{many_ctl:.1f}; the rest is the test hosts on the same cores (their sshd, Python, the simulated servers). "
                      f"With hosts of their own the controller's share bounds the fleet: {many_ctl / cores:.1f} s on {cores} cores "
                      f"({many_ctl / cores / one:.2f}x one host's wall time)")
                goals.append((f"{args.fleet} hosts <= 2x one host", many / one <= 2.0, f"{many / one:.2f}x"))
        print("\ngoals (issue 9):")
        for name, met, figure in goals:
            print(f"  {'met    ' if met else 'NOT MET'}  {name:45}  {figure}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
