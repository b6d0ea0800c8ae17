"""Benchmark: the swap's duration (the downtime it adds) against the size of the new version.

The staged tree is renamed into place, so the swap should take the same time for a 1 MB and a 400 MB
version; staging (download, checksum, unpack), which runs while the server is up, grows with the size.
Prints one row per size:  size_mb  files  stage_s  swap_s  swap_remote_calls

    source scripts/env.sh && python bench/swap_downtime.py [size_mb ...]
"""

from __future__ import annotations

import pathlib
import shutil
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "simulator"), str(ROOT / "tests" / "integration")]

# pylint: disable=wrong-import-position
from conaktiv_sim.testing import Site, build_package  # noqa: E402
from playbook import run_tasks  # noqa: E402
from siteargs import control, service  # noqa: E402


def measure(work: pathlib.Path, size_mb: int) -> tuple[float, float, int, int]:
    """Stage and swap one package of ``size_mb``; the task durations as the plugins report them."""
    site = Site.install(work / f"site-{size_mb}", version="1.0.0")
    try:
        files = max(10, size_mb * 4)
        package = build_package(work / f"ConAktiv-2.0.0-{size_mb}.zip", "2.0.0", size_mb=size_mb, files=files)
        args = {"server_path": str(site.server_dir)}
        run = run_tasks(work / f"play-{size_mb}", [
            {"name": "stage", "conaktiv.server.stage": {**args, "version": "2.0.0", "source": str(package)}},
            {"name": "swap", "conaktiv.server.swap": {**args, "service": service(site), "control": control(site)}},
        ], timeout=1800)
        if run.rc != 0:
            raise SystemExit(run.output[-3000:])
        stage, swap = run.task("stage"), run.task("swap")
        return stage["duration_s"], swap["duration_s"], swap["remote_calls"], files
    finally:
        site.cleanup()


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [1, 100, 400]
    work = pathlib.Path(tempfile.mkdtemp(prefix="conaktiv-bench-"))
    try:
        print(f"{'size_mb':>8} {'files':>6} {'stage_s':>8} {'swap_s':>7} {'swap_remote_calls':>18}")
        for size in sizes:
            stage_s, swap_s, calls, files = measure(work, size)
            print(f"{size:>8} {files:>6} {stage_s:>8.2f} {swap_s:>7.2f} {calls:>18}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
