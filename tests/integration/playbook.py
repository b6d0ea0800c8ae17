"""Running real ansible-playbook from the integration tests and reading back what happened."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import subprocess
import sys
import typing as t

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
CALLBACKS = pathlib.Path(__file__).resolve().parent / "callback_plugins"


@dataclasses.dataclass
class PlaybookRun:
    """The outcome of one ansible-playbook run."""

    rc: int
    output: str
    results: list[dict[str, t.Any]]

    def task(self, name: str) -> dict[str, t.Any]:
        """The (last) result of the task called ``name``."""
        found = [entry for entry in self.results if entry["task"] == name]
        assert found, f"no result for task {name!r}; tasks: {[entry['task'] for entry in self.results]}\n{self.output}"
        return found[-1]["result"]

    def hosts(self) -> list[str]:
        """Every host that had a task result, in the order of their first result."""
        return list(dict.fromkeys(entry["host"] for entry in self.results))

    def status(self, name: str) -> str:
        """ok / failed / skipped / unreachable of the task called ``name``."""
        return [entry for entry in self.results if entry["task"] == name][-1]["status"]


def ansible_env(results_file: pathlib.Path) -> dict[str, str]:
    """Environment for ansible-playbook: the project's collections and the result recorder."""
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
        "ANSIBLE_CALLBACKS_ENABLED": "record_results",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_HOST_KEY_CHECKING": "false",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOCAL_TEMP": str(results_file.parent / ".ansible-local"),
        "ANSIBLE_REMOTE_TMP": str(results_file.parent / ".ansible-remote"),
        "CONAKTIV_RESULTS_FILE": str(results_file),
    })
    return env


def run_tasks(workdir: pathlib.Path, tasks: list[dict[str, t.Any]], *, extra_args: t.Sequence[str] = (),
              play_vars: dict[str, t.Any] | None = None, timeout: int = 300,
              wrapper: t.Sequence[str] = ()) -> PlaybookRun:
    """Run ``tasks`` in one play against localhost (local connection) and collect every result.

    ``wrapper`` is put in front of the ansible-playbook command (e.g. ``hostlog.HostSyslog.wrapper``).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    count = len(list(workdir.glob("playbook-*.yml")))
    playbook = workdir / f"playbook-{count}.yml"
    results_file = workdir / f"results-{count}.jsonl"
    play = {"name": "test", "hosts": "localhost", "gather_facts": False, "vars": play_vars or {}, "tasks": tasks}
    playbook.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    return run_playbook(playbook, results_file, extra_args=extra_args, timeout=timeout, wrapper=wrapper)


def playbook_command(playbook: pathlib.Path, *, inventory: str = "localhost,", extra_args: t.Sequence[str] = (),
                     wrapper: t.Sequence[str] = ()) -> list[str]:
    """The argv of an ansible-playbook run (local connection), behind an optional ``wrapper`` prefix."""
    return [*wrapper, str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", inventory, "-c", "local", str(playbook), *extra_args]


def read_results(results_file: pathlib.Path) -> list[dict[str, t.Any]]:
    """What the record_results callback wrote (a run killed mid-line leaves a torn last line, skipped)."""
    results = []
    if results_file.exists():
        for line in results_file.read_text(encoding="utf-8").splitlines():
            try:
                results.append(json.loads(line))
            except ValueError:
                continue
    return results


def run_playbook(playbook: pathlib.Path, results_file: pathlib.Path, *, inventory: str = "localhost,",
                 extra_args: t.Sequence[str] = (), timeout: int = 300, wrapper: t.Sequence[str] = (),
                 env_extra: dict[str, str] | None = None) -> PlaybookRun:
    """Run an existing playbook file; ``wrapper`` is an argv prefix for the ansible-playbook command."""
    cmd = playbook_command(playbook, inventory=inventory, extra_args=extra_args, wrapper=wrapper)
    proc = subprocess.run(cmd, env={**ansible_env(results_file), **(env_extra or {})}, capture_output=True, text=True, timeout=timeout,
                          check=False)
    return PlaybookRun(rc=proc.returncode, output=proc.stdout + proc.stderr, results=read_results(results_file))
